"""Reads about workloads and about the Events of other kinds that explain a Pod's startup.

A workload's diagnosis is the engine's (`pods.timeline.related.workload_diagnosis`, its clearing rule
`create_failed_holds`); `workload_stuck_q` states the same rule in SQL over the `Workload` columns so the
list filters and sorts in the database, and a test holds both to the same verdicts. A workload is stuck
while it has that diagnosis: Pods that should exist do not. Its Pod counts are read from `Pod` (the Pods
not deleted whose owner is the workload; a CronJob's also through its Jobs' names).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from django.core.paginator import Page, Paginator
from django.db.models import Case, Count, F, Q, QuerySet, Value, When

from access.scope import EVERYTHING, Scope
from pods.models import Pod, Workload
from pods.selectors.pods import cluster_now
from pods.timeline import Owner, format_time
from pods.timeline.related import (
    CREATE_FAILED_STALE,
    WorkloadFacts,
    cronjob_job_pattern,
    pod_workload,
    workload_diagnosis,
)


def workload_stuck_q(*, now: datetime) -> Q:
    """`pods.timeline.related.create_failed_holds` in SQL, judged at each cluster's "now" (`cluster_now`):
    the newest FailedCreate is newer than the newest sign of Pods being created and not stale."""
    failing = Q(failed_last_at__isnull=False) & (
        Q(created_last_at__isnull=True) | Q(created_last_at__lt=F("failed_last_at"))
    )
    at_now = Q(cluster__watched=True) | Q(cluster__observed_until__isnull=True)
    at_now |= Q(cluster__observed_until__gte=now)
    fresh_live = Q(failed_last_at__gte=now - CREATE_FAILED_STALE) & at_now
    fresh_recorded = Q(
        cluster__watched=False,
        cluster__observed_until__lt=now,
        failed_last_at__gte=F("cluster__observed_until") - CREATE_FAILED_STALE,
    )
    return failing & (fresh_live | fresh_recorded)


@dataclass(frozen=True, slots=True)
class WorkloadFilters:
    cluster: str = ""
    namespace: str = ""
    stuck: bool | None = None
    scope: Scope = EVERYTHING  # what the reader may see (`access.scope`)


def workload_queryset(*, filters: WorkloadFilters, now: datetime | None = None) -> QuerySet[Workload]:
    """Workloads matching `filters`, stuck ones first (newest failure first), then by namespace and name."""
    now = now or datetime.now(UTC)
    qs = Workload.objects.select_related("cluster").filter(filters.scope.q())
    if filters.cluster:
        qs = qs.filter(cluster__name=filters.cluster)
    if filters.namespace:
        qs = qs.filter(namespace=filters.namespace)
    stuck = workload_stuck_q(now=now)
    if filters.stuck is True:
        qs = qs.filter(stuck)
    elif filters.stuck is False:
        qs = qs.exclude(stuck)
    qs = qs.annotate(is_stuck=Case(When(stuck, then=Value(True)), default=Value(False)))
    return qs.order_by(
        "-is_stuck", F("failed_last_at").desc(nulls_last=True), "namespace", "kind", "name", "id"
    )


def _pod_counts(workloads: Sequence[Workload]) -> dict[int, dict[str, int]]:
    """Pods not deleted per STATUS, for each of `workloads` (one query)."""
    if not workloads:
        return {}
    match = Q()
    for w in workloads:
        mine = Q(owner_kind=w.kind, owner_name=w.name)
        if w.kind == "CronJob":
            mine |= Q(owner_kind="Job", owner_name__regex=cronjob_job_pattern(w.name))
        match |= Q(cluster_id=w.cluster_id, namespace=w.namespace) & mine
    by_key = {(w.cluster_id, w.kind, w.namespace, w.name): w.pk for w in workloads}
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    rows = (
        Pod.objects.filter(match, seen=True, deleted_at__isnull=True)
        .values_list("cluster_id", "namespace", "owner_kind", "owner_name", "status")
        .annotate(n=Count("id"))
        .order_by()
    )
    for cluster_id, namespace, kind, name, status, n in rows:
        owner = pod_workload(Owner(kind, name))
        pk = by_key.get((cluster_id, owner.kind, namespace, owner.name)) if owner else None
        if pk is not None:
            counts[pk][status or ""] = counts[pk].get(status or "", 0) + n
    return counts


def workload_summary(workload: Workload, *, pods: dict[str, int], now: datetime | None = None) -> dict:
    """One workload as the API, the CLI and the overview show it (see `WorkloadSerializer`)."""
    as_of = cluster_now(workload.cluster, now)
    diagnosis = workload_diagnosis(
        WorkloadFacts(
            failed_message=workload.failed_message,
            failed_first_at=workload.failed_first_at,
            failed_last_at=workload.failed_last_at,
            failed_count=workload.failed_count,
            created_last_at=workload.created_last_at,
        ),
        now=as_of,
    )
    return {
        "cluster": workload.cluster.name,
        "kind": workload.kind,
        "namespace": workload.namespace,
        "name": workload.name,
        "pods": sum(pods.values()),
        "pods_by_status": dict(sorted(pods.items(), key=lambda kv: (-kv[1], kv[0]))),
        "stuck": diagnosis is not None,
        "diagnosis": None
        if diagnosis is None
        else {"code": diagnosis.code, "summary": diagnosis.summary, "since": format_time(diagnosis.since)},
        "live": workload.cluster.watched,
        "as_of": format_time(as_of),
    }


def workload_summaries(workloads: Iterable[Workload], *, now: datetime | None = None) -> list[dict]:
    """`workload_summary` of each, with their Pod counts read in one query."""
    workloads = list(workloads)
    counts = _pod_counts(workloads)
    return [workload_summary(w, pods=counts.get(w.pk, {}), now=now) for w in workloads]


@dataclass(frozen=True, slots=True)
class WorkloadListPage:
    page: Page
    rows: list[dict]


def workload_list_page(
    *, filters: WorkloadFilters, page: int | str | None = None, size: int, now: datetime | None = None
) -> WorkloadListPage:
    now = now or datetime.now(UTC)
    found = Paginator(workload_queryset(filters=filters, now=now), size).get_page(page)
    return WorkloadListPage(page=found, rows=workload_summaries(found.object_list, now=now))


__all__ = [
    "WorkloadFilters",
    "WorkloadListPage",
    "workload_list_page",
    "workload_queryset",
    "workload_stuck_q",
    "workload_summaries",
    "workload_summary",
]
