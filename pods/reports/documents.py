"""The report document (`{"since", "until", "source", "rows"}`) and its CSV form: one function for the API
and the CLI (`--format json` prints exactly what the API answers)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import orjson

from pods.reports import histogram, queries, rollups, sample_rows
from pods.reports.period import Period, PeriodError, parse_period
from pods.timeline.times import format_time

RAW, ROLLUP = "raw", "rollup"
# Where a report's rows come from: raw rows (exact) while they cover the period (the init-containers
# report through the samples of raw rows where they cover it: `pods.reports.sample_rows`), else the hourly
# rollups (`pods.reports.rollups`: whole hours, percentiles within `histogram.BOUND`).
SOURCES: dict[str, Callable[[str, queries.ReportFilters, Period], list[dict[str, Any]]]] = {
    RAW: sample_rows.raw_rows,
    ROLLUP: rollups.rows,
}


def source_for(period: Period, now: datetime | None = None) -> str:
    """Which source answers a report over `period`: raw rows unless it starts before the raw horizon."""
    return ROLLUP if period.since < rollups.raw_horizon(now or datetime.now(UTC)) else RAW


def report(
    name: str, filters: queries.ReportFilters, period: Period, source: str = "", now: datetime | None = None
) -> dict[str, Any]:
    """The report `name` (one of `queries.REPORTS`) over `period`, from `source` (`raw`, `rollup`; ""
    chooses by the period). From rollups the period is rounded out to whole hours and the document says
    so, with the bound of its percentiles (`bound`)."""
    if name not in queries.REPORTS:
        raise ValueError(f"no report {name!r}")
    if source and source not in SOURCES:
        raise PeriodError("source", f"no source {source[:20]!r}: `raw` or `rollup`.")
    source = source or source_for(period, now)
    if source == ROLLUP:
        period = rollups.whole_hours(period)
    document: dict[str, Any] = {
        "since": format_time(period.since),
        "until": format_time(period.until),
        "source": source,
    }
    if source == ROLLUP:
        document["bound"] = histogram.BOUND_TEXT
    document["rows"] = SOURCES[source](name, filters, period)
    return document


def report_document(name: str, params: dict[str, Any], now: datetime | None = None) -> dict[str, Any]:
    """The report `name` for the query parameters `params` (`cluster`, `namespace`, `workload`,
    `container`, `since`, `until`, `source` as text): what the API answers and `manage.py report --format
    json` prints. A bad period (or a filter the rollups cannot apply) raises `PeriodError`."""
    now = now or datetime.now(UTC)
    period = parse_period(params.get("since"), params.get("until"), now)
    filters = queries.filters_of(params)
    return report(name, filters, period, params.get("source") or "", now)


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
