"""`manage.py clusters [--json]`: the configured clusters and their watch health, then the recordings.

The same rows as the clusters page (`selectors.cluster_health`): state, Pod and stuck counts, and the
whole newest error (never cut; one line, control characters shown as `?`); then each recording
(`selectors.recorded_clusters`: state `recorded`, its counts, the end of its data as LAST EVENT).
A cluster split into namespace groups (INITSCOPE_CLUSTER_NAMESPACE_GROUPS) has a line per group: its
state, last event, lag, and `live` or `stale` with the reason (the cluster is stale when a group is).
"""

from __future__ import annotations

import orjson
from django.core.management.base import BaseCommand, CommandParser

from pods import kube, selectors
from pods.timeline import format_time
from pods.timeline.times import format_duration


class Command(BaseCommand):
    help = (
        "List the configured clusters with their watch health (state, holder, last event, lag, error), "
        "and each failing stream (e.g. a namespace whose RBAC refuses the watch)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true")

    def handle(self, *args, **options) -> None:
        rows = selectors.cluster_health()
        recordings = selectors.recorded_clusters()
        if options["json"]:
            self.stdout.write(
                orjson.dumps(
                    [*rows, *recordings],
                    default=format_time,
                    option=orjson.OPT_INDENT_2 | orjson.OPT_PASSTHROUGH_DATETIME,
                ).decode()
            )
            return
        if not rows and not recordings:
            self.stdout.write("no clusters configured (set INITSCOPE_CLUSTERS)")
            return
        contexts = set(kube.kubeconfig_contexts())
        for config in kube.configured_clusters():
            if config.name != kube.IN_CLUSTER and config.name not in contexts:
                self.stderr.write(f"warning: {config.name!r} is not a context of the kubeconfig (KUBECONFIG)")
        self.stdout.write(
            f"{'CLUSTER':<24} {'STATE':<15} {'PODS':>5} {'STUCK':>5} {'LAST EVENT':<21} {'LAG':>8}  ERROR"
        )
        for row in rows:
            lag = format_duration(row["lag_seconds"]) if row["lag_seconds"] is not None else "-"
            self.stdout.write(
                f"{row['name']:<24} {row['state']:<15} {row['pods']:>5} {row['stuck']:>5} "
                f"{format_time(row['last_event_at']) or '-':<21} {lag:>8}  {_one_line(row['last_error'])}"
            )
            for group in row["groups"]:  # each namespace group's own watch and freshness
                lag = format_duration(group["lag_seconds"]) if group["lag_seconds"] is not None else "-"
                fresh = f"stale: {group['stale_reason']}" if group["stale"] else "live"
                self.stdout.write(
                    f"  {'group ' + group['name']:<22} {group['state']:<15} {'':>5} {'':>5} "
                    f"{format_time(group['last_event_at']) or '-':<21} {lag:>8}  {_one_line(fresh)}"
                )
            for stream in row["streams"]:  # each failing stream on its own line (a denied namespace)
                if stream["state"] == "error":
                    where = f"{stream['resource']} in {stream['namespace'] or 'all namespaces'}"
                    self.stdout.write(f"  {where:<38} {'error':<15} {_one_line(stream['last_error'])}")
        for row in recordings:  # imported, not watched: LAST EVENT is the end of the recording's data
            self.stdout.write(
                f"{row['name']:<24} {row['state']:<15} {row['pods']:>5} {row['stuck']:>5} "
                f"{format_time(row['observed_until']) or '-':<21} {'-':>8}"
            )


def _one_line(text: str) -> str:
    """The whole of an error (untrusted text from the cluster) on one line, without control characters."""
    joined = " ".join(line.strip() for line in (text or "").splitlines() if line.strip())
    return "".join(ch if ch.isprintable() else "?" for ch in joined)
