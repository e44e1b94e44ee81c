"""`manage.py import_watch --cluster NAME FILE...`: import recorded watch streams and object dumps."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError, CommandParser

from pods.ingest.imports import ImportReport, import_paths

MAX_LISTED_REJECTIONS = 50


class Command(BaseCommand):
    help = (
        "Import Pods and Events from files: JSON lines of watch events, the pretty JSON of "
        "`kubectl get pods -A -w --output-watch-events -o json`, bare objects or List objects "
        "(`kubectl get pods,events -A -o json`), core/v1 or events.k8s.io/v1 Events. `-` reads stdin."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("files", nargs="+", metavar="FILE")
        parser.add_argument("--cluster", required=True, help="The cluster the recording comes from.")
        parser.add_argument("--batch-size", type=int, default=None)

    def handle(self, *args, **options) -> None:
        started = time.monotonic()

        def progress(report: ImportReport, position: str) -> None:
            rate = report.records / max(time.monotonic() - started, 1e-6)
            self.stderr.write(f"  {report.records:,} records ({rate:,.0f}/s), at {position}")

        try:
            report = import_paths(
                cluster_name=options["cluster"],
                paths=options["files"],
                batch_size=options["batch_size"],
                progress=progress,
                tune_gc=True,
            )
        except FileNotFoundError as exc:
            raise CommandError(f"cannot read {exc.filename}: no such file")
        elapsed = time.monotonic() - started
        for position, message in report.notices[:MAX_LISTED_REJECTIONS]:
            self.stderr.write(f"note {position}: {message}")
        for position, reason in report.rejected[:MAX_LISTED_REJECTIONS]:
            self.stderr.write(f"rejected {position}: {reason}")
        if len(report.rejected) > MAX_LISTED_REJECTIONS:
            self.stderr.write(f"... and {len(report.rejected) - MAX_LISTED_REJECTIONS} more rejected")
        self.stdout.write(
            f"imported {report.records:,} records into cluster {options['cluster']!r} in {elapsed:.1f}s: "
            f"{len(report.pods_changed):,} Pods changed, {report.events:,} Events; "
            f"{len(report.rejected):,} rejected"
        )
        if report.related_events:
            n = report.related_events
            self.stdout.write(f"{n:,} Event{'s' if n != 1 else ''} about workloads, Nodes and PVCs kept")
        if report.skipped:
            self.stdout.write(report.skipped_text())
        if report.rejected:
            raise CommandError(f"{len(report.rejected)} record(s) rejected", returncode=2)
