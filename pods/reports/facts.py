"""The attempts of a period as the definitions see them, read once for the Python paths of a row's trend
and its Pods (`trend`, `drill`).

`period_attempts` is `queries.python_attempts` (what `queries.python_rows` groups: the Attempt rows
`filters` select that `definitions.period_time` places in the period, a sidecar's started moment filled in)
with the columns a row's Pods are shown with.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import F

from pods.reports import definitions as d
from pods.reports import queries
from pods.reports.period import Period

# What a row's Pods are shown with, beside the attempt's own columns.
POD_FIELDS = {
    "uid": F("pod__uid"),
    "pod_name": F("pod__name"),
    "namespace_name": F("pod__namespace"),
    "cluster_name": F("pod__cluster__name"),
    "node": F("pod__node"),
    "deleted": F("pod__deleted_at"),
}


@dataclass(frozen=True, slots=True)
class PeriodAttempt:
    """One Attempt row in the period: its columns (`values`), its facts (sidecar moment filled in) and the
    moment that placed it in the period (`definitions.period_time`)."""

    values: dict[str, Any]
    facts: d.AttemptFacts
    moment: datetime


def row_filters(params: dict[str, Any]) -> queries.ReportFilters:
    """The filters of the query parameters (text), as `documents.report_document` reads them."""
    return queries.filters_of(params)


def period_attempts(filters: queries.ReportFilters, period: Period) -> list[PeriodAttempt]:
    """The init-container and sidecar attempts of the Pods `filters` select that belong to `period`."""
    found = queries.python_attempts(
        filters, period, queries.INIT_CONTAINERS, "number", "message", **POD_FIELDS
    )
    return [PeriodAttempt(values, facts, moment) for values, facts, moment in found]
