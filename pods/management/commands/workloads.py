"""`manage.py workloads list`: workloads, stuck first (Pods that should exist do not), in the terminal or
as JSON lines (the API's shape, `GET /api/v1/workloads`)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandParser

from pods import selectors
from pods.management.listing import add_list_parser, list_filters, write_list
from pods.management.terminal import render_workloads


class Command(BaseCommand):
    help = "List workloads with their Pod counts and diagnosis (create-failed: Pods cannot be created)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        add_list_parser(
            sub,
            help="workloads, stuck ones first",
            stuck="only workloads with a diagnosis",
            json="JSON lines, one workload each",
        )

    def handle(self, *args, **options) -> None:
        filters = selectors.WorkloadFilters(**list_filters(options))
        rows = selectors.workload_summaries(selectors.workload_queryset(filters=filters)[: options["limit"]])
        write_list(self.stdout, rows, options, render=render_workloads, none="no workloads")
