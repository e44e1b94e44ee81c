"""`manage.py serve [--demo] [--host H] [--port P]`: run all of Initscope in one command.

One process: Daphne serves the ASGI application (pages, API, WebSockets) in the main thread; a Celery
worker (queues `watch` and `default`) and beat run in threads beside it, because the embedded defaults
(the in-memory channel layer, the memory:// broker) only work inside one process. With REDIS_URL and
DATABASE_URL set, the same command uses them. `--demo` (loopback addresses only) also imports the bundled
sample recordings as cluster `samples`, starts kubesim's `demo` scenario in-process as the watched cluster
`demo` (its kubeconfig in this instance's own temporary folder, printed at start), and makes the login
`demo` / `demo` (or INITSCOPE_DEMO_PASSWORD); outside demo mode there is no default user. Ctrl-C (or
SIGTERM) stops Daphne, then beat, the worker and kubesim; nothing is left running.

Several instances on one checkout: each needs its own port, and with `--demo` its own database (another
INITSCOPE_VAR_DIR for SQLite, or another DATABASE_URL; with REDIS_URL, another Redis database too, since
the broker, the channel layer and the watch locks live there). A second `serve --demo` on a database that
a running one uses refuses to start (exit status 1) and names the database; once the first has stopped,
however it stopped, the next one takes over at once.
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import os
import sys
import threading
from pathlib import Path

from daphne.cli import CommandLineInterface
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from access.models import Grant
from access.scope import ANY_CLUSTER
from pods.ingest.imports import import_paths
from pods.management.commands._allinone import (
    DemoClaim,
    DemoCluster,
    EmbeddedBeat,
    EmbeddedWorker,
    RuntimeDir,
)

SAMPLES = Path(settings.BASE_DIR) / "samples"
DEMO_GRANT = "serve --demo"  # the `managed_by` of the demo login's grant
STOP_TIMEOUT = 3.0
log = logging.getLogger("initscope.serve")


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
    help = "Serve Initscope: ASGI server, Celery worker and beat in one process. --demo adds kubesim."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--demo", action="store_true", help="samples, kubesim's demo cluster, demo login")
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument(
            "--speed",
            type=float,
            default=settings.INITSCOPE_DEMO_SPEED,
            help="kubesim's clock speed in --demo (default 1: real time; above 1 its times run ahead of "
            "the wall clock, so times in step read short)",
        )
        parser.add_argument("--no-worker", action="store_true", help="serve only (workers run elsewhere)")

    def handle(self, *args, **options) -> None:
        host, port, demo = options["host"], options["port"], options["demo"]
        if demo and not _is_loopback(host):
            raise CommandError("--demo creates a known login, so it only serves on a loopback address")
        Path(settings.VAR_DIR).mkdir(parents=True, exist_ok=True)
        parts: list = []
        try:
            if demo:
                self._claim_database(parts, host, port)
            call_command("migrate", interactive=False, verbosity=0)
            folder = RuntimeDir()
            parts.append(("folder", folder))
            login = self._prepare_demo(options, parts, folder.path) if demo else ""
            if not options["no_worker"]:
                self._start_celery(parts, folder.path)
            self._banner(host, port, login)
            CommandLineInterface().run(["--bind", host, "--port", str(port), "dashboard.asgi:application"])
        finally:
            self._stop(parts)

    def _claim_database(self, parts: list, host: str, port: int) -> None:
        """Hold the database for this demo, or refuse: another `serve --demo` is using it."""
        claim = DemoClaim()
        if not claim.acquire():
            holder = claim.holder()
            raise CommandError(
                f"another `manage.py serve --demo`{f' ({holder})' if holder else ''} is using "
                f"{claim.describe()}. Two demos on one database would watch two simulators as the one "
                "cluster `demo` and close each other's Pods. Stop that one, or give this one its own "
                "database: INITSCOPE_VAR_DIR=<another folder> (SQLite) or DATABASE_URL=<another database>."
            )
        parts.append(("claim", claim))
        claim.note(f"pid {os.getpid()}, http://{host}:{port}/")

    def _prepare_demo(self, options: dict, parts: list, folder: Path) -> str:
        """Import the samples, start kubesim's demo cluster, make the demo login; returns the login line."""
        report = import_paths(cluster_name="samples", paths=sample_paths())
        self.stdout.write(f"loaded {report.records:,} records from {len(sample_paths())} sample recordings")
        cluster = DemoCluster(speed=options["speed"], folder=folder)
        parts.append(("kubesim", cluster))
        url = cluster.start()
        self.stdout.write(f"kubesim is playing the demo scenario at {url} (speed {options['speed']:g}x)")
        self.stdout.write(f"its kubeconfig (context demo), while this runs: {cluster.kubeconfig}")
        password = settings.INITSCOPE_DEMO_PASSWORD
        user, _ = get_user_model().objects.get_or_create(username="demo")
        user.set_password(password)
        user.save()
        # The demo login sees every cluster and its logs (docs/operations.md, "Access control").
        Grant.objects.update_or_create(
            user=user,
            managed_by=DEMO_GRANT,
            defaults={"cluster": ANY_CLUSTER, "namespaces": None, "logs": True},
        )
        return f"  login: demo / {password}\n"

    def _start_celery(self, parts: list, folder: Path) -> None:
        from dashboard.celery import app
        from pods import tasks

        clusters = len(getattr(settings, "INITSCOPE_CLUSTERS", []) or [])
        worker = EmbeddedWorker(app, concurrency=clusters + 2)
        parts.append(("worker", worker))
        worker.start()
        beat = EmbeddedBeat(app, folder=folder)
        parts.append(("beat", beat))
        beat.start()
        tasks.ensure_watchers.delay()  # start watching now rather than at beat's first tick

    def _banner(self, host: str, port: int, login: str) -> None:
        shown = f"[{host}]" if ":" in host else host
        self.stdout.write(f"\nInitscope is serving on http://{shown}:{port}/\n{login}(Ctrl-C stops it)\n")
        self.stdout.flush()

    def _stop(self, parts: list) -> None:
        """Stop beat, the worker and kubesim (newest first), each within STOP_TIMEOUT seconds."""
        if not parts:  # refused before anything started
            return
        stuck = []
        for name, part in reversed(parts):
            with contextlib.suppress(Exception):
                if not part.stop(STOP_TIMEOUT):
                    stuck.append(name)
        self.stdout.write("Initscope stopped.\n")
        self.stdout.flush()
        busy = [t.name for t in threading.enumerate() if t is not threading.main_thread() and t.is_alive()]
        if stuck or busy:
            # A watch task in the middle of its window would keep the interpreter alive (Celery's thread
            # pool is joined at exit) until the window ends; everything it wrote is committed, so leave.
            log.info("leaving %d busy thread(s) behind (%s)", len(busy), ", ".join(stuck) or "tasks")
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(0)
