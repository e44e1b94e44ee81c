"""Reads: Pods and their timeline documents, for the API, the CLI, the export and the pages.

The stuck predicate exists twice by necessity: `pods.timeline.is_stuck` decides it for one Pod, and
`stuck_q` expresses the same rule over the projected columns so lists filter and sort in SQL. A test
checks that both agree on every bundled recording.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db.models import Case, Count, F, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce

from pods.models import Cluster, Event, Pod
from pods.timeline import EventRecord, PodState, diagnose, format_time, is_stuck, timeline_document
from pods.timeline.codec import decode_state

TERMINAL_DIAGNOSES = ("failed", "deadline")


def stuck_threshold() -> timedelta:
    return settings.INITSCOPE_STUCK_THRESHOLD


def cluster_now(cluster: Cluster, now: datetime | None = None) -> datetime:
    """The "now" a cluster's Pods are judged at: the wall clock while it is watched; for a recording, the
    newest time it holds (so a stuck Pod reads "stuck for 7m" as when recorded, not "for 541 days")."""
    now = now or datetime.now(UTC)
    if cluster.watched or cluster.observed_until is None:
        return now
    return min(now, cluster.observed_until)


def stuck_q(*, now: datetime, threshold: timedelta) -> Q:
    """Stuck: not terminal, not deleted nor being deleted, not Ready; and a failure holds or the step ran
    past the threshold (measured at `now` for watched clusters, at the end of the data for recordings)."""
    active = Q(deleted_at__isnull=True, terminal=False, ready=False, seen=True) & ~Q(step="deleting")
    failing = Q(failure_code__gt="") & ~Q(failure_code__in=TERMINAL_DIAGNOSES)
    slow_live = Q(step_since__lt=now - threshold) & (
        Q(cluster__watched=True) | Q(cluster__observed_until__isnull=True)
    )
    slow_recorded = Q(cluster__watched=False, step_since__lt=F("cluster__observed_until") - threshold)
    return active & (failing | slow_live | slow_recorded)


@dataclass(frozen=True, slots=True)
class PodFilters:
    cluster: str = ""
    namespace: str = ""
    workload: str = ""  # "name" or "Kind/name"
    status: str = ""  # exact STATUS text; several separated by commas
    stuck: bool | None = None
    search: str = ""
    include_deleted: bool = True


def pod_queryset(*, filters: PodFilters, now: datetime | None = None) -> QuerySet[Pod]:
    """Pods matching `filters`, stuck ones first, then the newest."""
    now = now or datetime.now(UTC)
    threshold = stuck_threshold()
    qs = Pod.objects.select_related("cluster").filter(seen=True)
    if filters.cluster:
        qs = qs.filter(cluster__name=filters.cluster)
    if filters.namespace:
        qs = qs.filter(namespace=filters.namespace)
    if filters.workload:
        kind, _, name = filters.workload.rpartition("/")
        qs = qs.filter(owner_name=name)
        if kind:
            qs = qs.filter(owner_kind__iexact=kind)
    if filters.status:
        qs = qs.filter(status__in=[s.strip() for s in filters.status.split(",") if s.strip()])
    if not filters.include_deleted:
        qs = qs.filter(deleted_at__isnull=True)
    if filters.search:
        term = filters.search.strip()
        qs = qs.filter(Q(name__icontains=term) | Q(namespace__icontains=term) | Q(owner_name__icontains=term))
    stuck = stuck_q(now=now, threshold=threshold)
    if filters.stuck is True:
        qs = qs.filter(stuck)
    elif filters.stuck is False:
        qs = qs.exclude(stuck)
    qs = qs.annotate(is_stuck=Case(When(stuck, then=Value(True)), default=Value(False)))
    return qs.order_by("-is_stuck", Coalesce("created_at", "updated_at").desc(), "uid")


def status_counts(*, filters: PodFilters, now: datetime | None = None) -> dict[str, int]:
    qs = pod_queryset(filters=filters, now=now).order_by()
    return dict(qs.values_list("status").annotate(n=Count("id")).values_list("status", "n"))


def pod_get(*, uid: str, cluster: str = "") -> Pod | None:
    qs = Pod.objects.select_related("cluster").filter(uid=uid, seen=True)
    if cluster:
        qs = qs.filter(cluster__name=cluster)
    return qs.order_by("-updated_at").first()


def pod_find(*, namespace: str, name: str, cluster: str = "") -> Pod | None:
    """The newest Pod with this name (names are reused, e.g. by StatefulSets)."""
    qs = Pod.objects.select_related("cluster").filter(namespace=namespace, name=name, seen=True)
    if cluster:
        qs = qs.filter(cluster__name=cluster)
    return qs.order_by(Coalesce("created_at", "updated_at").desc()).first()


def pod_state(pod: Pod) -> PodState:
    return decode_state(pod.state)


def _event_record(row: Event) -> EventRecord:
    return EventRecord(
        uid=row.uid,
        namespace=row.namespace,
        name=row.name,
        pod_uid=row.pod_uid,
        pod_name="",
        type=row.type,
        reason=row.reason,
        message=row.message,
        count=row.count,
        first_at=row.first_at,
        last_at=row.last_at,
        container=row.container,
        field_path=row.field_path,
        source=row.source,
        resource_version=row.resource_version,
    )


def pod_events(pod: Pod) -> list[EventRecord]:
    rows = Event.objects.filter(cluster_id=pod.cluster_id, pod_uid=pod.uid).order_by("first_at", "id")
    return [_event_record(row) for row in rows]


def pod_document(pod: Pod, *, now: datetime | None = None) -> dict:
    """The timeline document of one Pod (see docs/api.md), judged at its cluster's "now"."""
    as_of = cluster_now(pod.cluster, now)
    document = timeline_document(
        pod_state(pod), pod_events(pod), cluster=pod.cluster.name, now=as_of, threshold=stuck_threshold()
    )
    return _with_clock(document, pod.cluster, as_of)


def _with_clock(document: dict, cluster: Cluster, as_of: datetime) -> dict:
    # `live`: the cluster is watched, times move with the wall clock; otherwise it is a recording and
    # durations, stuck and diagnosis are as of `as_of`, the end of its data.
    document["live"] = cluster.watched
    document["as_of"] = format_time(as_of)
    return document


def pod_summary(pod: Pod, *, now: datetime | None = None) -> dict:
    """One row of a Pod list: what the overview and `pods list` show, without attempts and events."""
    now = cluster_now(pod.cluster, now)
    state = pod_state(pod)
    diagnosis = diagnose(state, now=now, threshold=stuck_threshold())
    return {
        "cluster": pod.cluster.name,
        "uid": pod.uid,
        "namespace": pod.namespace,
        "name": pod.name,
        "owner": {"kind": pod.owner_kind, "name": pod.owner_name} if pod.owner_kind else None,
        "node": pod.node,
        "phase": pod.phase,
        "status": pod.status,
        "restarts": pod.restarts,
        "created_at": format_time(pod.created_at),
        "deleted_at": format_time(pod.deleted_at),
        "step": pod.step,
        "step_since": format_time(pod.step_since),
        "stuck": is_stuck(state, now=now, threshold=stuck_threshold()),
        "diagnosis": diagnosis.to_dict() if diagnosis else None,
        "init_containers": pod.init_container_count,
        # False for a recording: its times are as of `as_of` (the end of the data) and do not tick.
        "live": pod.cluster.watched,
        "as_of": format_time(now),
    }


def pod_documents(
    *, cluster: str = "", since: datetime | None = None, chunk_size: int = 500
) -> Iterator[dict]:
    """Every stored timeline as documents, streamed in chunks (constant memory)."""
    now = datetime.now(UTC)
    qs = Pod.objects.select_related("cluster").filter(seen=True)
    if cluster:
        qs = qs.filter(cluster__name=cluster)
    if since:
        qs = qs.filter(Q(created_at__gte=since) | Q(updated_at__gte=since))
    last_id = 0
    while True:
        page = list(qs.filter(id__gt=last_id).order_by("id")[:chunk_size])
        if not page:
            return
        events = _events_for(page)
        for pod in page:
            as_of = cluster_now(pod.cluster, now)
            document = timeline_document(
                pod_state(pod),
                events.get((pod.cluster_id, pod.uid), []),
                cluster=pod.cluster.name,
                now=as_of,
                threshold=stuck_threshold(),
            )
            yield _with_clock(document, pod.cluster, as_of)
        last_id = page[-1].id


def _events_for(pods: list[Pod]) -> dict[tuple[int, str], list[EventRecord]]:
    out: dict[tuple[int, str], list[EventRecord]] = {}
    uids = {p.uid for p in pods}
    rows = Event.objects.filter(pod_uid__in=uids).order_by("first_at", "id")
    for row in rows:
        out.setdefault((row.cluster_id, row.pod_uid), []).append(_event_record(row))
    return out


def cluster_names() -> list[str]:
    return list(Cluster.objects.values_list("name", flat=True))


def namespaces(*, cluster: str = "") -> list[str]:
    qs = Pod.objects.filter(seen=True)
    if cluster:
        qs = qs.filter(cluster__name=cluster)
    return list(qs.order_by("namespace").values_list("namespace", flat=True).distinct())
