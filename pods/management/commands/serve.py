"""`manage.py serve [--demo] [--host H] [--port P]`: run Initscope in one command.

Migrates, then serves the ASGI application with Daphne. With `--demo` it also imports the bundled sample
recordings into cluster `samples` (idempotent) and makes the demo login (user `demo`, password `demo` or
INITSCOPE_DEMO_PASSWORD) — only when serving on a loopback address.
"""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path

from daphne.cli import CommandLineInterface
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from pods.importing import import_paths

SAMPLES = Path(settings.BASE_DIR) / "samples"


def sample_paths() -> list[str]:
    paths = sorted(SAMPLES.glob("*.json")) + sorted(SAMPLES.glob("*.jsonl"))
    return [str(p) for p in paths if not p.name.endswith(".expected.json")]


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class Command(BaseCommand):
    help = "Migrate and serve Initscope (ASGI). --demo loads the bundled recordings and a demo login."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--demo", action="store_true")
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)

    def handle(self, *args, **options) -> None:
        host, port = options["host"], options["port"]
        Path(settings.VAR_DIR).mkdir(parents=True, exist_ok=True)
        call_command("migrate", interactive=False, verbosity=0)
        login = ""
        if options["demo"]:
            if not _is_loopback(host):
                raise CommandError("--demo creates a known login, so it only serves on a loopback address")
            report = import_paths(cluster_name="samples", paths=sample_paths())
            self.stdout.write(
                f"loaded {report.records:,} records from {len(sample_paths())} sample recordings"
            )
            password = os.environ.get("INITSCOPE_DEMO_PASSWORD", "demo")
            user, _ = get_user_model().objects.get_or_create(username="demo")
            user.set_password(password)
            user.save()
            login = f"  login: demo / {password}"
        self.stdout.write(f"\nInitscope is serving on http://{host}:{port}/\n{login}\n(Ctrl-C stops it)\n")
        self.stdout.flush()
        CommandLineInterface().run(["--bind", host, "--port", str(port), "dashboard.asgi:application"])
