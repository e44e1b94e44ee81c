"""Writes: fold a batch of watch items into stored timelines, in one transaction, idempotently.

The flow for one batch: parse identities (malformed objects are rejected with a reason, the rest goes
on) -> load the stored `PodState` of every Pod the batch touches (one query) -> fold the items in order
with the pure engine (`pods.timeline`) -> write only what changed with set-based upserts on natural keys
(cluster+uid, pod+container name, container+generation+number, cluster+event uid) -> after commit, publish
the batch's changed Pods as one change message (pods.live). Folding the same items again changes
nothing, so replays, relists and retries are safe.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial

from django.db import transaction
from django.db.models import Q

from pods.ingest.upsert import upsert
from pods.live import broadcast as live
from pods.models import Attempt as AttemptRow
from pods.models import Cluster, Event, ImagePull, Pod
from pods.models import Container as ContainerRow
from pods.timeline import (
    Attempt,
    ContainerState,
    EventRecord,
    MalformedObject,
    Owner,
    PodState,
    Pull,
    apply_event,
    apply_pod,
    event_record,
    format_time,
    mark_vanished,
    pod_identity,
    step_label,
)
from pods.timeline.codec import decode_state, encode_state, fingerprint

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class WatchItem:
    """One object to ingest: a Pod or an Event, with the watch event type it came with.

    `type` is ADDED / MODIFIED / DELETED, or "" for an object from a list or a file. `position` names where
    it came from (for error messages); `observed_at` is when it was received (defaults to ingest time).
    """

    kind: str  # "pod" | "event"
    object: dict
    type: str = ""
    position: str = ""
    observed_at: datetime | None = None
    # The Pod's workload as resolved through the API (ReplicaSet -> Deployment, Job -> CronJob), when
    # the watcher knows it; otherwise the engine's guess from ownerReferences and labels stands.
    owner: Owner | None = None


@dataclass(slots=True)
class IngestResult:
    pods_changed: set[str] = field(default_factory=set)
    events_written: int = 0
    rejected: list[tuple[str, str]] = field(default_factory=list)  # (position, reason)


def tune_gc_for_ingest() -> None:
    """Make the cyclic garbage collector cheap for a long-running ingest process.

    Folding a batch allocates many short-lived dicts; with the default thresholds the collector scans
    every live object again and again (measured: ingest 1.5x slower). Objects alive at startup are frozen
    out of collection, and collections happen less often. Call once, after start-up, in a process whose
    main job is ingest (watchers, imports, the benchmark).
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)


def cluster_get_or_create(*, name: str) -> Cluster:
    cluster, _ = Cluster.objects.get_or_create(name=name)
    return cluster


def ingest_batch(
    *, cluster: Cluster, items: Sequence[WatchItem], now: datetime | None = None
) -> IngestResult:
    """Fold `items` (in order) into the stored timelines of `cluster` in one transaction."""
    now = now or datetime.now(UTC)
    result = IngestResult()
    parsed = _parse(items, result)
    if not parsed:
        return result
    uids = {uid for uid, _, _ in parsed}
    with transaction.atomic():
        states = _load_states(cluster, uids)
        # What each stored container looked like before folding (the fold mutates states in place).
        before = {uid: _fingerprints(state) for uid, state in states.items()}
        events: dict[str, EventRecord] = {}
        for uid, item, record in parsed:
            try:
                changed = _fold(states, uid, item, record)
            except Exception as exc:  # noqa: BLE001 - one bad object must not lose the batch
                log.exception("could not fold %s", item.position or uid)
                result.rejected.append((item.position, f"internal error while folding: {exc!r}"))
                continue
            if changed:
                result.pods_changed.add(uid)
            if record is not None:
                events[record.uid] = _newer_event(events.get(record.uid), record)
        result.events_written = _write_events(cluster, events.values())
        if result.pods_changed:
            changed_states = {uid: states[uid] for uid in result.pods_changed}
            summaries = _write_pods(cluster, changed_states, before, now)
            _advance_observed_until(cluster, changed_states.values())
            transaction.on_commit(partial(live.publish_pod_changes, cluster.name, summaries))
    return result


def pods_mark_vanished(
    *, cluster: Cluster, listed_uids: set[str], at: datetime, namespaces: list[str] | None = None
) -> set[str]:
    """After a relist: close the timelines of stored Pods the new list does not show.

    Every Pod of `cluster` (of `namespaces` only, when given: the scope of a namespaced list) that is
    neither deleted nor in `listed_uids` was deleted while no watch saw it (k8s-semantics §6 rule 4); it
    is marked deleted in one transaction and published. Returns their uids. Pods known only from Events
    (never seen as objects) are left alone.
    """
    # The difference is taken here, not in SQL: a relist can hold 150,000 uids, too many for NOT IN.
    active = Pod.objects.filter(cluster=cluster, deleted_at__isnull=True, seen=True)
    if namespaces is not None:
        active = active.filter(namespace__in=namespaces)
    candidates = set(active.values_list("uid", flat=True)) - listed_uids
    if not candidates:
        return set()
    with transaction.atomic():
        states = _load_states(cluster, candidates)
        before = {uid: _fingerprints(state) for uid, state in states.items()}
        changed = {uid: state for uid, state in states.items() if mark_vanished(state, at=at)}
        if changed:
            summaries = _write_pods(cluster, changed, before, datetime.now(UTC))
            transaction.on_commit(partial(live.publish_pod_changes, cluster.name, summaries))
    return set(changed)


def attempt_set_log_tail(
    *, cluster: Cluster, uid: str, container: str, generation: int, number: int, text: str
) -> bool:
    """Keep the last log lines of a (failed) attempt with it, so the reason survives the Pod.

    Returns False when the Pod or attempt is unknown or already holds exactly this text.
    """
    with transaction.atomic():
        states = _load_states(cluster, {uid})
        state = states.get(uid)
        if state is None:
            return False
        target = state.container(container)
        attempt = next(
            (
                a
                for a in (target.attempts if target else ())
                if (a.generation, a.number) == (generation, number)
            ),
            None,
        )
        if attempt is None or attempt.log_tail == text:
            return False
        before = {uid: _fingerprints(state)}
        attempt.log_tail = text
        _write_pods(cluster, {uid: state}, before, datetime.now(UTC))
    return True


def _advance_observed_until(cluster: Cluster, states: Iterable[PodState]) -> None:
    """Move the cluster's `observed_until` to the newest time its data holds (never backwards)."""
    newest = max((s.last_seen_at for s in states if s.last_seen_at), default=None)
    if newest is None:
        return
    Cluster.objects.filter(pk=cluster.pk).filter(
        Q(observed_until__isnull=True) | Q(observed_until__lt=newest)
    ).update(observed_until=newest)
    if cluster.observed_until is None or cluster.observed_until < newest:
        cluster.observed_until = newest


def _parse(
    items: Sequence[WatchItem], result: IngestResult
) -> list[tuple[str, WatchItem, EventRecord | None]]:
    parsed: list[tuple[str, WatchItem, EventRecord | None]] = []
    for item in items:
        try:
            if item.kind == "pod":
                uid = pod_identity(item.object)[0]
                parsed.append((uid, item, None))
            elif item.kind == "event":
                record = event_record(item.object)
                parsed.append((record.pod_uid, item, record))
            else:
                result.rejected.append((item.position, f"unsupported kind {item.kind!r}"))
        except MalformedObject as exc:
            result.rejected.append((item.position, str(exc)))
    return parsed


def _fold(states: dict[str, PodState], uid: str, item: WatchItem, record: EventRecord | None) -> bool:
    if record is not None:
        state, changed = apply_event(states.get(uid), record)
    else:
        state, changed = apply_pod(
            states.get(uid), item.object, deleted=item.type == "DELETED", observed_at=item.observed_at
        )
        if item.owner is not None and state.owner != item.owner:
            state.owner = item.owner
            changed = True
    states[uid] = state
    return changed


def _newer_event(current: EventRecord | None, new: EventRecord) -> EventRecord:
    if current is None or _event_key(new) >= _event_key(current):
        return new
    return current


def _load_states(cluster: Cluster, uids: set[str]) -> dict[str, PodState]:
    rows = Pod.objects.filter(cluster=cluster, uid__in=uids).values_list("uid", "state")
    return {uid: decode_state(state) for uid, state in rows if state}


def _attempt_facts(a: Attempt) -> tuple:
    # Every stored field: a plain tuple compares far cheaper than serialising each attempt.
    return (a.container_id, a.started_at, a.finished_at, a.exit_code, a.reason, a.message, a.signal,
            a.known, a.log_tail)  # fmt: skip


def _pull_facts(p: Pull | None) -> tuple | None:
    if p is None:
        return None
    return (p.image, p.started_at, p.finished_at, p.pull_seconds, p.wait_seconds, p.image_bytes,
            p.already_present, p.failures, p.generation, p.last_error)  # fmt: skip


def _fingerprints(state: PodState) -> dict[str, tuple[bytes, dict[tuple[int, int], tuple], tuple | None]]:
    """Per container: its serialised form, its attempts' and its pull's, to write only what changed."""
    out = {}
    for c in state.containers:
        attempts = {(a.generation, a.number): _attempt_facts(a) for a in c.attempts}
        out[c.name] = (fingerprint(c), attempts, _pull_facts(c.pull))
    return out


POD_COLUMNS = [
    "cluster_id",
    "uid",
    "namespace",
    "name",
    "seen",
    "node",
    "owner_kind",
    "owner_name",
    "restart_policy",
    "phase",
    "status",
    "restarts",
    "resource_version",
    "created_at",
    "scheduled_at",
    "initialized_at",
    "ready_at",
    "deleted_at",
    "step",
    "step_since",
    "terminal",
    "ready",
    "failure_code",
    "failure_container",
    "failure_summary",
    "failure_since",
    "init_container_count",
    "state",
    "updated_at",
]


def _pod_values(cluster: Cluster, state: PodState, now: datetime) -> tuple:
    failure = state.failure
    owner = state.owner
    return (
        cluster.pk,
        state.uid,
        state.namespace[:253],
        state.name[:253],
        state.seen,
        state.node[:253],
        owner.kind[:63] if owner else "",
        owner.name[:253] if owner else "",
        state.restart_policy[:16],
        state.phase[:16],
        state.status[:128],
        state.restarts,
        state.resource_version[:64],
        state.created_at,
        state.scheduled_at,
        state.initialized_at,
        state.ready_at,
        state.deleted_at,
        step_label(state)[:300],
        state.step_since,
        state.terminal,
        _is_ready(state),
        failure.code if failure else "",
        failure.container[:253] if failure else "",
        failure.summary if failure else "",
        failure.since if failure else None,
        sum(1 for c in state.containers if c.kind != "app"),
        encode_state(state),
        now,
    )


def _is_ready(state: PodState) -> bool:
    return any(c.type == "Ready" and c.status == "True" for c in state.conditions)


def _write_pods(cluster: Cluster, states: dict[str, PodState], before: dict, now: datetime) -> list[dict]:
    rows = [_pod_values(cluster, state, now) for state in states.values()]
    pks = upsert(Pod, POD_COLUMNS, rows, key=["cluster_id", "uid"], update=POD_COLUMNS[2:])
    pod_pks = {uid: pk for (_, uid), pk in pks.items()}
    _write_containers(states, before, pod_pks)
    return [change_summary(cluster.name, dict(zip(POD_COLUMNS, row, strict=True))) for row in rows]


CONTAINER_COLUMNS = ["pod_id", "name", "kind", "index", "image", "restart_count", "state", "state_reason"]
ATTEMPT_COLUMNS = [
    "container_id",
    "generation",
    "number",
    "pod_id",
    "known",
    "runtime_container_id",
    "started_at",
    "finished_at",
    "exit_code",
    "reason",
    "message",
    "signal",
    "log_tail",
]
PULL_COLUMNS = [
    "container_id",
    "image",
    "started_at",
    "finished_at",
    "pull_seconds",
    "wait_seconds",
    "image_bytes",
    "already_present",
    "failures",
]


def _write_containers(states: dict[str, PodState], before: dict, pod_pks: dict[str, int]) -> None:
    """Upsert the containers, attempts and pulls that differ from what was stored before the fold."""
    changed: list[tuple[int, ContainerState, tuple | None]] = []  # (pod pk, container, old fingerprints)
    for uid, state in states.items():
        old = before.get(uid, {})
        for c in state.containers:
            previous = old.get(c.name)
            if previous is None or previous[0] != fingerprint(c):
                changed.append((pod_pks[uid], c, previous))
    if not changed:
        return
    rows = [
        (
            pk,
            c.name[:253],
            c.kind,
            c.index,
            c.image[:1024],
            c.restart_count,
            c.state[:16],
            c.state_reason[:128],
        )
        for pk, c, _ in changed
    ]
    ids = upsert(ContainerRow, CONTAINER_COLUMNS, rows, key=["pod_id", "name"], update=CONTAINER_COLUMNS[2:])
    attempts: list[tuple] = []
    pulls: list[tuple] = []
    for pod_pk, c, previous in changed:
        container_pk = ids[(pod_pk, c.name[:253])]
        old_attempts = previous[1] if previous else {}
        for a in c.attempts:
            if old_attempts.get((a.generation, a.number)) != _attempt_facts(a):
                attempts.append(_attempt_values(container_pk, pod_pk, a))
        if c.pull and (previous is None or previous[2] != _pull_facts(c.pull)):
            pulls.append(_pull_values(container_pk, c.pull))
    upsert(AttemptRow, ATTEMPT_COLUMNS, attempts, key=ATTEMPT_COLUMNS[:3], update=ATTEMPT_COLUMNS[3:])
    upsert(ImagePull, PULL_COLUMNS, pulls, key=["container_id"], update=PULL_COLUMNS[1:])


def _attempt_values(container_pk: int, pod_pk: int, a: Attempt) -> tuple:
    return (
        container_pk,
        a.generation,
        a.number,
        pod_pk,
        a.known,
        (a.container_id or "")[:200],
        a.started_at,
        a.finished_at,
        a.exit_code,
        (a.reason or "")[:128],
        a.message or "",
        a.signal,
        a.log_tail or "",
    )


def _pull_values(container_pk: int, p: Pull) -> tuple:
    return (
        container_pk,
        (p.image or "")[:1024],
        p.started_at,
        p.finished_at,
        p.pull_seconds,
        p.wait_seconds,
        p.image_bytes,
        p.already_present,
        p.failures,
    )


EVENT_COLUMNS = [
    "cluster_id",
    "uid",
    "pod_uid",
    "namespace",
    "name",
    "type",
    "reason",
    "message",
    "count",
    "first_at",
    "last_at",
    "container",
    "field_path",
    "source",
    "resource_version",
]


def _write_events(cluster: Cluster, records: Iterable[EventRecord]) -> int:
    """Upsert Events, skipping any that is not newer than the stored copy (replays never regress)."""
    records = list(records)
    if not records:
        return 0
    stored = {
        uid: (count, last_at)
        for uid, count, last_at in Event.objects.filter(
            cluster=cluster, uid__in=[r.uid for r in records]
        ).values_list("uid", "count", "last_at")
    }
    records = [r for r in records if r.uid not in stored or _event_key(r) > _key_of(*stored[r.uid])]
    rows = [
        (
            cluster.pk,
            r.uid[:64],
            r.pod_uid[:64],
            r.namespace[:253],
            r.name[:253],
            r.type[:16],
            r.reason[:128],
            r.message,
            r.count,
            r.first_at,
            r.last_at,
            r.container[:253],
            r.field_path[:512],
            r.source[:253],
            r.resource_version[:64],
        )
        for r in records
    ]
    upsert(Event, EVENT_COLUMNS, rows, key=["cluster_id", "uid"], update=EVENT_COLUMNS[2:])
    return len(rows)


_EPOCH = datetime.min.replace(tzinfo=UTC)


def _key_of(count: int, last_at: datetime | None) -> tuple[int, datetime]:
    return (count, last_at or _EPOCH)


def _event_key(record: EventRecord) -> tuple[int, datetime]:
    return _key_of(record.count, record.last_at)


def change_summary(cluster: str, pod: dict) -> dict:
    """The small message the live dashboard gets for a changed Pod (it fetches details on demand)."""
    return {
        "uid": pod["uid"],
        "cluster": cluster,
        "namespace": pod["namespace"],
        "name": pod["name"],
        "owner_name": pod["owner_name"],
        "phase": pod["phase"],
        "status": pod["status"],
        "restarts": pod["restarts"],
        "step": pod["step"],
        "step_since": format_time(pod["step_since"]),
        "failure_code": pod["failure_code"],
        "deleted": pod["deleted_at"] is not None,
    }
