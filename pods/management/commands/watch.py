"""`manage.py watch --cluster NAME [--group GROUP]`: one cluster's watch (or one namespace group's, for a
cluster split by INITSCOPE_CLUSTER_NAMESPACE_GROUPS) in the foreground, through the task's code.

For debugging and one-off backfills: runs `pods.watch.watch_cluster_once` window after window (the
same lock, list, watch, relist and back-off as the Celery task) until Ctrl-C, or once with `--once`.
"""

from __future__ import annotations

import dataclasses
import time

from django.core.management.base import BaseCommand, CommandError, CommandParser

from pods import kube, watch
from pods.ingest import tune_gc_for_ingest


class Command(BaseCommand):
    help = "Watch one configured cluster in the foreground (same code as the Celery task)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--cluster", required=True, help="a name from INITSCOPE_CLUSTERS")
        parser.add_argument(
            "--group",
            default="",
            help="one namespace group of the cluster (INITSCOPE_CLUSTER_NAMESPACE_GROUPS)",
        )
        parser.add_argument("--once", action="store_true", help="run a single window, then exit")
        parser.add_argument("--seconds", type=float, default=None, help="window length (default: setting)")

    def handle(self, *args, **options) -> None:
        name, group = options["cluster"], options["group"]
        config = kube.cluster_config(name)
        if config is None:
            raise CommandError(f"cluster {name!r} is not in INITSCOPE_CLUSTERS")
        if group and config.group(group) is None:
            raise CommandError(f"cluster {name!r} has no namespace group {group!r}")
        if not group and config.groups:
            groups = ", ".join(g.name for g in config.groups)
            raise CommandError(f"cluster {name!r} is split into namespace groups: pass --group ({groups})")
        settings_ = watch.WatchSettings.from_settings()
        if options["seconds"]:
            settings_ = dataclasses.replace(settings_, window_seconds=options["seconds"])
        tune_gc_for_ingest()
        try:
            self._loop(name, settings_, once=options["once"], group=group)
        except KeyboardInterrupt:
            self.stderr.write("stopped")

    def _loop(self, name: str, settings_: watch.WatchSettings, *, once: bool, group: str = "") -> None:
        while True:
            outcome = watch.watch_cluster_once(name, settings_=settings_, group=group)
            self.stderr.write(f"{kube.watch_key(name, group)}: {outcome.reason} {outcome.message}".rstrip())
            if once:
                return
            if outcome.reason == "held":
                time.sleep(settings_.lock_seconds / 3)
            elif outcome.countdown:
                time.sleep(outcome.countdown)
