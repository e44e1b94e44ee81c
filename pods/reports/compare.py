"""Compare the init-containers report of two periods (A = before, B = after), or of the images of one
period (docs/reports.md "Compare").

The comparison itself is pure (`compare_rows`, `image_tag`, `is_regression_p95`, `is_regression_rate`):
rows of `pods.reports.queries.FIELDS["init-containers"]` in, one row per key with both sides and the
change out. Reading the rows is `documents.report` (by period: each period from the source that covers
it, or the `source` asked for; a side read from rollups says so with its `bound`) or, by image, the
definitions over the period's attempts split by the container's image tag (`image_rows`: raw rows, the
Python path of `queries`, the same numbers).

Regressions (both need `min_attempts` attempts on each side, so 1 failure of 2 is not one):
- p95: B's `duration_p95` is more than `threshold_p95` percent above A's (strictly; A's p95 > 0);
- failure rate: B's `failure_rate` is more than `threshold_failure_rate` points above A's (strictly).
The thresholds are compared exactly (decimal arithmetic on the rows' rounded numbers), so the boundary is
the documented one, not a float's.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from pods.models import Container
from pods.reports import definitions as d
from pods.reports import queries
from pods.reports.documents import RAW, csv_cell, report
from pods.reports.facts import period_attempts
from pods.reports.period import Period, PeriodError, parse_moment, parse_period
from pods.timeline.times import format_time

BY_PERIOD, BY_IMAGE = "period", "image"
DEFAULT_THRESHOLD_P95 = 20.0  # percent
DEFAULT_THRESHOLD_FAILURE_RATE = 5.0  # points (percentage points of the failure rate)
DEFAULT_MIN_ATTEMPTS = 10
# Presence of a key: in both periods (or images), only in A, only in B.
BOTH, ONLY_A, ONLY_B = "both", "a", "b"

KEY = queries.KEYS[queries.INIT_CONTAINERS]
DURATIONS = ("duration_p50", "duration_p95", "duration_p99", "duration_max")
# The compare row's fields, in the order of the CSV columns (the API's serializer declares the same).
FIELDS: tuple[str, ...] = (
    *KEY,
    "a_image", "b_image", "presence",
    "a_pods", "b_pods", "a_attempts", "b_attempts", "attempts_change",
    "a_failed", "b_failed", "a_failure_rate", "b_failure_rate", "failure_rate_change_points",
    *(f"{side}_{name}" for name in DURATIONS for side in ("a", "b")),
    *(f"{name}_change{unit}" for name in DURATIONS for unit in ("", "_pct")),
    "regression_p95", "regression_failure_rate", "regression",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Thresholds:
    p95: float = DEFAULT_THRESHOLD_P95  # percent
    failure_rate: float = DEFAULT_THRESHOLD_FAILURE_RATE  # points
    min_attempts: int = DEFAULT_MIN_ATTEMPTS


# ------------------------------------------------------------------------------------------------ pure


def _dec(value: float | int) -> Decimal:
    return Decimal(str(value))


def change(a: float | int | None, b: float | int | None) -> float | None:
    """b − a, to the millisecond (None when either is unknown)."""
    if a is None or b is None:
        return None
    return d.seconds(float(_dec(b) - _dec(a)))


def change_pct(a: float | None, b: float | None) -> float | None:
    """(b − a) / a in percent, to 0.1 % (None when either is unknown or a is 0)."""
    if a is None or b is None or a == 0:
        return None
    return float(round((_dec(b) - _dec(a)) * 100 / _dec(a), 1))


def change_points(a: float | None, b: float | None) -> float | None:
    """The change of a rate in percentage points (0.25 → 0.3 is +5.0), to 0.01 point."""
    if a is None or b is None:
        return None
    return float(round((_dec(b) - _dec(a)) * 100, 2))


def enough(a: dict[str, Any] | None, b: dict[str, Any] | None, thresholds: Thresholds) -> bool:
    """Both sides have at least `min_attempts` attempts: a change on fewer is shown, never flagged."""
    return (
        a is not None
        and b is not None
        and a["attempts"] >= thresholds.min_attempts
        and b["attempts"] >= thresholds.min_attempts
    )


def is_regression_p95(a: dict[str, Any] | None, b: dict[str, Any] | None, thresholds: Thresholds) -> bool:
    """B's p95 is more than `thresholds.p95` percent above A's (exactly: b − a > a·threshold/100)."""
    if not enough(a, b, thresholds):
        return False
    assert a is not None and b is not None
    before, after = a["duration_p95"], b["duration_p95"]
    if before is None or after is None or before <= 0:
        return False
    return _dec(after) - _dec(before) > _dec(before) * _dec(thresholds.p95) / 100


def is_regression_rate(a: dict[str, Any] | None, b: dict[str, Any] | None, thresholds: Thresholds) -> bool:
    """B's failure rate is more than `thresholds.failure_rate` points above A's (exactly)."""
    if not enough(a, b, thresholds):
        return False
    assert a is not None and b is not None
    before, after = a["failure_rate"], b["failure_rate"]
    if before is None or after is None:
        return False
    return (_dec(after) - _dec(before)) * 100 > _dec(thresholds.failure_rate)


def compared_row(
    key: tuple,
    a: dict[str, Any] | None,
    b: dict[str, Any] | None,
    thresholds: Thresholds,
    images: tuple[str | None, str | None] = (None, None),
) -> dict[str, Any]:
    """One key's row: both sides (null where a side has no row), the changes and the regression flags."""

    def side(row: dict[str, Any] | None, name: str) -> Any:
        return None if row is None else row[name]

    row: dict[str, Any] = dict(zip(KEY, key, strict=True))
    row["a_image"], row["b_image"] = images
    row["presence"] = BOTH if a is not None and b is not None else (ONLY_A if a is not None else ONLY_B)
    for name in ("pods", "attempts", "failed", "failure_rate", *DURATIONS):
        row[f"a_{name}"], row[f"b_{name}"] = side(a, name), side(b, name)
    row["attempts_change"] = None if a is None or b is None else b["attempts"] - a["attempts"]
    row["failure_rate_change_points"] = change_points(side(a, "failure_rate"), side(b, "failure_rate"))
    for name in DURATIONS:
        row[f"{name}_change"] = change(side(a, name), side(b, name))
        row[f"{name}_change_pct"] = change_pct(side(a, name), side(b, name))
    row["regression_p95"] = is_regression_p95(a, b, thresholds)
    row["regression_failure_rate"] = is_regression_rate(a, b, thresholds)
    row["regression"] = row["regression_p95"] or row["regression_failure_rate"]
    return {name: row[name] for name in FIELDS}


def _row_key(row: dict[str, Any]) -> tuple:
    return tuple(row[k] for k in KEY)


def _order(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Regressions first, then by key (and image)."""

    def text(row: dict[str, Any]) -> tuple:
        return tuple("" if row[k] is None else str(row[k]) for k in (*KEY, "a_image", "b_image"))

    return sorted(rows, key=lambda r: (not r["regression"], text(r)))


def compare_rows(
    a_rows: Iterable[dict[str, Any]], b_rows: Iterable[dict[str, Any]], thresholds: Thresholds
) -> list[dict[str, Any]]:
    """The rows of two periods matched on the row key; a key in one period only is marked (`presence`)."""
    before = {_row_key(r): r for r in a_rows}
    after = {_row_key(r): r for r in b_rows}
    keys = list(before) + [k for k in after if k not in before]
    return _order([compared_row(k, before.get(k), after.get(k), thresholds) for k in keys])


def image_tag(image: str) -> str:
    """The tag of a container image reference: `acme/migrate:2.1` → `2.1`; an image pinned by digest
    alone → its digest (`sha256:…`); no tag and no digest → `latest` (what the runtime pulls). A registry's
    port (`registry:5000/acme/x`) is no tag."""
    name, _, digest = image.partition("@")
    last = name.rsplit("/", 1)[-1]
    if ":" in last:
        return last.rsplit(":", 1)[1]
    if digest:
        return digest
    return "latest" if image else ""


def compare_images(
    rows_by_tag: dict[str, list[dict[str, Any]]], first_seen: dict[tuple, datetime], thresholds: Thresholds
) -> list[dict[str, Any]]:
    """Within one period, each key's rows by image tag: every tag against the one rolled out before it
    (tags in the order of their first attempt, `first_seen[(key, tag)]`); a key with one tag has side B
    only (nothing to compare with)."""
    tags_of: dict[tuple, list[tuple[datetime, str, dict[str, Any]]]] = defaultdict(list)
    for tag, rows in rows_by_tag.items():
        for row in rows:
            key = _row_key(row)
            tags_of[key].append((first_seen[(key, tag)], tag, row))
    out = []
    for key, tagged in tags_of.items():
        tagged.sort(key=lambda item: (item[0], item[1]))
        if len(tagged) == 1:
            _, tag, row = tagged[0]
            out.append(compared_row(key, None, row, thresholds, (None, tag)))
            continue
        for (_, tag_a, a), (_, tag_b, b) in zip(tagged, tagged[1:], strict=False):
            out.append(compared_row(key, a, b, thresholds, (tag_a, tag_b)))
    return _order(out)


# ------------------------------------------------------------------------------------------------ reads


def image_rows(
    filters: queries.ReportFilters, period: Period
) -> tuple[dict[str, list[dict[str, Any]]], dict[tuple, datetime]]:
    """The init-containers rows of `period` split by the image tag of each Pod's container, and when each
    (key, tag) was first seen: the definitions over the period's raw attempts (`facts.period_attempts`),
    grouped and finished like `queries.python_rows`."""
    found = period_attempts(filters, period)
    ids = sorted({a.values["container_id"] for a in found})
    images: dict[int, str] = {}
    for i in range(0, len(ids), queries.CHUNK):
        chunk = Container.objects.filter(id__in=ids[i : i + queries.CHUNK]).values_list("id", "image")
        images.update(dict(chunk))
    groups: dict[str, dict[tuple, list]] = defaultdict(lambda: defaultdict(list))
    first_seen: dict[tuple, datetime] = {}
    container_keys: dict[str, dict[int, tuple]] = defaultdict(dict)
    for attempt in found:
        v = attempt.values
        tag = image_tag(images.get(v["container_id"], ""))
        key = queries.row_key(queries.INIT_CONTAINERS, v)
        groups[tag][key].append(attempt)
        container_keys[tag][v["container_id"]] = key
        moment = attempt.moment
        if moment is not None and ((key, tag) not in first_seen or moment < first_seen[(key, tag)]):
            first_seen[(key, tag)] = moment
    out: dict[str, list[dict[str, Any]]] = {}
    for tag, members_of in groups.items():
        numbers, reasons = {}, {}
        for key, members in members_of.items():
            row: dict[str, Any] = {"pods": len({m.values["pod_id"] for m in members})}
            row.update(d.attempt_numbers([m.facts for m in members]))
            numbers[key] = row
            reasons[key] = [
                (m.facts.reason, m.facts.exit_code, m.facts.count)
                for m in members
                if m.facts.known and d.is_failed(m.facts)
            ]
        pulls = queries.python_pulls(queries.INIT_CONTAINERS, container_keys[tag])
        out[tag] = queries.finish_rows(queries.INIT_CONTAINERS, numbers, pulls, reasons)
    return out, first_seen


def _period(params: dict[str, Any], prefix: str, now: datetime) -> Period:
    """`<prefix>since` / `<prefix>until` as a Period; errors name the parameter (`b_since`)."""
    try:
        return parse_period(params.get(f"{prefix}since") or None, params.get(f"{prefix}until") or None, now)
    except PeriodError as exc:
        raise PeriodError(f"{prefix}{exc.field}", str(exc)) from exc


def periods(params: dict[str, Any], now: datetime) -> tuple[Period, Period]:
    """A and B from `a_since`, `a_until`, `b_since`, `b_until`. B defaults like every report (the last 7
    days); A to the span of the same length just before B."""
    b = _period(params, "b_", now)
    if not params.get("a_since") and not params.get("a_until"):
        span = b.until - b.since
        return Period(b.since - span, b.since), b
    a_until = params.get("a_until") or None
    a_since = params.get("a_since") or None
    try:
        end = parse_moment(a_until, now, "until") if a_until else b.since
        begin = parse_moment(a_since, now, "since") if a_since else end - (b.until - b.since)
    except PeriodError as exc:
        raise PeriodError(f"a_{exc.field}", str(exc)) from exc
    if begin >= end:
        raise PeriodError("a_since", "`a_since` must be before `a_until`.")
    return Period(begin, end), b


def around(at: datetime, span: timedelta) -> tuple[Period, Period]:
    """The preset "`span` before and after `at`" (a deploy, an incident): A = [at − span, at), B =
    [at, at + span)."""
    return Period(at - span, at), Period(at, at + span)


def _side(document: dict[str, Any]) -> dict[str, Any]:
    """A side's period and source as its report document states them (rollups: whole hours, `bound`)."""
    return {k: document[k] for k in ("since", "until", "source", "bound") if k in document}


def compare_document(
    params: dict[str, Any], now: datetime, thresholds: Thresholds | None = None
) -> dict[str, Any]:
    """What `GET /api/v1/reports/init-containers/compare` answers for the query parameters `params`
    (`by`, the periods, the filters). A bad period raises `PeriodError` naming the parameter."""
    thresholds = thresholds or Thresholds()
    filters = queries.filters_of(params)
    by = params.get("by") or BY_PERIOD
    source = params.get("source") or ""
    if by == BY_IMAGE:
        if source not in ("", RAW):
            raise PeriodError("source", "`by=image` reads raw rows only (rollups keep no image).")
        period = parse_period(params.get("since") or None, params.get("until") or None, now)
        by_tag, first_seen = image_rows(filters, period)
        rows = compare_images(by_tag, first_seen, thresholds)
        a = b = {"since": format_time(period.since), "until": format_time(period.until), "source": RAW}
    else:
        period_a, period_b = periods(params, now)
        doc_a = report(queries.INIT_CONTAINERS, filters, period_a, source, now)
        doc_b = report(queries.INIT_CONTAINERS, filters, period_b, source, now)
        rows = compare_rows(doc_a["rows"], doc_b["rows"], thresholds)
        a, b = _side(doc_a), _side(doc_b)
    return {
        "by": by,
        "a": a,
        "b": b,
        "threshold_p95": thresholds.p95,
        "threshold_failure_rate": thresholds.failure_rate,
        "min_attempts": thresholds.min_attempts,
        "regressions": sum(1 for r in rows if r["regression"]),
        "rows": rows,
    }


def csv_rows(rows: Sequence[dict[str, Any]]) -> str:
    """The compare rows as CSV (`documents.csv_cell` for each value), a header of `FIELDS`."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(FIELDS)
    for row in rows:
        writer.writerow([csv_cell(row[f]) for f in FIELDS])
    return out.getvalue()
