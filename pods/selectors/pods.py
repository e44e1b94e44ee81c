"""Reads about Pods: lists, filters, counts, timeline documents and summaries, for the API, the CLI, the
export and the pages.

The stuck rule is the engine's (`pods.timeline.stuck_rule`): `pods.timeline.is_stuck` decides it for one
Pod, and `stuck_q` states the same rule over the projected columns so lists filter and sort in SQL. A test
holds both (and the live overview's reading of change summaries) to the same verdicts on every bundled
recording; a list row shows the verdict its list was sorted by.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import overload

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import Case, Count, Exists, F, IntegerField, OuterRef, Q, QuerySet, Sum, Value, When
from django.db.models.functions import Coalesce

from access.scope import EVERYTHING, Scope
from dashboard.snapshot import one_snapshot
from pods.models import Attempt, Cluster, Container, Event, Pod, PodStatusCount
from pods.selectors.describe import pod_workload
from pods.selectors.related import related_events, related_for_pods, with_related_document
from pods.timeline import (
    TERMINAL_DIAGNOSES,
    EventRecord,
    PodState,
    diagnose,
    format_time,
    is_stuck,
    timeline_document,
)
from pods.timeline.related import with_related


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
    failing = failing_q()
    at_now = Q(cluster__watched=True) | Q(cluster__observed_until__isnull=True)
    at_now |= Q(cluster__observed_until__gte=now)  # min(now, the end of the data) is now
    slow_live = Q(step_since__lt=now - threshold) & at_now
    slow_recorded = Q(
        cluster__watched=False,
        cluster__observed_until__lt=now,
        step_since__lt=F("cluster__observed_until") - threshold,
    )
    return can_be_stuck & (failing | slow_live | slow_recorded)


def failing_q() -> Q:
    """The stuck rule's `failing` half over the projected columns: a failure cause holds (its code is the
    cause; a stuck Pod without one is `slow`)."""
    return Q(failure_code__gt="") & ~Q(failure_code__in=TERMINAL_DIAGNOSES)


def failed_q() -> Q:
    """`pods.timeline.is_failed` (terminal failure: phase Failed, or a `failed` / `deadline` diagnosis;
    not killed by its own deletion nor deleted since), as its projected column: the engine decides it
    at ingest, SQL only reads the verdict."""
    return Q(failed=True)


# The list's order: stuck Pods, then failed ones, then the rest (each newest first).
RANK_STUCK, RANK_FAILED, RANK_OTHER = 0, 1, 2


@dataclass(frozen=True, slots=True)
class PodFilters:
    cluster: str = ""
    namespace: str = ""
    workload: str = ""  # "name" or "Kind/name"
    # STATUS, case-insensitive, by prefix (`init:` matches `Init:0/2` and `Init:CrashLoopBackOff`);
    # several separated by commas
    status: str = ""
    stuck: bool | None = None
    failed: bool | None = None
    # name, namespace, workload, container names and the diagnosis text (case-insensitive, a substring)
    search: str = ""
    include_deleted: bool = True
    # What the reader may see (`access.scope`): every query of these filters is narrowed to it.
    scope: Scope = EVERYTHING


def status_terms(text: str) -> list[str]:
    """The STATUS prefixes of a status filter (`Init:, Running` -> `["Init:", "Running"]`)."""
    return [s.strip() for s in text.split(",") if s.strip()]


def pod_queryset(*, filters: PodFilters, now: datetime | None = None) -> QuerySet[Pod]:
    """Pods matching `filters`: stuck ones first, then failed ones (`failed_q`), then the rest; each
    newest first."""
    now = now or datetime.now(UTC)
    threshold = stuck_threshold()
    qs = Pod.objects.select_related("cluster").filter(filters.scope.q(), seen=True)
    if filters.cluster:
        qs = qs.filter(cluster__name=filters.cluster)
    if filters.namespace:
        qs = qs.filter(namespace=filters.namespace)
    if filters.workload:
        kind, _, name = filters.workload.rpartition("/")
        qs = qs.filter(owner_name=name)
        if kind:
            qs = qs.filter(owner_kind__iexact=kind)
    terms = status_terms(filters.status)
    if terms:
        matching = Q()
        for term in terms:
            matching |= Q(status__istartswith=term)
        qs = qs.filter(matching)
    if not filters.include_deleted:
        qs = qs.filter(deleted_at__isnull=True)
    if filters.search:
        term = filters.search.strip()
        containers = Container.objects.filter(pod=OuterRef("pk"), name__icontains=term)
        qs = qs.filter(
            Q(name__icontains=term)
            | Q(namespace__icontains=term)
            | Q(owner_name__icontains=term)
            | Q(failure_summary__icontains=term)
            | Q(failure_code__icontains=term)
            | Exists(containers)
        )
    stuck = stuck_q(now=now, threshold=threshold)
    if filters.stuck is True:
        qs = qs.filter(stuck)
    elif filters.stuck is False:
        qs = qs.exclude(stuck)
    if filters.failed is True:
        qs = qs.filter(failed_q())
    elif filters.failed is False:
        qs = qs.exclude(failed_q())
    qs = qs.annotate(
        is_stuck=Case(When(stuck, then=Value(True)), default=Value(False)),
        rank=Case(
            When(stuck, then=Value(RANK_STUCK)),
            When(failed_q(), then=Value(RANK_FAILED)),
            default=Value(RANK_OTHER),
            output_field=IntegerField(),
        ),
    )
    return qs.order_by("rank", Coalesce("created_at", "updated_at").desc(), "uid")


class RankedPods:
    """`pod_queryset`'s rows for a paginator, read rank by rank: the stuck Pods, then the failed ones,
    then the rest, each newest first, each part a short scan in index order (the partial index of active
    Pods, of failed Pods, the list order `pod_list_order`) that stops at the page's end, instead of
    ranking every stored Pod before the first page. Same rows, same order as `pod_queryset`."""

    def __init__(self, queryset: QuerySet[Pod], *, now: datetime, total: int | None = None):
        self._qs = queryset.order_by(Coalesce("created_at", "updated_at").desc(), "uid")
        self._stuck = stuck_q(now=now, threshold=stuck_threshold())
        self._total = total

    def count(self) -> int:
        if self._total is None:
            self._total = self._qs.order_by().count()
        return self._total

    def __len__(self) -> int:
        return self.count()

    def __iter__(self) -> Iterator[Pod]:
        return iter(self[0:None])

    @overload
    def __getitem__(self, wanted: int, /) -> Pod: ...
    @overload
    def __getitem__(self, wanted: slice, /) -> list[Pod]: ...
    def __getitem__(self, wanted: int | slice, /) -> Pod | list[Pod]:
        if isinstance(wanted, int):
            return self[wanted : wanted + 1][0]
        start, stop = wanted.start or 0, wanted.stop
        parts = (
            self._qs.filter(self._stuck),
            self._qs.exclude(self._stuck).filter(failed_q()),
            self._qs.exclude(self._stuck).exclude(failed_q()),
        )
        rows: list[Pod] = []
        for part in parts:
            if stop is not None and len(rows) >= stop:
                break
            rows.extend(part if stop is None else part[: stop - len(rows)])
        return rows[start:stop]


def status_counts(*, filters: PodFilters, now: datetime | None = None) -> dict[str, int]:
    """Pods matching `filters` per STATUS. Filtered by cluster and namespace only (the overview's
    default), PostgreSQL reads the counts it keeps (`PodStatusCount`, a few rows per namespace) instead
    of counting every stored Pod; any other filter counts the matching rows."""
    if connection.vendor == "postgresql" and filters == PodFilters(
        cluster=filters.cluster,
        namespace=filters.namespace,
        include_deleted=filters.include_deleted,
        scope=filters.scope,
    ):
        kept = PodStatusCount.objects.filter(filters.scope.q(), pods__gt=0)
        if filters.cluster:
            kept = kept.filter(cluster__name=filters.cluster)
        if filters.namespace:
            kept = kept.filter(namespace=filters.namespace)
        if not filters.include_deleted:
            kept = kept.filter(deleted=False)
        return dict(kept.values_list("status").annotate(n=Sum("pods")).values_list("status", "n"))
    qs = pod_queryset(filters=filters, now=now).order_by()
    return dict(qs.values_list("status").annotate(n=Count("id")).values_list("status", "n"))


@dataclass(frozen=True, slots=True)
class PodListPage:
    """One page of the Pod list, read whole (rendering it runs no query)."""

    page: Page  # the page of Pods (number, paginator.count, neighbours)
    rows: list[dict]  # `pod_summary` of each Pod on the page, in the list's order, with `terminal`
    uids: list[str]  # the uid of each Pod on the page, in the list's order (also without `rows`)
    counts: list[tuple[str, int]]  # Pods per STATUS under the other filters, most first
    stuck_count: int  # Pods matching the filters that are stuck
    failed_count: int  # Pods matching the filters that failed (terminal failure)


def pod_list_page(
    *,
    filters: PodFilters,
    page: int | str | None = None,
    size: int,
    now: datetime | None = None,
    with_rows: bool = True,
) -> PodListPage:
    """Page `page` (a number or its text; out of range: the nearest) of the Pods matching `filters`,
    stuck first, with the counts the list shows beside it; `with_rows=False`: the counts and the page's
    uids without its rows' summaries (`rows` empty), for the live overview's head and order."""
    now = now or datetime.now(UTC)
    # One snapshot: the ranks are read one after the other (`RankedPods`), and a Pod whose rank changed
    # between two of those reads would otherwise be listed twice or not at all; the counts agree too.
    with one_snapshot():
        counts = status_counts(filters=replace(filters, status=""), now=now)
        # Without a STATUS filter the Pods listed are the ones counted per STATUS: no second count.
        total = None if filters.status else sum(counts.values())
        found: Page = Paginator(
            RankedPods(pod_queryset(filters=filters, now=now), now=now, total=total), size
        ).get_page(page)
        listed = list(found.object_list)
        return PodListPage(
            page=found,
            rows=_list_rows(listed, now=now) if with_rows else [],
            uids=[pod.uid for pod in listed],
            counts=sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])),
            stuck_count=pod_queryset(filters=replace(filters, stuck=True), now=now).count(),
            failed_count=pod_queryset(filters=replace(filters, failed=True), now=now).count(),
        )


def pod_list_rows(*, filters: PodFilters, uids: Sequence[str], now: datetime | None = None) -> list[dict]:
    """The rows (as `pod_list_page`'s) of the Pods `uids` that match `filters`, in the list's order: what
    the live overview re-reads for the rows it shows that changed, instead of the whole page."""
    now = now or datetime.now(UTC)
    return _list_rows(list(pod_queryset(filters=filters, now=now).filter(uid__in=list(uids))), now=now)


def _list_rows(listed: list[Pod], *, now: datetime) -> list[dict]:
    # `terminal`: the engine's verdict (PodState.terminal, projected), so the page stops the clock of a
    # finished Pod without a phase rule of its own.
    rows = pod_summaries(listed, now=now)
    return [{**row, "terminal": pod.terminal} for pod, row in zip(listed, rows, strict=True)]


def pod_get(*, uid: str, cluster: str = "", scope: Scope = EVERYTHING) -> Pod | None:
    """The newest Pod with this uid (in `cluster` when given) that `scope` lets its reader see: None for
    one out of scope, exactly as for an unknown uid (a page answers 404, never a 403 that tells it
    exists)."""
    qs = Pod.objects.select_related("cluster").filter(scope.q(), uid=uid, seen=True)
    if cluster:
        qs = qs.filter(cluster__name=cluster)
    return qs.order_by("-updated_at").first()


def pod_find(*, namespace: str, name: str, cluster: str = "", scope: Scope = EVERYTHING) -> Pod | None:
    """The newest Pod with this name (names are reused, e.g. by StatefulSets)."""
    qs = Pod.objects.select_related("cluster").filter(scope.q(), namespace=namespace, name=name, seen=True)
    if cluster:
        qs = qs.filter(cluster__name=cluster)
    return qs.order_by(Coalesce("created_at", "updated_at").desc()).first()


def pods_named(*, name: str, namespace: str = "", cluster: str = "", limit: int = 20) -> list[Pod]:
    """The Pods called `name` (in `namespace` and `cluster` when given), newest first: `pod_find`'s order,
    so the first is the one it picks."""
    qs = Pod.objects.select_related("cluster").filter(name=name, seen=True)
    if namespace:
        qs = qs.filter(namespace=namespace)
    if cluster:
        qs = qs.filter(cluster__name=cluster)
    return list(qs.order_by(Coalesce("created_at", "updated_at").desc(), "uid")[:limit])


def pods_stored_versions(*, cluster: Cluster, namespaces: list[str] | None = None) -> dict[str, str]:
    """uid -> stored resourceVersion (of the newest object written) of every Pod `cluster` holds as seen
    and not deleted (of `namespaces` only, when given): what a relist compares its items with."""
    rows = Pod.objects.filter(cluster=cluster, seen=True, deleted_at__isnull=True)
    if namespaces is not None:
        rows = rows.filter(namespace__in=namespaces)
    return dict(rows.values_list("uid", "resource_version").iterator(chunk_size=10_000))


def attempt_with_log_tail(*, pod: Pod, container: str) -> Attempt | None:
    """The newest stored attempt of `container` of `pod` that kept a log tail, or None."""
    qs = Attempt.objects.filter(pod=pod, container__name=container).exclude(log_tail="")
    return qs.order_by("-generation", "-number").first()


def container_attempts(*, pod: Pod, container: str) -> list[Attempt]:
    """Every stored attempt of `container` of `pod`, newest first (generation, then number)."""
    return list(Attempt.objects.filter(pod=pod, container__name=container).order_by("-generation", "-number"))


def pod_state(pod: Pod) -> PodState:
    return pod.folded_state


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


def pod_document(pod: Pod, *, now: datetime | None = None, scope: Scope = EVERYTHING) -> dict:
    """The timeline document of one Pod (see docs/api.md), judged at its cluster's "now"; the attempts' kept
    log tails blanked unless `scope` may read this Pod's logs."""
    as_of = cluster_now(pod.cluster, now)
    state = pod_state(pod)
    threshold = stuck_threshold()
    document = timeline_document(
        state, pod_events(pod), cluster=pod.cluster.name, now=as_of, threshold=threshold
    )
    related = related_events([(pod.cluster_id, state)]).get((pod.cluster_id, pod.uid), [])
    document = with_related_document(document, state, related, now=as_of, threshold=threshold)
    document["workload"] = pod_workload(pod, state)
    if not scope.allows_logs(pod.cluster.name, pod.namespace):
        document = without_log_tails(document)
    return _with_clock(document, pod.cluster, as_of)


def without_log_tails(document: dict) -> dict:
    """`document` with every attempt's kept log tail blanked (a reader without the logs grant)."""
    for container in document.get("containers", ()):
        for attempt in container.get("attempts", ()):
            attempt["log_tail"] = ""
    return document


def _with_clock(document: dict, cluster: Cluster, as_of: datetime) -> dict:
    # `live`: the cluster is watched, times move with the wall clock; otherwise it is a recording and
    # durations, stuck and diagnosis are as of `as_of`, the end of its data.
    document["live"] = cluster.watched
    document["as_of"] = format_time(as_of)
    return document


def pod_summary(pod: Pod, *, now: datetime | None = None, related: Sequence[EventRecord] = ()) -> dict:
    """One row of a Pod list: what the overview and `pods list` show, without attempts and events.
    `related`: the Events about its node and claims (`pods.selectors.related`), read by the diagnosis."""
    now = cluster_now(pod.cluster, now)
    state = pod_state(pod)
    diagnosis = with_related(diagnose(state, now=now, threshold=stuck_threshold()), state, related)
    return {
        "cluster": pod.cluster.name,
        "uid": pod.uid,
        "namespace": pod.namespace,
        "name": pod.name,
        "owner": {"kind": pod.owner_kind, "name": pod.owner_name} if pod.owner_kind else None,
        "node": pod.node,
        "phase": pod.phase,
        "status": pod.status,
        "ready": pod.ready_containers,
        "restarts": pod.restarts,
        "created_at": format_time(pod.created_at),
        "deleted_at": format_time(pod.deleted_at),
        "step": pod.step,
        "step_since": format_time(pod.step_since),
        "stuck": _stuck(pod, state, now),
        "failed": pod.failed,
        "diagnosis": diagnosis.to_dict() if diagnosis else None,
        "init_containers": pod.init_container_count,
        # False for a recording: its times are as of `as_of` (the end of the data) and do not tick.
        "live": pod.cluster.watched,
        "as_of": format_time(now),
    }


def pod_summaries(pods: Sequence[Pod], *, now: datetime | None = None) -> list[dict]:
    """`pod_summary` of each of `pods`, its diagnosis amended by the Events about its node and claims (read
    in one query): the rows of every Pod list (the overview, `GET /api/v1/pods`, `pods list`)."""
    related = related_for_pods(pods)
    return [pod_summary(pod, now=now, related=related.get((pod.cluster_id, pod.uid), ())) for pod in pods]


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
        states = {pod.id: pod_state(pod) for pod in page}
        related = related_events([(pod.cluster_id, states[pod.id]) for pod in page])
        for pod in page:
            as_of = cluster_now(pod.cluster, now)
            document = timeline_document(
                states[pod.id],
                events.get((pod.cluster_id, pod.uid), []),
                cluster=pod.cluster.name,
                now=as_of,
                threshold=stuck_threshold(),
            )
            document = with_related_document(
                document,
                states[pod.id],
                related.get((pod.cluster_id, pod.uid), []),
                now=as_of,
                threshold=stuck_threshold(),
            )
            document["workload"] = None  # siblings are not looked up for every Pod of an export
            yield _with_clock(document, pod.cluster, as_of)
        last_id = page[-1].id


def _events_for(pods: list[Pod]) -> dict[tuple[int, str], list[EventRecord]]:
    out: dict[tuple[int, str], list[EventRecord]] = {}
    uids = {p.uid for p in pods}
    rows = Event.objects.filter(pod_uid__in=uids).order_by("first_at", "id")
    for row in rows:
        out.setdefault((row.cluster_id, row.pod_uid), []).append(_event_record(row))
    return out


def cluster_names(*, scope: Scope = EVERYTHING) -> list[str]:
    """The clusters' names (those `scope` has a grant on)."""
    return [name for name in Cluster.objects.values_list("name", flat=True) if scope.allows_cluster(name)]


# The distinct namespaces of the clusters' Pods, one index probe each (a skip scan of `pod_ns_name`)
# rather than reading every Pod (PostgreSQL).
_NAMESPACES_SQL = """
WITH RECURSIVE ns(cluster_id, namespace) AS (
  SELECT c.id, (SELECT p.namespace FROM pods_pod p WHERE p.cluster_id = c.id AND p.seen
                ORDER BY p.namespace LIMIT 1)
  FROM pods_cluster c WHERE c.id = ANY(%s)
  UNION ALL
  SELECT ns.cluster_id, (SELECT p.namespace FROM pods_pod p WHERE p.cluster_id = ns.cluster_id AND p.seen
                         AND p.namespace > ns.namespace ORDER BY p.namespace LIMIT 1)
  FROM ns WHERE ns.namespace IS NOT NULL
)
SELECT DISTINCT namespace FROM ns WHERE namespace IS NOT NULL ORDER BY namespace
"""


def namespaces(*, cluster: str = "", scope: Scope = EVERYTHING) -> list[str]:
    """The namespaces of the seen Pods (of `cluster` when given; in `scope`), in the database's order."""
    qs = Pod.objects.filter(scope.q(), seen=True)
    if cluster:
        qs = qs.filter(cluster__name=cluster)
    if connection.vendor != "postgresql" or not scope.everything:
        return list(qs.order_by("namespace").values_list("namespace", flat=True).distinct())
    clusters = Cluster.objects.filter(name=cluster) if cluster else Cluster.objects.all()
    with connection.cursor() as cursor:
        cursor.execute(_NAMESPACES_SQL, [list(clusters.values_list("id", flat=True))])
        return [row[0] for row in cursor.fetchall()]
