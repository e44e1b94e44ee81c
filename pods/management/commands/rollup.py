"""`manage.py rollup [--since S] [--until U] [--all] [--marked]`: (re)build the hourly rollups of the reports
from raw rows (pods.reports.rollup_build).

`--since`/`--until` (ISO 8601 or relative, as the reports read them; rounded out to whole hours) or `--all`:
every hour of the range that holds raw rows or rollups is recomputed and its rollups replaced, whatever
the raw horizon (imports of old recordings, the bench): the rollups then say what raw rows hold now.
`--marked`: what the beat task does, once (the hours ingest marked, oldest first, within the horizon).
`--samples` (with `--since` or `--all`, PostgreSQL): only the raw report's samples, of every hour from
`--since` on, in one set-based pass per cluster (`rollup_build.fill_samples`): a large history's first
start, instead of the beat task computing its hours one by one.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from pods.models import Cluster
from pods.reports import rollup_build
from pods.reports.hourly import HOUR
from pods.reports.period import HELP as PERIOD_HELP
from pods.reports.period import Period, PeriodError, parse_moment
from pods.reports.rollups import whole_hours
from pods.timeline.times import UNIX_EPOCH, format_time


class Command(BaseCommand):
    help = "Rebuild the hourly rollups of a range (--since/--until, or --all) or of the marked hours."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--since", default="", help=PERIOD_HELP)
        parser.add_argument("--until", default="", help="default: now")
        parser.add_argument("--all", action="store_true", help="every hour that holds raw rows or rollups")
        parser.add_argument("--marked", action="store_true", help="the hours ingest marked (the beat task)")
        parser.add_argument(
            "--samples", action="store_true", help="only the raw report's samples, set-based (PostgreSQL)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["marked"]:
            rollup_build.cover_samples()
            result = rollup_build.run_marks(limit=10**9)
            self.stdout.write(
                f"{result.recomputed} marked hours recomputed, {result.remarked} marked again meanwhile, "
                f"{result.expired} older than the raw horizon dropped"
            )
            return
        if not options["all"] and not options["since"]:
            raise CommandError("say which hours: --since S [--until U], --all or --marked")
        now = datetime.now(UTC)
        try:
            since = None if options["all"] else parse_moment(options["since"], now, "since")
            until = parse_moment(options["until"], now, "until") if options["until"] else None
        except PeriodError as exc:
            raise CommandError(f"--{exc.field}: {exc}")
        if since is not None:
            since = whole_hours(Period(since, since)).since
        if until is not None:
            until = whole_hours(Period(until, until)).until
        if since is not None and until is not None and since >= until:
            raise CommandError("--since must be before --until")
        if options["samples"]:
            self._samples(since, until, now)
            return
        hours, rows = rollup_build.rebuild(since, until)
        begin = format_time(since) if since else "the first hour"
        span = f"from {begin} until {format_time(until) if until else 'now'}"
        self.stdout.write(f"{hours} hours recomputed {span}: {rows} rollup rows")

    def _samples(self, since: datetime | None, until: datetime | None, now: datetime) -> None:
        if connection.vendor != "postgresql":
            raise CommandError("--samples needs PostgreSQL (the beat task computes them elsewhere)")
        if until is not None:
            raise CommandError("--samples covers every hour from --since on: no --until")
        begin = since or UNIX_EPOCH
        end = whole_hours(Period(now, now)).until + HOUR
        for cluster_id, name in Cluster.objects.values_list("id", "name"):
            rows = rollup_build.fill_samples(cluster_id, begin, end)
            self.stdout.write(f"{name}: samples of {rows} hours and keys from {format_time(begin)}")
