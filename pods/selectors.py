"""Reads: Pods and their timeline documents, for the API, the CLI, the export and the pages; the watcher's
queries and its health read model (`cluster_health`).

The stuck rule is the engine's (`pods.timeline.stuck_rule`): `pods.timeline.is_stuck` decides it for one
Pod, and `stuck_q` states the same rule over the projected columns so lists filter and sort in SQL. A test
holds both (and the live overview's reading of change summaries) to the same verdicts on every bundled
recording; a list row shows the verdict its list was sorted by.
"""

from __future__ import annotations

from collections.abc import Container, Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db.models import Case, Count, F, Max, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce

from pods import kube
from pods.models import Attempt, Cluster, Event, Pod, WatchCursor
from pods.timeline import (
    TERMINAL_DIAGNOSES,
    EventRecord,
    PodState,
    diagnose,
    format_time,
    is_stuck,
    timeline_document,
)
from pods.timeline.codec import decode_state


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
    """`pods.timeline.stuck_rule` in SQL: a Pod that can be stuck (seen, not terminal, not deleted nor
    being deleted, not Ready) whose failure holds or whose step ran past the threshold, judged at its
    cluster's "now" (`cluster_now`: `now` for watched clusters, at most the end of the data for recordings).
    """
    can_be_stuck = Q(deleted_at__isnull=True, terminal=False, ready=False, seen=True) & ~Q(step="deleting")
    failing = Q(failure_code__gt="") & ~Q(failure_code__in=TERMINAL_DIAGNOSES)
    at_now = Q(cluster__watched=True) | Q(cluster__observed_until__isnull=True)
    at_now |= Q(cluster__observed_until__gte=now)  # min(now, the end of the data) is now
    slow_live = Q(step_since__lt=now - threshold) & at_now
    slow_recorded = Q(
        cluster__watched=False,
        cluster__observed_until__lt=now,
        step_since__lt=F("cluster__observed_until") - threshold,
    )
    return can_be_stuck & (failing | slow_live | slow_recorded)


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


@dataclass(frozen=True, slots=True)
class PodListPage:
    """One page of the Pod list, read whole (rendering it runs no query)."""

    page: Page  # the page of Pods (number, paginator.count, neighbours)
    rows: list[dict]  # `pod_summary` of each Pod on the page, in the list's order
    counts: list[tuple[str, int]]  # Pods per STATUS under the other filters, most first
    stuck_count: int  # Pods matching the filters that are stuck


def pod_list_page(
    *, filters: PodFilters, page: int | str | None = None, size: int, now: datetime | None = None
) -> PodListPage:
    """Page `page` (a number or its text; out of range: the nearest) of the Pods matching `filters`,
    stuck first, with the counts the list shows beside it."""
    now = now or datetime.now(UTC)
    found = Paginator(pod_queryset(filters=filters, now=now), size).get_page(page)
    counts = status_counts(filters=replace(filters, status=""), now=now)
    return PodListPage(
        page=found,
        rows=[pod_summary(pod, now=now) for pod in found.object_list],
        counts=sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])),
        stuck_count=pod_queryset(filters=replace(filters, stuck=True), now=now).count(),
    )


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


def attempt_with_log_tail(*, pod: Pod, container: str) -> Attempt | None:
    """The newest stored attempt of `container` of `pod` that kept a log tail, or None."""
    qs = Attempt.objects.filter(pod=pod, container__name=container).exclude(log_tail="")
    return qs.order_by("-generation", "-number").first()


def pod_state(pod: Pod) -> PodState:
    return decode_state(pod.state)


# The columns of a stored Event, each the `EventRecord` field of the same name.
_EVENT_FIELDS = (
    "uid", "namespace", "name", "pod_uid", "type", "reason", "message", "count", "first_at", "last_at",
    "container", "field_path", "source", "resource_version",
)  # fmt: skip


def _event_record(row: Event) -> EventRecord:
    return EventRecord(pod_name="", **{name: getattr(row, name) for name in _EVENT_FIELDS})


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
        "stuck": _stuck(pod, state, now),
        "diagnosis": diagnosis.to_dict() if diagnosis else None,
        "init_containers": pod.init_container_count,
        # False for a recording: its times are as of `as_of` (the end of the data) and do not tick.
        "live": pod.cluster.watched,
        "as_of": format_time(now),
    }


def _stuck(pod: Pod, state: PodState, now: datetime) -> bool:
    # A Pod read through `pod_queryset` carries the verdict its list was sorted by: show that one.
    verdict = getattr(pod, "is_stuck", None)
    if verdict is not None:
        return bool(verdict)
    return is_stuck(state, now=now, threshold=stuck_threshold())


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


# ------------------------------------------------------------------------------------------ the watcher

# How often a running watch proves itself alive (its heartbeat on the Cluster row); a heartbeat older than
# three of these (or the lock's time to live, if longer) belongs to a watch that stopped.
HEARTBEAT_SECONDS = 5.0


def watch_cursors(*, cluster: Cluster) -> dict[tuple[str, str], str]:
    """The saved resourceVersion of each of a cluster's streams, by (resource, namespace)."""
    rows = WatchCursor.objects.filter(cluster=cluster).values_list(
        "resource", "namespace", "resource_version"
    )
    return {(resource, namespace): rv for resource, namespace, rv in rows}


def cluster_watch_failures(*, name: str) -> int:
    """How many watch runs of cluster `name` failed in a row (0 for an unknown cluster)."""
    return Cluster.objects.filter(name=name).values_list("watch_failures", flat=True).first() or 0


def clusters_backing_off(*, names: Iterable[str], now: datetime) -> set[str]:
    """Those of `names` whose watch waits out a back-off at `now`."""
    qs = Cluster.objects.filter(name__in=list(names), watch_retry_at__gt=now)
    return set(qs.values_list("name", flat=True))


def attempts_missing_log_tail(
    *, cluster: Cluster, uids: Iterable[str], skip: Container[tuple[str, str, int, int]] = ()
) -> list[Mapping[str, Any]]:
    """Failed init container attempts of these live Pods without a log tail, whose log the kubelet still
    keeps: the newest generation's current attempt (`number == restart_count`) or the one before. `skip`
    holds (pod uid, container, generation, number) keys already tried."""
    rows = list(
        Attempt.objects.filter(
            pod__cluster=cluster,
            pod__uid__in=list(uids),
            pod__deleted_at__isnull=True,
            container__kind="init",
            known=True,
            finished_at__isnull=False,
            log_tail="",
        )
        .exclude(exit_code=0)
        .values(
            "container_id", "generation", "number", "pod__uid", "pod__namespace", "pod__name",
            "container__name", "container__restart_count",
        )
    )  # fmt: skip
    newest = dict(
        Attempt.objects.filter(container_id__in={r["container_id"] for r in rows})
        .values("container_id")
        .annotate(g=Max("generation"))
        .values_list("container_id", "g")
    )
    return [
        r
        for r in rows
        if r["generation"] == newest.get(r["container_id"])
        and r["container__restart_count"] - 1 <= r["number"] <= r["container__restart_count"]
        and (r["pod__uid"], r["container__name"], r["generation"], r["number"]) not in skip
    ]


def cluster_health(*, now: datetime | None = None) -> list[dict[str, Any]]:
    """Every configured or watched cluster with its watch health, for the API, the page and the CLI.

    `state` is watching (a holder renewed within the lock's time), degraded (watching, but some streams
    fail: e.g. a namespace whose RBAC refuses the watch, while the others are watched), backing-off,
    error (every stream's newest error is newer than its last success, or the watch is not running and
    some stream's is), stopped, or not-configured. Each stream has its own `state`: ok, error, pending.
    """
    now = now or datetime.now(UTC)
    configured = {c.name: c for c in kube.configured_clusters()}
    clusters = {c.name: c for c in Cluster.objects.filter(watched=True)}
    for name in configured:
        clusters.setdefault(name, Cluster(name=name))
    cursors: dict[str, list[WatchCursor]] = {}
    for cursor in WatchCursor.objects.filter(cluster__name__in=list(clusters)).select_related("cluster"):
        cursors.setdefault(cursor.cluster.name, []).append(cursor)
    fresh = max(float(settings.INITSCOPE_WATCH_LOCK_SECONDS), 3 * HEARTBEAT_SECONDS)
    return [
        _health_row(clusters[name], configured.get(name), cursors.get(name, []), now=now, fresh=fresh)
        for name in sorted(clusters)
    ]


def _health_row(
    cluster: Cluster,
    config: kube.ClusterConfig | None,
    cursors: list[WatchCursor],
    *,
    now: datetime,
    fresh: float,
) -> dict[str, Any]:
    if config is not None:  # streams of an older namespace filter are no longer this cluster's health
        scopes = set(config.namespaces) or {""}
        cursors = [c for c in cursors if c.namespace in scopes]
    streams = [_stream_row(c, now) for c in sorted(cursors, key=lambda c: (c.resource, c.namespace))]
    errors = [c for c in cursors if _failing(c)]
    with_error = [c for c in cursors if c.last_error_at]
    newest_error = max(with_error, key=lambda c: c.last_error_at or now, default=None)
    heartbeat = cluster.watch_heartbeat_at
    alive = heartbeat is not None and (now - heartbeat).total_seconds() < fresh
    oks = [c.last_ok_at for c in cursors if c.last_ok_at]
    events = [c.last_event_at for c in cursors if c.last_event_at]
    state = "stopped"
    if config is None:
        state = "not-configured"
    elif errors and alive and len(errors) < len(cursors):
        state = "degraded"  # one namespace (or stream) fails; the others are watched
    elif errors:
        state = "error"
    elif alive:
        state = "watching"
    if cluster.watch_retry_at and cluster.watch_retry_at > now:
        state = "backing-off" if not errors else "error"
    return {
        "name": cluster.name,
        "configured": config is not None,
        "namespaces": list(config.namespaces) if config else [],
        "state": state,
        "holder": cluster.watch_holder if alive else "",
        "heartbeat_at": heartbeat,
        "last_event_at": max(events, default=None),
        "last_ok_at": max(oks, default=None),
        "lag_seconds": round((now - min(oks)).total_seconds(), 1) if oks else None,
        "last_error": newest_error.last_error if newest_error else "",
        "last_error_at": newest_error.last_error_at if newest_error else None,
        "failures": cluster.watch_failures,
        "retry_at": cluster.watch_retry_at,
        "streams": streams,
    }


def _failing(c: WatchCursor) -> bool:
    """The stream's newest error is newer than its last success."""
    return bool(c.last_error_at and (not c.last_ok_at or c.last_error_at > c.last_ok_at))


def _stream_row(c: WatchCursor, now: datetime) -> dict[str, Any]:
    return {
        "resource": c.resource,
        "namespace": c.namespace,
        "state": "error" if _failing(c) else "ok" if c.last_ok_at else "pending",
        "resource_version": c.resource_version,
        "listed_at": c.listed_at,
        "last_event_at": c.last_event_at,
        "last_ok_at": c.last_ok_at,
        "lag_seconds": round((now - c.last_ok_at).total_seconds(), 1) if c.last_ok_at else None,
        "last_error": c.last_error,
        "last_error_at": c.last_error_at,
    }
