"""`manage.py load_access FILE [--managed-by KEY]`: make the grants a YAML file lists the grants it manages
(`access.loading`; idempotent). A bad file changes nothing and exits with the lines that are wrong."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from access import loading


class Command(BaseCommand):
    help = "Load grants from a YAML file: replaces exactly the grants this file manages (docs/operations.md)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the YAML file (`grants:` list)")
        parser.add_argument(
            "--managed-by",
            default="",
            help="the key of the grants this file manages (default: the file's absolute path); keep it "
            "stable when the file moves",
        )

    def handle(self, *args, **options) -> None:
        path = Path(options["file"])
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise CommandError(f"cannot read {path}: {exc.strerror or exc}") from None
        try:
            wanted = loading.parse(text)
        except loading.AccessFileError as exc:
            raise CommandError(f"{path}: nothing changed:\n{exc}") from None
        key = options["managed_by"] or str(path.resolve())
        outcome = loading.apply(wanted, managed_by=key)
        for name in outcome.users_created:
            self.stdout.write(f"created user {name} (no password: single sign-on, or an admin sets one)")
        for name in outcome.groups_created:
            self.stdout.write(f"created group {name}")
        self.stdout.write(
            f"{key}: {outcome.added} grant(s) added, {outcome.removed} removed, {outcome.kept} unchanged"
        )
