"""`manage.py audit export [--since WHEN] [--output FILE]`: the audit log as JSON lines, oldest first.
WHEN: an ISO 8601 time (UTC unless it says) or an age such as `7d`, `12h`, `30m`."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from accounts import audit

AGE = re.compile(r"^(\d+)([dhm])$")
UNITS = {"d": "days", "h": "hours", "m": "minutes"}


def parse_since(text: str) -> datetime:
    match = AGE.match(text)
    if match:
        return timezone.now() - timedelta(**{UNITS[match.group(2)]: int(match.group(1))})
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise CommandError(f"--since {text!r}: give an ISO 8601 time or an age such as 7d, 12h, 30m")
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class Command(BaseCommand):
    help = "Export the audit log as JSON lines."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        export = sub.add_parser("export", help="Write the audit log as JSON lines, oldest first.")
        export.add_argument("--since", default="", help="ISO 8601 time or an age (7d, 12h, 30m).")
        export.add_argument("--output", default="-", help="A file (default: standard output).")

    def handle(self, *args: Any, **options: Any) -> None:
        moment = parse_since(options["since"]) if options["since"] else None
        lines = audit.json_lines(audit.since(moment))
        if options["output"] == "-":
            for line in lines:
                self.stdout.write(line.decode(), ending="")
            return
        with open(options["output"], "wb") as out:
            out.writelines(lines)
