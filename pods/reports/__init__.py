"""Reports: how long init containers and sidecars take, how often they fail and why, per workload and node,
over a period (docs/reports.md).

Owns the exact definitions (`definitions`, pure: period membership by start, duration, failed with the
placeholders, failure rate, a sidecar's start → started, percentiles like PostgreSQL's `percentile_cont`,
top reasons), the period of a report (`period`: ISO 8601 or relative times), the queries over raw rows
(`queries`: SQL with `percentile_cont` on PostgreSQL, the pure definitions in Python elsewhere, the same
answers) and the one document the API, the CLI and the CSV export serve (`documents`). The document says
which source answered (`source`): raw rows while they cover the period, else the hourly rollups
(`rollups` reads them within a stated bound; `hourly` and `histogram` compute them, pure; `rollup_build`
keeps them up to date from the hours ingest marks). On PostgreSQL the raw init-containers report reads
most of a long period from exact samples of the raw rows that the rollup task keeps beside the rollups
(`samples`, pure; `sample_rows`), and the rest from raw rows.
"""

from __future__ import annotations

from .documents import csv_text, report, report_document
from .period import Period, PeriodError, parse_period
from .queries import FIELDS, INIT_CONTAINERS, NODES, POD_STARTUP, REPORTS, ReportFilters

__all__ = [
    "FIELDS",
    "INIT_CONTAINERS",
    "NODES",
    "POD_STARTUP",
    "REPORTS",
    "Period",
    "PeriodError",
    "ReportFilters",
    "csv_text",
    "parse_period",
    "report",
    "report_document",
]
