"""Row projection: stored timelines in and out of their tables.

A Pod's folded `PodState` is stored whole (`Pod.state`); its projection into columns (the Pod row) and
rows (containers, attempts, image pulls, Events) serves queries and reports. This module owns that
projection: which columns are written (`*_COLUMNS`), the values of each row (cut to the models' own
column lengths), reading states back (`load_states`), and writing only what changed since they were read
(`fingerprints` before the fold, `write_pods` after it).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db import models
from django.db.models import OuterRef, Subquery

from pods.history.keys import UNKNOWN_TIME, partition_time
from pods.ingest.prepared import fetch_prepared
from pods.ingest.summary import change_summary
from pods.ingest.upsert import upsert
from pods.models import Attempt as AttemptRow
from pods.models import Cluster, Event, ImagePull, Pod, RelatedEvent
from pods.models import Container as ContainerRow
from pods.timeline import (
    Attempt,
    ContainerState,
    EventRecord,
    PodState,
    Pull,
    is_failed,
    is_ready,
    step_label,
)
from pods.timeline.codec import decode_state, encode_state, fingerprint
from pods.timeline.model import event_recency


def _max_lengths(model: type[models.Model]) -> dict[str, int]:
    """The length each text column of `model` holds (its field's max_length), by column name."""
    return {
        f.attname: f.max_length
        for f in model._meta.concrete_fields
        if isinstance(f, models.CharField) and f.max_length
    }


_POD = _max_lengths(Pod)
_CONTAINER = _max_lengths(ContainerRow)
_ATTEMPT = _max_lengths(AttemptRow)
_PULL = _max_lengths(ImagePull)
_EVENT = _max_lengths(Event)


def load_states(cluster: Cluster, uids: set[str]) -> dict[str, PodState]:
    """The stored `PodState` of each of these Pods of `cluster` that has one, by uid (one query)."""
    rows = Pod.objects.filter(cluster=cluster, uid__in=uids).values_list("uid", "state")
    return {uid: decode_state(state) for uid, state in rows if state}


def _attempt_facts(a: Attempt) -> tuple:
    # Every stored field: a plain tuple compares far cheaper than serialising each attempt.
    return (a.container_id, a.started_at, a.finished_at, a.exit_code, a.reason, a.message, a.signal,
            a.known, a.count, a.log_tail)  # fmt: skip


def _pull_facts(p: Pull | None) -> tuple | None:
    if p is None:
        return None
    return (p.image, p.started_at, p.finished_at, p.pull_seconds, p.wait_seconds, p.image_bytes,
            p.already_present, p.failures, p.generation, p.last_error)  # fmt: skip


def fingerprints(state: PodState) -> dict[str, tuple[bytes, dict[tuple[int, int], tuple], tuple | None]]:
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
    "controller_kind",
    "controller_name",
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
    "failed",
    "ready_containers",
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
    controller = state.controller
    return (
        cluster.pk,
        state.uid,
        state.namespace[: _POD["namespace"]],
        state.name[: _POD["name"]],
        state.seen,
        state.node[: _POD["node"]],
        owner.kind[: _POD["owner_kind"]] if owner else "",
        owner.name[: _POD["owner_name"]] if owner else "",
        controller.kind[: _POD["controller_kind"]] if controller else "",
        controller.name[: _POD["controller_name"]] if controller else "",
        state.restart_policy[: _POD["restart_policy"]],
        state.phase[: _POD["phase"]],
        state.status[: _POD["status"]],
        state.restarts,
        state.resource_version[: _POD["resource_version"]],
        state.created_at,
        state.scheduled_at,
        state.initialized_at,
        state.ready_at,
        state.deleted_at,
        step_label(state)[: _POD["step"]],
        state.step_since,
        state.terminal,
        is_ready(state),
        is_failed(state),
        state.ready_containers[: _POD["ready_containers"]],
        failure.code if failure else "",
        failure.container[: _POD["failure_container"]] if failure else "",
        failure.summary if failure else "",
        failure.since if failure else None,
        sum(1 for c in state.containers if c.kind != "app"),
        encode_state(state),
        now,
    )


# A changed container (`PodRows.containers`).
PlannedContainer = tuple[str, tuple, list[tuple], tuple | None]


@dataclass(slots=True)
class PodRows:
    """The rows a batch writes for its changed Pods, planned from their folded states (`plan_pods`):
    plain values only, so the states may be folded into again while `write_pod_rows` writes them (the
    pipelined ingest, `pods.ingest.pipeline`). The ids they need are filled in as they are written."""

    pods: list[tuple]  # in POD_COLUMNS order
    rekey: list[str]  # uids of Pods whose attempts move to their partition key (`_rekey_attempts`)
    # Per changed container: its Pod's uid, its row without `pod_id`, its attempt rows without
    # `container_id` and `pod_id` (generation, number, pod_created_at, then the rest), its pull's without
    # `container_id` (None: unchanged).
    containers: list[PlannedContainer]
    summaries: list[dict]  # the live change summary of each Pod


def write_pods(
    cluster: Cluster,
    states: dict[str, PodState],
    before: dict,
    now: datetime,
    created_before: dict[str, datetime | None] | None = None,
) -> list[dict]:
    """Upsert the Pod rows of `states` and the container rows that changed since `before` (their
    `fingerprints` when loaded); returns the live change summary of each Pod.

    `created_before`: each stored Pod's creation time when loaded; a Pod whose creation became known
    since has its attempts moved to their partition key (`_rekey_attempts`)."""
    planned = plan_pods(cluster, states, before, now, created_before)
    write_pod_rows(planned)
    return planned.summaries


def plan_pods(
    cluster: Cluster,
    states: dict[str, PodState],
    before: dict,
    now: datetime,
    created_before: dict[str, datetime | None] | None = None,
) -> PodRows:
    """What `write_pods` writes, as values (see `PodRows`)."""
    rows = [_pod_values(cluster, state, now) for state in states.values()]
    summaries = [
        change_summary(cluster.name, dict(zip(POD_COLUMNS, row, strict=True)), state)
        for row, state in zip(rows, states.values(), strict=True)
    ]
    rekey = _to_rekey(states, before, created_before) if created_before else []
    return PodRows(rows, rekey, _changed_containers(states, before), summaries)


def write_pod_rows(planned: PodRows) -> None:
    """Write planned rows (`plan_pods`), inside the caller's transaction."""
    pks = upsert(Pod, POD_COLUMNS, planned.pods, key=["cluster_id", "uid"], update=POD_COLUMNS[2:])
    pod_pks = {uid: pk for (_, uid), pk in pks.items()}
    if planned.rekey:
        _rekey_attempts([pod_pks[uid] for uid in planned.rekey])
    _write_containers(planned.containers, pod_pks)


CONTAINER_COLUMNS = ["pod_id", "name", "kind", "index", "image", "restart_count", "state", "state_reason"]
# The key: (container, generation, number) and the partition key (`pods.history.keys`).
ATTEMPT_COLUMNS = [
    "container_id",
    "generation",
    "number",
    "pod_created_at",
    "pod_id",
    "known",
    "count",
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


def _to_rekey(
    states: dict[str, PodState], before: dict, created_before: dict[str, datetime | None]
) -> list[str]:
    """Attempts stored while their Pod's creation was unknown carry `UNKNOWN_TIME` as their partition key
    (`Attempt.pod_created_at`); once it is known, they move to it (`_rekey_attempts`), so the next upsert
    of the same attempt matches the stored row. Only Pods that had attempts stored before this fold are
    asked about."""
    return [
        uid
        for uid, state in states.items()
        if state.created_at is not None
        and uid in created_before
        and created_before[uid] is None
        and any(attempts for _, attempts, _ in before.get(uid, {}).values())
    ]


def _rekey_attempts(pods: list[int]) -> None:
    """Move the attempts of these Pods stored under `UNKNOWN_TIME` to their Pod's creation time (one UPDATE,
    which PostgreSQL may move to another partition)."""
    created = Pod.objects.filter(pk=OuterRef("pod_id")).values("created_at")[:1]
    AttemptRow.objects.filter(pod_id__in=pods, pod_created_at=UNKNOWN_TIME).update(
        pod_created_at=Subquery(created)
    )


def _changed_containers(states: dict[str, PodState], before: dict) -> list[PlannedContainer]:
    """The containers, attempts and pulls that differ from what was stored before the fold, as rows
    without the ids of their Pod and container (`PodRows.containers`)."""
    changed = []
    for uid, state in states.items():
        old = before.get(uid, {})
        created = partition_time(state.created_at)
        for c in state.containers:
            previous = old.get(c.name)
            if previous is not None and previous[0] == fingerprint(c):
                continue
            old_attempts = previous[1] if previous else {}
            attempts = [
                _attempt_values(created, a)
                for a in c.attempts
                if old_attempts.get((a.generation, a.number)) != _attempt_facts(a)
            ]
            pull = None
            if c.pull and (previous is None or previous[2] != _pull_facts(c.pull)):
                pull = _pull_values(c.pull)
            changed.append((uid, _container_values(c), attempts, pull))
    return changed


def _write_containers(changed: list[PlannedContainer], pod_pks: dict[str, int]) -> None:
    """Upsert the planned containers, then their attempts and pulls with the ids the upserts returned."""
    if not changed:
        return
    rows = [(pod_pks[uid], *row) for uid, row, _, _ in changed]
    ids = upsert(ContainerRow, CONTAINER_COLUMNS, rows, key=["pod_id", "name"], update=CONTAINER_COLUMNS[2:])
    attempts: list[tuple] = []
    pulls: list[tuple] = []
    for uid, row, planned_attempts, pull in changed:
        pod_pk = pod_pks[uid]
        container_pk = ids[(pod_pk, row[0])]
        for a in planned_attempts:
            attempts.append((container_pk, a[0], a[1], a[2], pod_pk, *a[3:]))
        if pull is not None:
            pulls.append((container_pk, *pull))
    upsert(AttemptRow, ATTEMPT_COLUMNS, attempts, key=ATTEMPT_COLUMNS[:4], update=ATTEMPT_COLUMNS[4:])
    upsert(ImagePull, PULL_COLUMNS, pulls, key=["container_id"], update=PULL_COLUMNS[1:])


def _container_values(c: ContainerState) -> tuple:
    """A container's row without its `pod_id` (CONTAINER_COLUMNS[1:])."""
    return (
        c.name[: _CONTAINER["name"]],
        c.kind,
        c.index,
        c.image[: _CONTAINER["image"]],
        c.restart_count,
        c.state[: _CONTAINER["state"]],
        c.state_reason[: _CONTAINER["state_reason"]],
    )


def _attempt_values(pod_created_at: datetime, a: Attempt) -> tuple:
    """An attempt's row without `container_id` and `pod_id` (`_write_containers` puts them in)."""
    return (
        a.generation,
        a.number,
        pod_created_at,
        a.known,
        a.count,
        (a.container_id or "")[: _ATTEMPT["runtime_container_id"]],
        a.started_at,
        a.finished_at,
        a.exit_code,
        (a.reason or "")[: _ATTEMPT["reason"]],
        a.message or "",
        a.signal,
        a.log_tail or "",
    )


def _pull_values(p: Pull) -> tuple:
    """A pull's row without its `container_id` (PULL_COLUMNS[1:])."""
    return (
        (p.image or "")[: _PULL["image"]],
        p.started_at,
        p.finished_at,
        p.pull_seconds,
        p.wait_seconds,
        p.image_bytes,
        p.already_present,
        p.failures,
    )


# The key: (cluster, uid) and the partition key (`pods.history.keys`).
EVENT_COLUMNS = [
    "cluster_id",
    "uid",
    "partition_at",
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


def write_events(cluster: Cluster, records: Iterable[EventRecord]) -> int:
    """Upsert Events, skipping any that is not newer than the stored copy (replays never regress)."""
    records = list(records)
    if not records:
        return 0
    rows = [_event_values(cluster, r, at) for r, at in newer_than_stored(Event, cluster, records)]
    upsert(Event, EVENT_COLUMNS, rows, key=EVENT_COLUMNS[:3], update=EVENT_COLUMNS[3:])
    return len(rows)


def newer_than_stored(
    model: type[Event | RelatedEvent], cluster: Cluster, records: list[EventRecord]
) -> list[tuple[EventRecord, datetime]]:
    """The records that are newer (`event_recency`) than the copy of their Event stored in `model`'s table,
    or that it does not hold, each with the partition key to write it with: the stored copy's (a key
    never changes), else its first time (`pods.history.keys`). One query."""
    uids = [r.uid for r in records]
    found_rows = fetch_prepared(
        f'SELECT uid, count, last_at, partition_at FROM "{model._meta.db_table}" '  # noqa: S608 - a model's table
        "WHERE cluster_id = %s AND uid = ANY(%s)",
        [cluster.pk, uids],
        lambda: model.objects.filter(cluster=cluster, uid__in=uids).values_list(
            "uid", "count", "last_at", "partition_at"
        ),
    )
    stored = {
        uid: (event_recency(count, last_at), partition_at) for uid, count, last_at, partition_at in found_rows
    }
    out = []
    for r in records:
        found = stored.get(r.uid)
        if found is None:
            out.append((r, partition_time(r.first_at)))
        elif r.recency > found[0]:
            out.append((r, found[1]))
    return out


def _event_values(cluster: Cluster, r: EventRecord, partition_at: datetime) -> tuple:
    return (
        cluster.pk,
        r.uid[: _EVENT["uid"]],
        partition_at,
        r.pod_uid[: _EVENT["pod_uid"]],
        r.namespace[: _EVENT["namespace"]],
        r.name[: _EVENT["name"]],
        r.type[: _EVENT["type"]],
        r.reason[: _EVENT["reason"]],
        r.message,
        r.count,
        r.first_at,
        r.last_at,
        r.container[: _EVENT["container"]],
        r.field_path[: _EVENT["field_path"]],
        r.source[: _EVENT["source"]],
        r.resource_version[: _EVENT["resource_version"]],
    )
