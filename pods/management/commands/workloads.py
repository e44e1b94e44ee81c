"""`manage.py workloads list`: workloads, stuck first (Pods that should exist do not), in the terminal or
as JSON lines (the API's shape, `GET /api/v1/workloads`)."""

from __future__ import annotations

import orjson
from django.core.management.base import BaseCommand, CommandParser

from pods import selectors
from pods.management.terminal import render_workloads


class Command(BaseCommand):
    help = "List workloads with their Pod counts and diagnosis (create-failed: Pods cannot be created)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        listing = sub.add_parser("list", help="workloads, stuck ones first")
        listing.add_argument("--cluster", default="")
        listing.add_argument("--namespace", default="")
        listing.add_argument("--stuck", action="store_true", help="only workloads with a diagnosis")
        listing.add_argument("--limit", type=int, default=100)
        listing.add_argument("--json", action="store_true", help="JSON lines, one workload each")

    def handle(self, *args, **options) -> None:
        filters = selectors.WorkloadFilters(
            cluster=options["cluster"],
            namespace=options["namespace"],
            stuck=True if options["stuck"] else None,
        )
        rows = selectors.workload_summaries(selectors.workload_queryset(filters=filters)[: options["limit"]])
        if options["json"]:
            for row in rows:
                self.stdout.write(orjson.dumps(row).decode())
            return
        self.stdout.write(render_workloads(rows) if rows else "no workloads")
