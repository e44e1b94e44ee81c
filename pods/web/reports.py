"""The Reports page (`/reports/`): the init-containers, pod-startup and nodes reports of `pods.reports` over a
period, with filters, sorting and exports; and one init-container row (`/reports/row/`): its trend per hour
or day (drawn by report-chart.js with uPlot) and its slowest and failed Pods, each linking to its waterfall.

Thin, like the other pages: the numbers come from the report documents the API serves (`pods.reports`),
formatted here with the project's formatters (`format_duration`), and the definitions shown as help text are
`pods.reports.help` (docs/reports.md's words). The row view renders the whole page, or with `fragment=1` the
part reports.js inserts under a row of the table.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_GET

from access.grants import scope_of
from pods import reports, selectors
from pods.reports import drill, help, trend
from pods.reports.documents import RAW, source_for
from pods.reports.period import PeriodError
from pods.timeline.times import format_duration
from pods.web.views import MAX_PARAM

FILTERS = ("cluster", "namespace", "workload", "container")
PERIOD = ("since", "until")
SOURCES = (("", "Automatic"), ("raw", "Raw rows (exact)"), ("rollup", "Hourly rollups"))
DEFAULT_SINCE = "-7d"
PRESETS = (("24h", "-24h"), ("7d", "-7d"), ("30d", "-30d"))
TABS = (
    (reports.INIT_CONTAINERS, "Init containers"),
    (reports.POD_STARTUP, "Pod startup"),
    (reports.NODES, "Nodes"),
)
PODS_SHOWN = 10


@dataclass(frozen=True, slots=True)
class Column:
    field: str  # the row field it shows and sorts by
    label: str
    kind: str = "int"  # text | int | seconds | rate | workload | container | reasons
    title: str = ""


_WORKLOAD = (
    Column("cluster", "Cluster", "text"),
    Column("namespace", "Namespace", "text"),
    Column("workload", "Workload", "workload"),
)
# Attempts and their p50/p95 durations, and the image pulls: the init-containers and the nodes reports.
_ATTEMPTS = (
    Column("pods", "Pods"),
    Column("attempts", "Attempts"),
    Column("failed", "Failed"),
    Column("failure_rate", "Failure rate", "rate"),
    Column("duration_p50", "p50", "seconds", "Median duration"),
    Column("duration_p95", "p95", "seconds", "95th percentile duration"),
)
_PULLS = (
    Column("pull_count", "Pulls", "int", "Measured image pulls"),
    Column("pull_p50", "Pull p50", "seconds"),
    Column("pull_p95", "Pull p95", "seconds"),
    Column("queue_wait_p50", "Wait p50", "seconds", "Median wait before the pull started"),
    Column("already_present", "Present", "int", "Pulls of an image already present"),
)
COLUMNS: dict[str, tuple[Column, ...]] = {
    reports.INIT_CONTAINERS: (
        *_WORKLOAD,
        Column("container", "Container", "container"),
        *_ATTEMPTS,
        Column("duration_p99", "p99", "seconds", "99th percentile duration"),
        Column("duration_max", "Max", "seconds", "Longest duration"),
        *_PULLS,
        Column("top_reasons", "Top reasons", "reasons"),
    ),
    reports.POD_STARTUP: (
        *_WORKLOAD,
        Column("pods", "Pods", "int", "Pods created in the period"),
        *(
            column
            for step, label in (
                ("scheduled", "Scheduled"),
                ("initialized", "Initialized"),
                ("ready", "Ready"),
            )
            for column in (
                Column(step, label, "int", f"Pods that reached {label}"),
                Column(f"{step}_p50", "p50", "seconds", f"created → {label}, median"),
                Column(f"{step}_p95", "p95", "seconds", f"created → {label}, 95th percentile"),
                Column(f"{step}_max", "Max", "seconds", f"created → {label}, longest"),
            )
        ),
    ),
    reports.NODES: (
        Column("cluster", "Cluster", "text"),
        Column("node", "Node", "text"),
        *_ATTEMPTS,
        *_PULLS,
    ),
}


def _params(query: QueryDict) -> dict[str, str]:
    """The report's parameters as text (`since` defaults to the last 7 days; `source` "": automatic)."""
    params = {name: (query.get(name) or "").strip()[:MAX_PARAM] for name in (*FILTERS, *PERIOD)}
    params["since"] = params["since"] or DEFAULT_SINCE
    source = (query.get("source") or "").strip()
    params["source"] = source if source in dict(SOURCES) else ""
    return params


def cell_text(kind: str, value: Any) -> str:
    """A number as the page shows it: durations in the project's one format, rates in percent."""
    if value is None:
        return "—"
    if kind == "seconds":
        return format_duration(value)
    if kind == "rate":
        return f"{value * 100:.1f}%"
    return str(value)


def _sort_key(field: str):
    """Rows by `field`, missing values (null) last whichever the direction."""

    def key(row: dict) -> tuple:
        value = row.get(field)
        if field == "workload":
            value = f"{row['workload_kind']}/{row['workload']}"
        elif field == "top_reasons":
            value = sum(r["count"] for r in row["top_reasons"])
        return (value is None, value if value is not None else 0)

    return key


def sorted_rows(rows: list[dict], sort: str, columns: tuple[Column, ...]) -> tuple[list[dict], str]:
    """`rows` by `sort` (`field` ascending, `-field` descending; unknown: the report's own order)."""
    field = sort.lstrip("-")
    if field not in {c.field for c in columns}:
        return rows, ""
    present = [r for r in rows if _sort_key(field)(r)[0] is False]
    missing = [r for r in rows if _sort_key(field)(r)[0] is True]
    present.sort(key=_sort_key(field), reverse=sort.startswith("-"))
    return present + missing, sort


def _row_query(row: dict, document: dict) -> str:
    """The query string of one init-container row over the document's period."""
    return urlencode(
        {
            "cluster": row["cluster"],
            "namespace": row["namespace"],
            "workload": f"{row['workload_kind']}/{row['workload']}",
            "container": row["container"],
            "since": document["since"],
            "until": document["until"],
        }
    )


@require_GET
def reports_page(request: HttpRequest) -> HttpResponse:
    """A report over a period as a table: filters, presets, sorting, CSV/JSON exports, the definitions."""
    tabs = dict(TABS)
    tab = request.GET.get("report") or reports.INIT_CONTAINERS
    tab = tab if tab in tabs else reports.INIT_CONTAINERS
    params = _params(request.GET)
    scope = scope_of(request)
    columns = COLUMNS[tab]
    context: dict[str, Any] = {
        "nav": "reports",
        "tab": tab,
        "tabs": TABS,
        "params": params,
        "presets": PRESETS,
        "sources": SOURCES,
        "columns": columns,
        "clusters": selectors.cluster_names(scope=scope),
        "namespaces": selectors.namespaces(cluster=params["cluster"], scope=scope),
        "no_access": scope.empty,
        "help": _help(tab),
        "percentiles": help.as_html(help.PERCENTILES),
        "period_help": help.as_html(help.PERIOD),
    }
    try:
        document = reports.report_document(tab, {**params, "scope": scope})
    except PeriodError as exc:
        context.update(error=f"{exc.field}: {exc}", rows=[], document=None)
        return render(request, "pods/reports.html", context, status=400)
    rows, sort = sorted_rows(document["rows"], request.GET.get("sort") or "", columns)
    api = {**{k: v for k, v in params.items() if v}, "since": document["since"], "until": document["until"]}
    context.update(
        document=document,
        sort_field=sort.lstrip("-"),
        sort_desc=sort.startswith("-"),
        rows=[_table_row(tab, row, document, columns) for row in rows],
        export_json=f"{reverse(f'api:report-{tab}')}?{urlencode(api)}",
        export_csv=f"{reverse(f'api:report-{tab}')}?{urlencode({**api, 'format': 'csv'})}",
        source_note=_source_note(document),
    )
    return render(request, "pods/reports.html", context)


def _table_row(tab: str, row: dict, document: dict, columns: tuple[Column, ...]) -> dict:
    cells = [
        {"column": c, "value": row.get(c.field), "text": cell_text(c.kind, row.get(c.field))} for c in columns
    ]
    return {
        "row": row,
        "cells": cells,
        "query": _row_query(row, document) if tab == reports.INIT_CONTAINERS else "",
    }


def _help(tab: str) -> list[tuple[Any, Any]]:
    if tab == reports.INIT_CONTAINERS:
        return [(help.as_html(term), help.as_html(text)) for term, text in help.INIT_CONTAINER_FIELDS]
    text = help.POD_STARTUP if tab == reports.POD_STARTUP else help.NODES
    return [("", help.as_html(text))]


def _source_note(document: dict) -> str:
    """What the page says about the source: exact over raw rows, or the rollups' stated bound."""
    if document["source"] == "raw":
        return "raw rows: counts and percentiles exact"
    return str(document.get("bound") or "hourly rollups: percentiles approximate (see the stated bound)")


@require_GET
def report_row(request: HttpRequest) -> HttpResponse:
    """One init-container row: its trend per hour or day and its slowest and failed Pods. `fragment=1`: the
    part reports.js inserts under the row (no page around it)."""
    params = _params(request.GET)
    params["bucket"] = (request.GET.get("bucket") or "").strip()[:8]
    params["source"] = RAW  # a row's trend and Pods read raw rows, and so does its summary here
    scope = scope_of(request)
    context: dict[str, Any] = {"nav": "reports", "params": params, "help": help.as_html(help.PERIOD)}
    status = 200
    try:
        document = trend.trend_document({**params, "scope": scope})
        filters = reports.ReportFilters(**{name: params[name] for name in FILTERS}, scope=scope)
        period = reports.parse_period(document["since"], document["until"], datetime.now(UTC))
    except PeriodError as exc:
        context["error"], status = f"{exc.field}: {exc}", 400
    else:
        row_query = {
            **{k: params[k] for k in FILTERS},
            "since": document["since"],
            "until": document["until"],
        }
        context.update(
            trend=document,
            trend_id=f"trend-{zlib.crc32(urlencode(row_query).encode()):08x}",
            buckets=[(name, urlencode({**row_query, "bucket": name})) for name in trend.BUCKETS],
            row_query=urlencode(row_query),
            slowest=drill.row_pods(filters, period, drill.SLOWEST, PODS_SHOWN),
            failed=drill.row_pods(filters, period, drill.FAILED, PODS_SHOWN),
            rows=reports.report_document(reports.INIT_CONTAINERS, {**params, **row_query, "scope": scope})[
                "rows"
            ],
            # Older than the raw horizon: only rollups hold those hours, and they keep no Pods.
            partial=source_for(period) != RAW,
        )
    template = "pods/_report_row.html" if request.GET.get("fragment") else "pods/report_row.html"
    response = render(request, template, context, status=status)
    response["Cache-Control"] = "no-store"
    return response
