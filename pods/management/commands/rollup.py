"""`manage.py rollup [--since S] [--until U] [--all] [--marked]`: (re)build the hourly rollups of the reports
from raw rows (pods.reports.rollup_build).

`--since`/`--until` (ISO 8601 or relative, as the reports read them; rounded out to whole hours) or `--all`:
every hour of the range that holds raw rows or rollups is recomputed and its rollups replaced, whatever
the raw horizon (imports of old recordings, the bench): the rollups then say what raw rows hold now.
`--marked`: what the beat task does, once (the hours ingest marked, oldest first, within the horizon).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from pods.reports import rollup_build
from pods.reports.period import HELP as PERIOD_HELP
from pods.reports.period import Period, PeriodError, parse_moment
from pods.reports.rollups import whole_hours
from pods.timeline.times import format_time


class Command(BaseCommand):
    help = "Rebuild the hourly rollups of a range (--since/--until, or --all) or of the marked hours."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--since", default="", help=PERIOD_HELP)
        parser.add_argument("--until", default="", help="default: now")
        parser.add_argument("--all", action="store_true", help="every hour that holds raw rows or rollups")
        parser.add_argument("--marked", action="store_true", help="the hours ingest marked (the beat task)")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["marked"]:
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
        hours, rows = rollup_build.rebuild(since, until)
        begin = format_time(since) if since else "the first hour"
        span = f"from {begin} until {format_time(until) if until else 'now'}"
        self.stdout.write(f"{hours} hours recomputed {span}: {rows} rollup rows")
