"""`manage.py api_docs [--check]`: render the reference part of docs/api.md from the OpenAPI schema."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from pods.api.reference import docs_path, render_reference, schema_document, with_reference


class Command(BaseCommand):
    help = "Write the reference part of docs/api.md from the API's OpenAPI schema (--check: only compare)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--check", action="store_true", help="Fail if docs/api.md is not up to date.")

    def handle(self, *args, check: bool = False, **options) -> None:
        path = docs_path()
        current = path.read_text(encoding="utf-8")
        try:
            wanted = with_reference(current, render_reference(schema_document()))
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        if wanted == current:
            self.stdout.write(f"{path.name} is up to date")
        elif check:
            raise CommandError(f"{path.name} is out of date: run `python manage.py api_docs`")
        else:
            path.write_text(wanted, encoding="utf-8")
            self.stdout.write(f"wrote {path.name}")
