"""The raw init-containers report from stored samples: exact, and fast over long periods (docs/reports.md
"Reports over raw rows, fast"; docs/performance.md, B4).

Kept by the rollup task, in the same transaction as the rollups of an hour (`rollup_build.recompute_hour`
calls `replace_hour` with the facts it read, `recompute_block` calls `replace_day` for a day): one
`ReportSample` row per (cluster, hour, key) with the hour's samples (`pods.reports.samples`), and one per
day, the union of its hours. `ReportSampleCover` says from which hour a cluster's samples hold what raw
rows hold (`rollup_build.cover_samples` marks every hour with raw rows and then writes it), and with which
`VERSION` of this code.

`raw_rows` answers a raw init-containers report on PostgreSQL: every whole hour of the period from `since`
of the cover on whose samples are current (no `RollupMark` on it: an hour changed since it was computed is
marked until it is computed again) is read from the samples — whole days from day rows, in one query that
joins each key's bytes in SQL — and the rest (the partial hours at both ends, the marked hours, the hours
before the cover) from raw rows, with the same definitions (`queries.python_attempts`, read through the
indexes). The samples are merged and ranked exactly (`samples.numbers`). When the samples do not cover
enough of the period (a new database, more than `MAX_RAW_HOURS` hours to read from raw rows) the report
is `queries.sql_rows`, as before. Everything is read in one snapshot (REPEATABLE READ), so the answer is
the one `sql_rows` gives at that moment.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import orjson
from django.db import connection
from django.db.models import Aggregate, BinaryField, Q, Sum, TextField

from dashboard.snapshot import one_snapshot
from pods.models import Cluster, ReportSample, ReportSampleCover, RollupMark
from pods.reports import hourly, queries
from pods.reports import samples as s
from pods.reports.period import Period
from pods.reports.rollups import keyed

# The samples' layout and rules; stored rows of another version are not read (the rollup task computes
# them again: `rollup_build.cover_samples`).
VERSION = 1
# At most this many hours of a period are read from raw rows (its two partial hours, marked hours, hours
# before the cover); beyond, the report is `queries.sql_rows`.
MAX_RAW_HOURS = 48
HOUR = hourly.HOUR
DAY = timedelta(days=1)
KEY_FIELDS = ("namespace", "workload_kind", "workload", "container", "kind")


# ------------------------------------------------------------------------------------------------ writing


def first_hour(moment: datetime) -> datetime:
    """The first whole hour at or after `moment`."""
    start = hourly.hour_start(moment)
    return start if start == moment else start + HOUR


def replace_hour(cluster_id: int, hour: datetime, containers: Iterable[hourly.ContainerFacts]) -> int:
    """Replace the samples of one whole hour of a cluster by those of `containers` (the hour's facts as
    `rollup_build.hour_inputs` read them); returns how many rows it holds."""
    ReportSample.objects.filter(cluster_id=cluster_id, hour=hour, span_hours=1).delete()
    rows = [
        ReportSample(
            cluster_id=cluster_id, hour=hour, span_hours=1, **dict(zip(KEY_FIELDS, key, strict=True)),
            **sample.packed().fields(),
        )
        for key, sample in s.hour_samples(hour, containers).items()
    ]  # fmt: skip
    ReportSample.objects.bulk_create(rows, batch_size=500)
    return len(rows)


def replace_day(cluster_id: int, day: datetime) -> int:
    """Replace the day rows of the day starting at `day` by the union of its hour rows."""
    ReportSample.objects.filter(cluster_id=cluster_id, hour=day, span_hours=hourly.DAY_HOURS).delete()
    hours = ReportSample.objects.filter(
        cluster_id=cluster_id, span_hours=1, hour__gte=day, hour__lt=day + DAY
    ).order_by("hour")
    groups: dict[tuple, list[s.Packed]] = defaultdict(list)
    for v in hours.values_list(*KEY_FIELDS, *_COLUMNS):
        groups[v[: len(KEY_FIELDS)]].append(_packed(v[len(KEY_FIELDS) :]))
    rows = [
        ReportSample(
            cluster_id=cluster_id, hour=day, span_hours=hourly.DAY_HOURS,
            **dict(zip(KEY_FIELDS, key, strict=True)), **s.merge(parts).fields(),
        )
        for key, parts in groups.items()
    ]  # fmt: skip
    ReportSample.objects.bulk_create(rows, batch_size=500)
    return len(rows)


_COLUMNS = ("attempts", "finished", "failed", "durations", "pods", "pulls", "waits", "present", "reasons")


def _packed(v: tuple[Any, ...]) -> s.Packed:
    attempts, finished, failed, durations, pods, pulls, waits, present, reasons = v
    if isinstance(reasons, str):
        reasons = orjson.loads(reasons)
    return s.Packed.from_columns(
        attempts, finished, failed, bytes(durations), bytes(pods), bytes(pulls), bytes(waits),
        bytes(present), reasons,
    )  # fmt: skip


def prune(cutoffs: dict[int, datetime]) -> int:
    """Drop the samples of the hours before each cluster's cutoff (the raw attempts' retention) and move
    its cover past them: those hours are read from what raw rows still hold."""
    deleted = 0
    for cluster_id, cutoff in cutoffs.items():
        first = first_hour(cutoff)
        deleted += ReportSample.objects.filter(cluster_id=cluster_id, hour__lt=first).delete()[0]
        ReportSampleCover.objects.filter(cluster_id=cluster_id, since__lt=first).update(since=first)
    return deleted


# ------------------------------------------------------------------------------------------------ reading


class _Joined(Aggregate):
    """One key's packed arrays of several rows, joined in SQL in the same row order for every column."""

    function = "string_agg"
    template = "%(function)s(%(expressions)s, ''::bytea ORDER BY hour, span_hours)"
    output_field = BinaryField()


class _JoinedText(Aggregate):
    function = "string_agg"
    template = "%(function)s((%(expressions)s)::text, ',')"
    output_field = TextField()


def raw_rows(report: str, filters: queries.ReportFilters, period: Period) -> list[dict[str, Any]]:
    """The report over raw rows (`source: raw`): the init-containers report from the samples where they
    cover the period (PostgreSQL), else `queries.rows`."""
    if report != queries.INIT_CONTAINERS or connection.vendor != "postgresql":
        return queries.rows(report, filters, period)
    with one_snapshot(read_only=False):
        return _rows(filters, period)


def _rows(filters: queries.ReportFilters, period: Period) -> list[dict[str, Any]]:
    found = cached_rows(filters, period)
    return queries.sql_rows(queries.INIT_CONTAINERS, filters, period) if found is None else found


def plan(
    cover_since: datetime, marked: set[datetime], period: Period
) -> tuple[list[datetime], list[datetime], list[Period]]:
    """How a cluster's part of `period` is read: (the days of day rows, the hours of hour rows, the
    ranges of raw rows). Whole hours from the cover's `since` on, but marked ones, come from samples (a
    whole clean day from its day row); the rest from raw rows."""
    first, last = max(first_hour(period.since), cover_since), hourly.hour_start(period.until)
    if first >= last:
        return [], [], [period]
    raw = [Period(period.since, first)] if period.since < first else []
    days: list[datetime] = []
    hours: list[datetime] = []
    at = first
    while at < last:
        day_end = at + DAY
        if at == hourly.day_start(at) and day_end <= last and not any(at <= m < day_end for m in marked):
            days.append(at)
            at = day_end
            continue
        if at in marked:
            raw.append(Period(at, at + HOUR))
        else:
            hours.append(at)
        at += HOUR
    if last < period.until:
        raw.append(Period(last, period.until))
    return days, hours, _joined(raw)


def _joined(ranges: list[Period]) -> list[Period]:
    out: list[Period] = []
    for r in sorted(ranges, key=lambda p: p.since):
        if out and out[-1].until >= r.since:
            out[-1] = Period(out[-1].since, max(out[-1].until, r.until))
        else:
            out.append(r)
    return out


def _raw_hours(ranges: Iterable[Period]) -> float:
    return sum((r.until - r.since).total_seconds() for r in ranges) / 3600


def cached_rows(filters: queries.ReportFilters, period: Period) -> list[dict[str, Any]] | None:
    """The init-containers report over raw rows from the samples and the few raw rows around them; None
    when the samples do not cover the period well enough (see the module's docstring)."""
    clusters = Cluster.objects.all()
    if filters.cluster:
        clusters = clusters.filter(name=filters.cluster)
    names = {i: n for i, n in clusters.values_list("id", "name") if filters.scope.allows_cluster(n)}
    covers = dict(
        ReportSampleCover.objects.filter(cluster_id__in=list(names), version=VERSION).values_list(
            "cluster_id", "since"
        )
    )
    if set(covers) != set(names):
        return None
    plans = {}
    for cluster_id, since in covers.items():
        marks = RollupMark.objects.filter(
            cluster_id=cluster_id, hour__gte=since, hour__lt=period.until
        ).values_list("hour", flat=True)
        plans[cluster_id] = plan(since, set(marks), period)
    if _raw_hours(r for _, _, raw in plans.values() for r in raw) > MAX_RAW_HOURS:
        return None
    parts: dict[tuple, list[s.Packed]] = defaultdict(list)
    for cluster_id, (days, hours, raw) in plans.items():
        for key, sample in _stored(cluster_id, filters, days, hours):
            parts[(names[cluster_id], *key)].append(sample)
        cluster_filters = replace(filters, cluster=names[cluster_id])
        for r in raw:
            for key, collected in _from_raw(cluster_filters, r).items():
                parts[key].append(collected.packed())
    groups, pulls, reasons = {}, {}, {}
    for key, found in parts.items():
        merged = s.merge(found)
        groups[key] = s.attempt_numbers(merged)
        pulls[key] = s.pull_numbers(merged)
        reasons[key] = [tuple(r) for r in merged.reasons]
    return queries.finish_rows(queries.INIT_CONTAINERS, groups, pulls, reasons)


def _stored(
    cluster_id: int, filters: queries.ReportFilters, days: list[datetime], hours: list[datetime]
) -> Iterable[tuple[tuple, s.Packed]]:
    """Per key, the samples of these day and hour rows, joined in SQL (one row per key)."""
    if not days and not hours:
        return []
    qs = ReportSample.objects.filter(
        Q(span_hours=hourly.DAY_HOURS, hour__in=days) | Q(span_hours=1, hour__in=hours), cluster_id=cluster_id
    )
    qs = keyed(qs.filter(filters.scope.q()), filters)
    joined = {name: _Joined(name) for name in ("durations", "pods", "pulls", "waits", "present")}
    grouped = qs.order_by().values(*KEY_FIELDS).annotate(
        n_attempts=Sum("attempts"), n_finished=Sum("finished"), n_failed=Sum("failed"),
        **{f"j_{name}": aggregate for name, aggregate in joined.items()}, j_reasons=_JoinedText("reasons"),
    )  # fmt: skip
    names = [*KEY_FIELDS, "n_attempts", "n_finished", "n_failed", *[f"j_{n}" for n in joined], "j_reasons"]
    sql, params = grouped.values_list(*names).query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        fetched = cursor.fetchall()
    width = len(KEY_FIELDS)
    out = []
    for v in fetched:
        attempts, finished, failed, durations, pods, pulls, waits, present, reasons = v[width:]
        # Each row's reasons (a JSON list), joined with commas: one list of lists.
        failures = [r for row in orjson.loads(f"[{reasons or ''}]") for r in row]
        sample = s.Packed.from_columns(
            attempts, finished, failed, bytes(durations), bytes(pods), bytes(pulls), bytes(waits),
            bytes(present), failures,
        )  # fmt: skip
        out.append((tuple(v[:width]), sample))
    return out


def _from_raw(filters: queries.ReportFilters, period: Period) -> dict[tuple, s.Sample]:
    """The samples of `period` from raw rows (`queries.python_attempts`, through the indexes), by the
    report's key."""
    wide = queries.wide_filter(period, indexed=True)
    found = queries.attempts_within(filters, period, queries.INIT_CONTAINERS, wide, (), {})
    pulls = queries.pull_facts({v["container_id"] for v, _, _ in found})
    out: dict[tuple, s.Sample] = {}
    for v, facts, _ in found:
        sample = out.setdefault(queries.row_key(queries.INIT_CONTAINERS, v), s.Sample())
        sample.add(v["pod_id"], facts, pulls.get(v["container_id"]))
    return out
