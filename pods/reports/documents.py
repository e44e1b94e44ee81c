"""The report document (`{"since", "until", "source", "rows"}`) and its CSV form: one function for the API
and the CLI (`--format json` prints exactly what the API answers)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import orjson

from pods.reports import queries
from pods.reports.period import Period, parse_period
from pods.timeline.times import format_time

RAW = "raw"
# Where a report's rows come from: raw rows for every period for now. A rollup source (a later slice) is
# another entry, chosen by `source_for` when raw rows no longer cover the period.
SOURCES: dict[str, Callable[[str, queries.ReportFilters, Period], list[dict[str, Any]]]] = {
    RAW: queries.rows,
}


def source_for(period: Period) -> str:
    """Which source answers a report over `period`."""
    return RAW


def report(name: str, filters: queries.ReportFilters, period: Period) -> dict[str, Any]:
    """The report `name` (one of `queries.REPORTS`) over `period`."""
    if name not in queries.REPORTS:
        raise ValueError(f"no report {name!r}")
    source = source_for(period)
    return {
        "since": format_time(period.since),
        "until": format_time(period.until),
        "source": source,
        "rows": SOURCES[source](name, filters, period),
    }


def report_document(name: str, params: dict[str, Any], now: datetime | None = None) -> dict[str, Any]:
    """The report `name` for the query parameters `params` (`cluster`, `namespace`, `workload`,
    `container`, `since`, `until` as text): what the API answers and `manage.py report --format json`
    prints. A bad period raises `PeriodError`."""
    period = parse_period(params.get("since"), params.get("until"), now or datetime.now(UTC))
    filters = queries.ReportFilters(
        cluster=params.get("cluster") or "",
        namespace=params.get("namespace") or "",
        workload=params.get("workload") or "",
        container=params.get("container") or "",
    )
    return report(name, filters, period)


def csv_cell(value: Any) -> str:
    """A value as a CSV cell: null is empty, booleans `true`/`false`, lists (top reasons) compact JSON."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | dict):
        return orjson.dumps(value).decode()
    return str(value)


def csv_text(name: str, document: dict[str, Any]) -> str:
    """The document's rows as CSV with a header of the report's fields (in the API's order)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    fields = queries.FIELDS[name]
    writer.writerow(fields)
    for row in document["rows"]:
        writer.writerow([csv_cell(row[f]) for f in fields])
    return out.getvalue()
