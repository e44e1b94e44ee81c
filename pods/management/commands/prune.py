"""`manage.py prune [--dry-run]`: create the partitions ahead and prune what is past retention
(pods.history.retention), printing each step: partitions created and dropped, rows deleted per table,
log tails cleared. `--dry-run` prints what it would do and changes nothing."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandParser

from pods.history.retention import Retention, maintain


class Command(BaseCommand):
    help = (
        "Create partitions ahead and drop or delete what is past retention (INITSCOPE_RETAIN_*_DAYS); "
        "--dry-run prints what it would do."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="print what would be done, change nothing")

    def handle(self, *args, **options) -> None:
        retention = Retention.from_settings()
        dry_run = options["dry_run"]
        self.stdout.write(
            f"retention: Events and log tails {retention.events_days} days, attempts and gone Pods "
            f"{retention.attempts_days} days, rollups {retention.rollups_days} days"
            + (" (dry run: nothing is changed)" if dry_run else "")
        )
        outcome = maintain(dry_run=dry_run, retention=retention)
        would = "would " if dry_run else ""
        for step in outcome.steps:
            self.stdout.write(f"{would}{step}")
        if not outcome.steps:
            self.stdout.write("nothing to do")
