"""`manage.py report init-containers|pod-startup|nodes|resources`: the reports of `pods.reports` in the
terminal, as CSV, or as JSON (`--format json`: exactly the API's document, `GET /api/v1/reports/<report>`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson
from django.core.management.base import BaseCommand, CommandError, CommandParser

from pods import reports
from pods.reports import resources
from pods.reports.period import HELP as PERIOD_HELP
from pods.timeline.times import format_duration

Column = tuple[str, str, Callable[[Any], str]]


def _clean(text: Any) -> str:
    # Cluster strings are untrusted: keep control characters (and terminal escapes) off the screen.
    return "".join(ch if ch.isprintable() else "?" for ch in str(text or ""))


def _seconds(value: float | None) -> str:
    return "-" if value is None else format_duration(value)


def _rate(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.1f}%"


def _reasons(value: list[dict]) -> str:
    return ", ".join(
        f"{_clean(r['reason']) or '?'}" + (f"({r['exit_code']})" if r["exit_code"] is not None else "")
        + f" x{r['count']}"
        for r in value[:2]
    )  # fmt: skip


_WORKLOAD: list[Column] = [
    ("CLUSTER", "cluster", _clean),
    ("NAMESPACE", "namespace", _clean),
    ("WORKLOAD", "", _clean),  # Kind/name
]
# Pods, attempts, failures and the duration percentiles: the same columns in two reports.
_ATTEMPTS: list[Column] = [
    ("PODS", "pods", str),
    ("ATTEMPTS", "attempts", str),
    ("FAILED", "failed", str),
    ("RATE", "failure_rate", _rate),
    ("P50", "duration_p50", _seconds),
    ("P95", "duration_p95", _seconds),
]
COLUMNS: dict[str, list[Column]] = {
    reports.INIT_CONTAINERS: [
        *_WORKLOAD,
        ("CONTAINER", "container", _clean),
        ("KIND", "kind", _clean),
        *_ATTEMPTS,
        ("P99", "duration_p99", _seconds),
        ("MAX", "duration_max", _seconds),
        ("PULLS", "pull_count", str),
        ("PULL P50", "pull_p50", _seconds),
        ("PRESENT", "already_present", str),
        ("TOP REASONS", "top_reasons", _reasons),
    ],
    reports.POD_STARTUP: [
        *_WORKLOAD,
        ("PODS", "pods", str),
        ("SCHED P50", "scheduled_p50", _seconds),
        ("SCHED P95", "scheduled_p95", _seconds),
        ("INIT P50", "initialized_p50", _seconds),
        ("INIT P95", "initialized_p95", _seconds),
        ("INIT MAX", "initialized_max", _seconds),
        ("READY", "ready", str),
        ("READY P50", "ready_p50", _seconds),
        ("READY P95", "ready_p95", _seconds),
        ("READY MAX", "ready_max", _seconds),
    ],
    reports.NODES: [
        ("CLUSTER", "cluster", _clean),
        ("NODE", "node", lambda v: _clean(v) or "(none)"),
        *_ATTEMPTS,
        ("PULLS", "pull_count", str),
        ("PULL P50", "pull_p50", _seconds),
        ("PULL P95", "pull_p95", _seconds),
        ("PRESENT", "already_present", str),
    ],
}


def _pairs(value: dict | None) -> str:
    return " ".join(f"{_clean(k)}={_clean(v)}" for k, v in (value or {}).items()) or "-"


def _dominates(value: list[dict]) -> str:
    return ", ".join(f"{_clean(d['resource'])} +{_clean(d['margin'])}" for d in value) or "-"


def _oom(row: dict) -> str:
    return f"{row['oom_killed']} ({_rate(row['oom_rate'])})" if row["oom_killed"] else "0"


COLUMNS[resources.RESOURCES] = [
    *_WORKLOAD,
    ("CONTAINER", "container", _clean),
    ("KIND", "kind", _clean),
    ("PODS", "pods", str),
    ("REQUESTS", "requests", _pairs),
    ("LIMITS", "limits", _pairs),
    ("VARIED", "varied", lambda v: "yes" if v else ""),
    ("POD EFFECTIVE", "effective_requests", _pairs),
    ("SETS (MARGIN)", "dominates", _dominates),
    ("ATTEMPTS", "attempts", str),
    ("OOM KILLED", "*", _oom),
    ("MEM LIMIT", "memory_limit", lambda v: _clean(v) if v else "none"),
]


def render_report(name: str, document: dict) -> str:
    """The document as a table, after a line naming the period and the source."""
    head = f"{name} from {document['since']} until {document['until']} (source: {document['source']})"
    if not document["rows"]:
        return head + "\nno rows"
    columns = COLUMNS[name]
    table = [[title for title, _, _ in columns]]
    for row in document["rows"]:
        workload = f"{row.get('workload_kind')}/{row.get('workload')}"
        # field "": the workload as Kind/name; "*": the whole row
        table.append(
            [show(row if field == "*" else row[field] if field else workload) for _, field, show in columns]
        )
    widths = [max(len(r[i]) for r in table) for i in range(len(columns))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip() for r in table]
    return "\n".join([head, *lines])


class Command(BaseCommand):
    help = (
        "Reports over a period: init containers, Pod startup per workload, init containers per node, "
        "resources per init container (requests, limits, the effective request, OOM kills)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("report", choices=(*reports.REPORTS, resources.RESOURCES))
        parser.add_argument("--cluster", default="")
        parser.add_argument("--namespace", default="")
        parser.add_argument("--workload", default="", help="`name` or `Kind/name`")
        parser.add_argument("--container", default="")
        parser.add_argument("--since", default="", help="default: 7 days before --until. " + PERIOD_HELP)
        parser.add_argument("--until", default="", help="default: now")
        parser.add_argument("--format", choices=("table", "csv", "json"), default="table")
        parser.add_argument(
            "--source",
            choices=("raw", "rollup"),
            default="",
            help="raw rows or hourly rollups (default: raw while they cover --since; docs/reports.md)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        name = options["report"]
        try:
            if name == resources.RESOURCES:
                document = resources.resources_document(options)
            else:
                document = reports.report_document(name, options)
        except reports.PeriodError as exc:
            raise CommandError(f"--{exc.field}: {exc}")
        if options["format"] == "json":
            self.stdout.write(orjson.dumps(document).decode())
        elif options["format"] == "csv":
            if name == resources.RESOURCES:
                self.stdout.write(resources.csv_text(document), ending="")
            else:
                self.stdout.write(reports.csv_text(name, document), ending="")
        else:
            self.stdout.write(render_report(name, document))
