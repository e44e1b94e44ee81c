"""The Pods behind an init-container row (docs/reports.md, "Trend and Pods"): the slowest and the failed ones,
each with its uid so that it links to its waterfall.

One entry per Pod and container (a row's container when the filters name one) with the attempts of the
period (`facts.period_attempts`, the report's definitions): `attempts` and `failed` counted as in the
report, `longest` the container's longest attempt duration, and the failed attempts themselves (reason, exit
code, termination message, when; a placeholder run as one entry with its `count` and no details).

- `slowest`: Pods with a measured duration, longest first (ties by Pod name, then uid).
- `failed`: Pods with a failed attempt, the most recent failure first (ties by Pod name, then uid).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

from pods.reports import definitions as d
from pods.reports import queries
from pods.reports.documents import RAW
from pods.reports.facts import PeriodAttempt, period_attempts, row_filters
from pods.reports.period import Period, parse_period
from pods.timeline.times import MIN_TIME, format_time

SLOWEST, FAILED = "slowest", "failed"
ORDERS = (SLOWEST, FAILED)
DEFAULT_LIMIT, MAX_LIMIT = 10, 100
FAILURES_SHOWN = 5  # per Pod, the most recent first
MESSAGE_MAX = 1000  # a termination message, as summaries keep it


def pods_document(params: dict[str, Any], now: datetime | None = None) -> dict[str, Any]:
    """The Pods for the query parameters (the report's filters and period, `order`, `limit`):
    `{"since", "until", "source", "order", "total", "pods"}`. A bad period raises PeriodError."""
    period = parse_period(params.get("since"), params.get("until"), now or datetime.now(UTC))
    order = params.get("order") or SLOWEST
    limit = min(max(int(params.get("limit") or DEFAULT_LIMIT), 1), MAX_LIMIT)
    found = row_pods(row_filters(params), period, order, limit)
    return {
        "since": format_time(period.since),
        "until": format_time(period.until),
        "source": RAW,
        "order": order,
        **found,
    }


def row_pods(filters: queries.ReportFilters, period: Period, order: str, limit: int) -> dict[str, Any]:
    """`{"total", "pods"}`: how many Pods qualify for `order`, and the first `limit` of them."""
    if order not in ORDERS:
        raise ValueError(f"no order {order!r}")
    groups: dict[tuple, list[PeriodAttempt]] = defaultdict(list)
    for attempt in period_attempts(filters, period):
        v = attempt.values
        groups[(v["cluster_name"], v["uid"], v["k_container"])].append(attempt)
    entries = [_entry(members) for members in groups.values()]
    if order == SLOWEST:
        chosen = [e for e in entries if e["longest"] is not None]
        chosen.sort(key=lambda e: (-e["longest"], e["pod"], e["uid"]))
    else:
        chosen = [e for e in entries if e["failed"]]
        chosen.sort(key=lambda e: e["pod"])
        chosen.sort(key=lambda e: e.pop("_last_failure"), reverse=True)
    for e in entries:
        e.pop("_last_failure", None)
    return {"total": len(chosen), "pods": chosen[:limit]}


def _entry(members: list[PeriodAttempt]) -> dict[str, Any]:
    v = members[0].values
    facts = [m.facts for m in members]
    durations = [(seconds, m) for m in members if (seconds := d.duration(m.facts)) is not None]
    longest = max(durations, key=lambda pair: pair[0], default=None)
    failed = sorted(
        (m for m in members if d.is_failed(m.facts)),
        key=lambda m: (m.moment, m.values["generation"], m.values["number"]),
        reverse=True,
    )
    numbers = d.attempt_numbers(facts)
    return {
        "cluster": v["cluster_name"],
        "namespace": v["namespace_name"],
        "pod": v["pod_name"],
        "uid": v["uid"],
        "node": v["node"],
        "workload_kind": v["k_workload_kind"],
        "workload": v["k_workload"],
        "container": v["k_container"],
        "kind": v["k_kind"],
        "created_at": format_time(v["created"]),
        "deleted_at": format_time(v["deleted"]),
        "attempts": numbers["attempts"],
        "failed": numbers["failed"],
        "longest": d.seconds(longest[0]) if longest else None,
        "longest_started_at": format_time(d.start(longest[1].facts)) if longest else None,
        "failures": [_failure(m) for m in failed[:FAILURES_SHOWN]],
        "_last_failure": failed[0].moment if failed else MIN_TIME,
    }


def _failure(attempt: PeriodAttempt) -> dict[str, Any]:
    v, facts = attempt.values, attempt.facts
    return {
        "generation": v["generation"],
        "number": v["number"],
        "known": facts.known,
        "count": facts.count,
        "reason": facts.reason,
        "exit_code": facts.exit_code,
        "message": (v["message"] or "")[:MESSAGE_MAX],
        "started_at": format_time(d.start(facts)),
        "finished_at": format_time(facts.finished_at) if facts.known else None,
    }
