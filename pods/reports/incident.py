"""The incident report of one workload over a period (docs/reports.md "Incident report"): what failed,
when, how often, why, which Pods, and the slowest Pods (whose waterfalls the page draws).

Every number keeps the report definitions (`pods.reports.definitions`): the attempts are those the
period holds (`facts.period_attempts`: placed by their usable start, else their end, else their Pod's
creation), failed and finished as defined there, percentiles exact over raw rows.

- `summary`: `pods` (with an init-container or sidecar attempt in the period, as in the report),
  `pods_affected` (a failed attempt or a Warning Event in the period), attempts, failed, failure rate,
  duration p50/p95 (all the workload's init containers and sidecars together), first and last failure
  (the end of a known failed attempt; placeholders have no time of their own).
- `containers`: per init container, its numbers and its attempts and failures per bucket of the period
  (`buckets`: each bucket's start; an attempt counts in the bucket it belongs to, by the period rule).
- `reasons`: distinct (container, reason, exit code, termination message) of the failed known attempts,
  with how many and when first and last (most frequent first).
- `events`: the Warning Events of the workload's Pods that the period overlaps, grouped by (container,
  reason, message): total count, Pods, first and last seen.
- `pods`: the Pods with an attempt or a Warning Event in the period; `slowest`: the uids of the `slowest`
  Pods by startup (created → Initialized; a Pod never Initialized counts until its deletion or the end of
  the period, whichever is first, and says so).

Strings (reasons, messages, names) are the cluster's, untrusted: the page escapes them.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Max, Q

from pods.models import Attempt, Cluster, Event, Pod
from pods.reports import definitions as d
from pods.reports import queries
from pods.reports.facts import PeriodAttempt, period_attempts
from pods.reports.period import Period, parse_moment, parse_period
from pods.timeline.times import format_time

# Bucket sizes in seconds: the smallest that cuts the period into at most MAX_BUCKETS.
BUCKET_SIZES = (60, 300, 900, 3600, 6 * 3600, 86400, 7 * 86400)
MAX_BUCKETS = 96
DEFAULT_SLOWEST = 3
MAX_SLOWEST = 10
MAX_GROUPS = 50  # reasons and Event groups listed (the most frequent)
WARNING = "Warning"
DEFAULT_SPAN = timedelta(hours=24)


def bucket_size(period: Period) -> int:
    span = (period.until - period.since).total_seconds()
    for size in BUCKET_SIZES:
        if math.ceil(span / size) <= MAX_BUCKETS:
            return size
    return BUCKET_SIZES[-1]


def bucket_starts(period: Period, size: int) -> list[datetime]:
    count = math.ceil((period.until - period.since).total_seconds() / size)
    return [period.since + timedelta(seconds=size * i) for i in range(count)]


def bucket_of(moment: datetime, period: Period, size: int) -> int:
    return int((moment - period.since).total_seconds() // size)


def failure_time(facts: d.AttemptFacts) -> datetime | None:
    """When a known failed attempt failed: its end, else its start (placeholders: None)."""
    if not facts.known:
        return None
    return facts.finished_at or d.start(facts)


def _span(moments: Iterable[datetime | None]) -> tuple[str | None, str | None]:
    known = [m for m in moments if m is not None]
    return (format_time(min(known)), format_time(max(known))) if known else (None, None)


POD_COLUMNS = (
    "id", "uid", "name", "node", "cluster_id", "status", "created_at", "initialized_at", "deleted_at",
)  # fmt: skip


def _alive_in(filters: queries.ReportFilters, period: Period) -> list[dict[str, Any]]:
    """The workload's Pods that existed during the period (created before its end, not deleted before
    its start)."""
    qs = (
        queries.selected_pods(filters)
        .filter(created_at__lt=period.until)
        .filter(Q(deleted_at__isnull=True) | Q(deleted_at__gte=period.since))
    )
    return [dict(p) for p in qs.values(*POD_COLUMNS)]


def _warning_events(pods: list[dict[str, Any]], period: Period) -> list[Event]:
    """The Warning Events about these Pods whose first..last seen overlaps the period."""
    by_cluster: dict[int, list[str]] = defaultdict(list)
    for p in pods:
        by_cluster[p["cluster_id"]].append(p["uid"])
    out: list[Event] = []
    for cluster_id, uids in by_cluster.items():
        for i in range(0, len(uids), queries.CHUNK):
            rows = Event.objects.filter(
                cluster_id=cluster_id, pod_uid__in=uids[i : i + queries.CHUNK], type=WARNING
            ).order_by("first_at", "id")
            for e in rows:
                first, last = e.first_at or e.last_at, e.last_at or e.first_at
                if first is not None and first < period.until and last is not None and last >= period.since:
                    out.append(e)
    return out


def _container_rows(
    found: list[PeriodAttempt], period: Period, size: int, count: int
) -> list[dict[str, Any]]:
    groups: dict[tuple[str, str], list[PeriodAttempt]] = defaultdict(list)
    for a in found:
        groups[(a.values["k_container"], a.facts.kind)].append(a)
    out: list[dict[str, Any]] = []
    for (container, kind), members in sorted(groups.items()):
        attempts, failures = [0] * count, [0] * count
        for a in members:
            moment = a.moment
            if moment is None:
                continue
            i = bucket_of(moment, period, size)
            attempts[i] += a.facts.count
            if d.is_failed(a.facts):
                failures[i] += a.facts.count
        numbers = d.attempt_numbers([a.facts for a in members])
        out.append(
            {
                "container": container,
                "kind": kind,
                "pods": len({a.values["pod_id"] for a in members}),
                **{k: numbers[k] for k in ("attempts", "failed", "failure_rate")},
                **{k: numbers[k] for k in ("duration_p50", "duration_p95", "duration_max")},
                "attempts_per_bucket": attempts,
                "failed_per_bucket": failures,
            }
        )
    return out


def _reasons(found: list[PeriodAttempt]) -> list[dict[str, Any]]:
    groups: dict[tuple, list[PeriodAttempt]] = defaultdict(list)
    for a in found:
        if a.facts.known and d.is_failed(a.facts):
            key = (a.values["k_container"], a.facts.reason, a.facts.exit_code, a.values["message"] or "")
            groups[key].append(a)
    out: list[dict[str, Any]] = []
    for (container, reason, exit_code, message), members in groups.items():
        first, last = _span(failure_time(a.facts) for a in members)
        out.append(
            {
                "container": container,
                "reason": reason,
                "exit_code": exit_code,
                "message": message,
                "count": sum(a.facts.count for a in members),
                "pods": len({a.values["pod_id"] for a in members}),
                "first_at": first,
                "last_at": last,
            }
        )
    out.sort(key=lambda r: (-r["count"], r["container"], r["reason"], r["exit_code"] or 0, r["message"]))
    return out[:MAX_GROUPS]


def _event_groups(events: list[Event]) -> list[dict[str, Any]]:
    groups: dict[tuple[str, str, str], list[Event]] = defaultdict(list)
    for e in events:
        groups[(e.container, e.reason, e.message)].append(e)
    out: list[dict[str, Any]] = []
    for (container, reason, message), members in groups.items():
        first, _ = _span(e.first_at or e.last_at for e in members)
        _, last = _span(e.last_at or e.first_at for e in members)
        out.append(
            {
                "container": container,
                "reason": reason,
                "message": message,
                "count": sum(e.count for e in members),
                "pods": len({e.pod_uid for e in members}),
                "first_at": first,
                "last_at": last,
            }
        )
    out.sort(key=lambda r: (-r["count"], r["first_at"] or "", r["reason"], r["message"]))
    return out[:MAX_GROUPS]


def _startup(pod: dict[str, Any], period: Period, now: datetime) -> tuple[float | None, bool]:
    """Seconds from creation to Initialized, or (never Initialized) to its deletion, the end of the
    period or now, whichever is first; and whether it was Initialized."""
    created = pod["created_at"]
    if created is None:
        return None, False
    if pod["initialized_at"] is not None:
        return d.seconds((pod["initialized_at"] - created).total_seconds()), True
    end = min(m for m in (pod["deleted_at"], period.until, now) if m is not None)
    return d.seconds(max(0.0, (end - created).total_seconds())), False


def incident_document(
    filters: queries.ReportFilters, period: Period, *, now: datetime, slowest: int = DEFAULT_SLOWEST
) -> dict[str, Any]:
    """The incident report of the workload `filters` name (cluster, namespace, workload) over `period`;
    `now` bounds the startup of a Pod never Initialized (the cluster's "now" for a recording)."""
    size = bucket_size(period)
    starts = bucket_starts(period, size)
    found = period_attempts(filters, period)
    alive: dict[int, dict[str, Any]] = {p["id"]: p for p in _alive_in(filters, period)}
    missing = {a.values["pod_id"] for a in found} - set(alive)
    if missing:  # an attempt in the period of a Pod created later than it (clock skew): keep it
        for p in Pod.objects.filter(id__in=sorted(missing)).values(*POD_COLUMNS):
            alive[p["id"]] = dict(p)
    events = _warning_events(list(alive.values()), period)

    per_pod: dict[int, list[PeriodAttempt]] = defaultdict(list)
    for a in found:
        per_pod[a.values["pod_id"]].append(a)
    warnings: dict[tuple[int, str], int] = defaultdict(int)
    for e in events:
        warnings[(e.cluster_id, e.pod_uid)] += e.count

    pods: list[dict[str, Any]] = []
    for pod_id, p in alive.items():
        members = per_pod.get(pod_id, [])
        failed = [a for a in members if d.is_failed(a.facts)]
        warned = warnings.get((p["cluster_id"], p["uid"]), 0)
        if not members and not warned:
            continue
        seconds, initialized = _startup(p, period, now)
        first, last = _span(failure_time(a.facts) for a in failed)
        pods.append(
            {
                "uid": p["uid"],
                "name": p["name"],
                "node": p["node"],
                "status": p["status"],
                "created_at": format_time(p["created_at"]),
                "initialized_at": format_time(p["initialized_at"]),
                "deleted_at": format_time(p["deleted_at"]),
                "startup_seconds": seconds,
                "initialized": initialized,
                "attempts": sum(a.facts.count for a in members),
                "failed": sum(a.facts.count for a in failed),
                "warnings": warned,
                "first_failure_at": first,
                "last_failure_at": last,
            }
        )
    pods.sort(key=lambda r: (-(r["failed"] + r["warnings"] > 0), r["created_at"] or "", r["name"], r["uid"]))
    ranked = sorted(
        (r for r in pods if r["startup_seconds"] is not None),
        key=lambda r: (-r["startup_seconds"], r["created_at"] or "", r["uid"]),
    )

    numbers = d.attempt_numbers([a.facts for a in found])
    first, last = _span(failure_time(a.facts) for a in found if d.is_failed(a.facts))
    kind, _, name = filters.workload.rpartition("/")
    return {
        "cluster": filters.cluster,
        "namespace": filters.namespace,
        "workload_kind": kind,
        "workload": name,
        "since": format_time(period.since),
        "until": format_time(period.until),
        "source": "raw",
        "bucket_seconds": size,
        "buckets": [format_time(s) for s in starts],
        "summary": {
            "pods": len(per_pod),
            "pods_affected": sum(1 for r in pods if r["failed"] or r["warnings"]),
            "attempts": numbers["attempts"],
            "failed": numbers["failed"],
            "failure_rate": numbers["failure_rate"],
            "duration_p50": numbers["duration_p50"],
            "duration_p95": numbers["duration_p95"],
            "first_failure_at": first,
            "last_failure_at": last,
        },
        "containers": _container_rows(found, period, size, len(starts)),
        "reasons": _reasons(found),
        "events": _event_groups(events),
        "pods": pods,
        "slowest": [r["uid"] for r in ranked[: max(0, min(slowest, MAX_SLOWEST))]],
    }


def report_now(filters: queries.ReportFilters, now: datetime) -> datetime:
    """The "now" of an incident report: the wall clock for a watched cluster; for a recording the end of
    its data (`Cluster.observed_until`, or the workload's newest attempt or Event when later), plus a
    second so that its last moment is inside a period that ends at "now"."""
    found = Cluster.objects.filter(name=filters.cluster).values("id", "watched", "observed_until").first()
    if not found or found["watched"] or found["observed_until"] is None:
        return now
    pods = queries.selected_pods(filters)
    attempts = Attempt.objects.filter(pod__in=pods).aggregate(
        finished=Max("finished_at"), started=Max("started_at")
    )
    events = Event.objects.filter(cluster_id=found["id"], pod_uid__in=pods.values("uid")).aggregate(
        last=Max("last_at")
    )
    newest = max(m for m in (found["observed_until"], *attempts.values(), events["last"]) if m is not None)
    return min(now, newest + timedelta(seconds=1))


def incident_report(params: dict[str, Any], now: datetime) -> dict[str, Any]:
    """The incident document for the query parameters `params` (`cluster`, `namespace`, `workload`,
    `since`, `until` as text, `slowest`): what the API answers and the page draws. `until` defaults to the
    report's "now" (`report_now`: for a recording, the end of its data), `since` to 24 hours before
    `until`; relative times count from that "now". A bad period raises `PeriodError`."""
    filters = queries.filters_of({**params, "container": ""})
    now = report_now(filters, now)
    until = params.get("until") or None
    end = parse_moment(until, now, "until") if until else now
    since = params.get("since") or None
    period = parse_period(since or format_time(end - DEFAULT_SPAN), format_time(end), now)
    return incident_document(filters, period, now=now, slowest=params.get("slowest", DEFAULT_SLOWEST))
