"""The reports read from the hourly rollups (`source: "rollup"`), and when they answer instead of raw rows.

Raw rows (attempts, Pods) are kept `INITSCOPE_RETAIN_ATTEMPTS_DAYS`; before that, `raw_horizon`, only the
rollups remain (kept `INITSCOPE_RETAIN_ROLLUPS_DAYS`). A report whose period starts before the horizon
reads rollups (`documents.source_for`), and any report can ask for them (`source=rollup`).

A period read from rollups is rounded out to whole hours (`whole_hours`: `since` down, `until` up): the
document's `since`/`until` are the ones used. Counts (`pods`, `attempts`, `failed`, `failure_rate`, the
pull counts) are exact over whole hours; percentiles come from the summed log-bucketed histograms
(`pods.reports.histogram`, within 2% relative); maxima are exact. A period is read as its longest
blocks (`hourly.cover`): its whole calendar months (UTC) in blocks of 12 … 1 months, then blocks of 16 …
1 days and of 16 … 1 hours at both ends (each block's row the sum of the smaller ones that cover it):
about 15 rows per key for a year. Histograms are summed packed (`histogram.Sum`), straight from the
cursor; the carried Pods are read only from the rows that may count them (`carried_from`). The
rows have the same keys, fields and order as raw rows (`queries.FIELDS`), built with the same definitions
(`definitions.rate`, `seconds`, `top_reasons`). Rollups hold each report's key only: the nodes report
reads them by cluster, the pod-startup report by cluster, namespace and workload; other filters answer 400
(`RollupFilterError`).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connections
from django.db.models import Q, QuerySet

from pods.models import InitContainerRollup, NodeRollup, PodStartupRollup
from pods.reports import definitions as d
from pods.reports import histogram as h
from pods.reports.hourly import cover
from pods.reports.period import Period, PeriodError
from pods.reports.queries import (
    FIELDS,
    INIT_CONTAINERS,
    KEYS,
    NODES,
    POD_STARTUP,
    ReportFilters,
)

HOUR_SECONDS = 3600
DAY_SECONDS = 86400


class RollupFilterError(PeriodError):
    """A filter the rollups cannot apply (they keep only the report's key): answered like any bad query
    parameter (400 naming it)."""


def raw_horizon(now: datetime) -> datetime:
    """The oldest moment raw rows still cover: before it, reports read rollups and the rollup task never
    recomputes an hour (raw rows may be partly pruned there)."""
    return now - timedelta(days=settings.INITSCOPE_RETAIN_ATTEMPTS_DAYS)


def whole_hours(period: Period) -> Period:
    """The period rounded out to whole hours (UTC): `since` down, `until` up."""
    since = math.floor(period.since.timestamp() / HOUR_SECONDS) * HOUR_SECONDS
    until = math.ceil(period.until.timestamp() / HOUR_SECONDS) * HOUR_SECONDS
    return Period(datetime.fromtimestamp(since, tz=UTC), datetime.fromtimestamp(until, tz=UTC))


def _workload_q(workload: str) -> Q:
    """`ReportFilters.workload` over rollup keys, as `queries._pod_q` reads it over Pods."""
    kind, _, name = workload.rpartition("/")
    if kind.lower() == "pod":
        return Q(workload_kind="Pod", workload=name)
    if kind:
        return Q(workload_kind__iexact=kind, workload=name) & ~Q(workload_kind="Pod")
    return Q(workload=name)


def _filtered(report: str, filters: ReportFilters, period: Period) -> QuerySet[Any]:
    model: Any = {INIT_CONTAINERS: InitContainerRollup, NODES: NodeRollup, POD_STARTUP: PodStartupRollup}[
        report
    ]
    held = {INIT_CONTAINERS: ("namespace", "workload", "container"), POD_STARTUP: ("namespace", "workload")}
    for name in ("namespace", "workload", "container"):
        if getattr(filters, name) and name not in held.get(report, ()):
            raise RollupFilterError(
                name, f"the {report} report read from hourly rollups cannot filter by {name}."
            )
    qs: QuerySet[Any] = model.objects.filter(_spans(period))
    # The reader's scope: by namespace where the rows have one; a node's rows mix every namespace's Pods,
    # so only a grant of the whole cluster reaches them.
    has_namespace = report in held
    qs = qs.filter(filters.scope.q() if has_namespace else filters.scope.whole_clusters_q())
    if filters.cluster:
        qs = qs.filter(cluster__name=filters.cluster)
    return keyed(qs, filters)


def keyed(qs: QuerySet[Any], filters: ReportFilters) -> QuerySet[Any]:
    """Stored rows keyed like the init-containers report (rollups, report samples) narrowed by the
    filters' namespace, workload and container."""
    if filters.namespace:
        qs = qs.filter(namespace=filters.namespace)
    if filters.workload:
        qs = qs.filter(_workload_q(filters.workload))
    if filters.container:
        qs = qs.filter(container=filters.container)
    return qs


def _spans(period: Period) -> Q:
    """The rows that cover `period` (whole hours) once: its longest blocks (`hourly.cover`)."""
    out = Q(pk__in=[])
    for start, span in cover(period.since, period.until):
        out |= Q(hour=start, span_hours=span)
    return out


def rows(report: str, filters: ReportFilters, period: Period) -> list[dict[str, Any]]:
    """The report's rows from the rollups of the whole hours of `period` (round it with `whole_hours`)."""
    qs = _filtered(report, filters, period)
    keys = KEYS[report]
    since_hour = int(period.since.timestamp() // HOUR_SECONDS)
    names = ["cluster__name", *[k for k in keys if k != "cluster"]]
    make = _StartupSum if report == POD_STARTUP else _AttemptSum
    columns = [c for c in make.COLUMNS if c != "reasons" or report == INIT_CONTAINERS]
    sums: dict[tuple, Any] = {}
    # Straight from the cursor: no per-value converters (histograms are bytes, `reasons` JSON text on
    # PostgreSQL, already decoded elsewhere).
    sql, params = qs.values_list(*names, *columns).query.sql_with_params()
    with connections[qs.db].cursor() as cursor:
        cursor.execute(sql, params)
        fetched = cursor.fetchall()
    width = len(names)
    for v in fetched:
        key = v[:width]
        total = sums.get(key)
        if total is None:
            total = sums[key] = make()
        total.add(v[width:])
    if report != POD_STARTUP:  # the carried Pods that count: only rows carrying one from before `since`
        for v in qs.filter(carried_from__lt=since_hour).values_list(*names, "carried_pods", "carried_pulls"):
            sums[v[: len(names)]].carry(v[-2], v[-1], since_hour)
    out = []
    for key in sorted(sums, key=lambda k: tuple(str(p) for p in k)):
        row = {**dict(zip(keys, key, strict=True)), **sums[key].row(report)}
        out.append({name: row[name] for name in FIELDS[report]})
    return out


def _bytes(value: Any) -> bytes:
    return value if isinstance(value, bytes) else bytes(value or b"")


def _larger(a: float | None, b: float | None) -> float | None:
    return b if a is None else a if b is None else max(a, b)


@dataclass(slots=True)
class _AttemptSum:
    """One key's rows summed: counts, maxima, packed histograms, failures, and the carried Pods and pulls
    of the period (previous hour before `since`)."""

    pods: int = 0
    attempts: int = 0
    finished: int = 0
    failed: int = 0
    already_present: int = 0
    longest: float | None = None
    durations: h.Sum = field(default_factory=h.Sum)
    pulls: h.Sum = field(default_factory=h.Sum)
    waits: h.Sum = field(default_factory=h.Sum)
    reasons: list[tuple[str, int | None, int]] = field(default_factory=list)

    COLUMNS = (
        "pods", "attempts", "finished", "failed", "already_present", "duration_max", "duration_histogram",
        "pull_histogram", "queue_wait_histogram", "reasons",
    )  # fmt: skip

    def add(self, v: tuple[Any, ...]) -> None:
        """One row's `COLUMNS` (`reasons` only in the init-containers report)."""
        pods, attempts, finished, failed, present, longest, durations, pulls, waits, *reasons = v
        self.pods += pods
        self.attempts += attempts
        self.finished += finished
        self.failed += failed
        self.already_present += present
        if longest is not None and (self.longest is None or longest > self.longest):
            self.longest = longest
        self.durations.add(_bytes(durations))
        self.pulls.add(_bytes(pulls))
        self.waits.add(_bytes(waits))
        if reasons and reasons[0] and reasons[0] != "[]":
            found = json.loads(reasons[0]) if isinstance(reasons[0], str) else reasons[0]
            self.reasons.extend((r, code, n) for r, code, n in found)

    def carry(self, pods: Iterable[Any], pulls: Iterable[Any], since_hour: int) -> None:
        self.pods += sum(n for hour, n in pods if hour < since_hour)
        for hour, present, pull_histogram, wait_histogram in pulls:
            if hour < since_hour:
                self.already_present += present
                self.pulls.add(pull_histogram)
                self.waits.add(wait_histogram)

    def row(self, report: str) -> dict[str, Any]:
        p50, p95, p99 = self.durations.percentiles((0.5, 0.95, 0.99), maximum=self.longest)
        pull_p50, pull_p95 = self.pulls.percentiles((0.5, 0.95))
        (wait_p50,) = self.waits.percentiles((0.5,))
        row: dict[str, Any] = {
            "pods": self.pods,
            "attempts": self.attempts,
            "failed": self.failed,
            "failure_rate": d.rate(self.failed, self.finished),
            "duration_p50": d.seconds(p50),
            "duration_p95": d.seconds(p95),
            "duration_p99": d.seconds(p99),
            "duration_max": d.seconds(self.longest),
            "pull_count": self.pulls.count(),
            "pull_p50": d.seconds(pull_p50),
            "pull_p95": d.seconds(pull_p95),
            "queue_wait_p50": d.seconds(wait_p50),
            "already_present": self.already_present,
        }
        if report == INIT_CONTAINERS:
            row["top_reasons"] = d.top_reasons(self.reasons)
        return row


_STEPS = ("scheduled", "initialized", "ready")


@dataclass(slots=True)
class _StartupSum:
    pods: int = 0
    reached: dict[str, int] = field(default_factory=lambda: dict.fromkeys(_STEPS, 0))
    longest: dict[str, float | None] = field(default_factory=lambda: dict.fromkeys(_STEPS))
    sums: dict[str, h.Sum] = field(default_factory=lambda: {step: h.Sum() for step in _STEPS})

    COLUMNS = tuple(
        ["pods"] + [f"{step}{suffix}" for step in _STEPS for suffix in ("", "_max", "_histogram")]
    )

    def add(self, v: tuple[Any, ...]) -> None:
        """One row's `COLUMNS`."""
        self.pods += v[0]
        for i, step in enumerate(_STEPS):
            reached, longest, histogram = v[1 + 3 * i : 4 + 3 * i]
            self.reached[step] += reached
            self.longest[step] = _larger(self.longest[step], longest)
            self.sums[step].add(_bytes(histogram))

    def row(self, report: str) -> dict[str, Any]:
        row: dict[str, Any] = {"pods": self.pods}
        for step in _STEPS:
            p50, p95 = self.sums[step].percentiles((0.5, 0.95), maximum=self.longest[step])
            row[step] = self.reached[step]
            row[f"{step}_p50"] = d.seconds(p50)
            row[f"{step}_p95"] = d.seconds(p95)
            row[f"{step}_max"] = d.seconds(self.longest[step])
        return row
