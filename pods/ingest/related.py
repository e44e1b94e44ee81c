"""Writes of Events about other kinds than Pods, and of the workloads they and the Pods belong to.

Called by `ingest_batch` inside its transaction. An Event about a workload (`pods.timeline.related.about`)
belongs to the workload the watcher resolved through ownerReferences (`WatchItem.owner`), else to the one
its controller's name shows (`workload_of`: the documented fallback of an import). A `FailedCreate` is
stored (`RelatedEvent`, with its workload) and the workload's newest FailedCreate is projected onto its
row; a `SuccessfulCreate` only moves the workload's `created_last_at` (one per Pod created: not worth a
row). Events about Nodes and PersistentVolumeClaims are stored for the Pods they hold back
(`pods.selectors` gathers them). Every write is an upsert on a natural key; a replay never regresses an
Event's count, nor a workload's times.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from datetime import datetime

from django.db import models
from django.db.models import Q

from pods.ingest.items import WatchItem
from pods.ingest.prepared import fetch_prepared
from pods.ingest.rows import _max_lengths, newer_than_stored
from pods.ingest.upsert import upsert
from pods.models import Cluster, RelatedEvent, Workload
from pods.timeline import EventRecord, PodState
from pods.timeline.model import newest_events
from pods.timeline.related import About, pod_workload, workload_of
from pods.timeline.times import newest_time, time_key

_KEY = tuple[str, str, str]  # (kind, namespace, name) of a workload
WORKLOAD_COLUMNS = [
    "cluster_id", "kind", "namespace", "name", "failed_message", "failed_first_at", "failed_last_at",
    "failed_count", "created_last_at", "updated_at",
]  # fmt: skip
FAILURE_COLUMNS = ["failed_message", "failed_first_at", "failed_last_at", "failed_count"]
EVENT_COLUMNS = [
    "cluster_id", "uid", "partition_at", "involved_kind", "involved_namespace", "involved_name",
    "involved_uid", "workload_id", "type", "reason", "message", "count", "first_at", "last_at", "source",
    "resource_version",
]  # fmt: skip


_LENGTHS: dict[type[models.Model], dict[str, int]] = {m: _max_lengths(m) for m in (Workload, RelatedEvent)}


def _cut(model: type[models.Model], name: str, value: str) -> str:
    return value[: _LENGTHS[model][name]]


class _Workloads:
    """The workload rows a batch touches: read once, merged in memory, written once."""

    def __init__(self, cluster: Cluster, now: datetime) -> None:
        self.cluster = cluster
        self.now = now
        self.rows: dict[_KEY, dict] = {}
        self.written = 0

    def touch(self, key: _KEY) -> dict:
        row = self.rows.get(key)
        if row is None:
            row = self.rows[key] = {"created_last_at": None}
        return row

    def created(self, key: _KEY, at: datetime | None) -> None:
        row = self.touch(key)
        row["created_last_at"] = newest_time([row["created_last_at"], at])

    def write(self) -> dict[_KEY, int]:
        if not self.rows:
            return {}
        match = Q()
        for kind, namespace, name in self.rows:
            match |= Q(kind=kind, namespace=namespace, name=name)
        stored = {
            (w.kind, w.namespace, w.name): w for w in Workload.objects.filter(match, cluster=self.cluster)
        }
        out = []
        for key, row in self.rows.items():
            old = stored.get(key)
            created = newest_time([row["created_last_at"], old.created_last_at if old else None])
            if old is not None and created == old.created_last_at:
                continue  # nothing new
            kind, namespace, name = key
            out.append(
                (
                    self.cluster.pk,
                    _cut(Workload, "kind", kind),
                    _cut(Workload, "namespace", namespace),
                    _cut(Workload, "name", name),
                    old.failed_message if old else "",
                    old.failed_first_at if old else None,
                    old.failed_last_at if old else None,
                    old.failed_count if old else 0,
                    created,
                    self.now,
                )
            )
        self.written = len(out)
        ids = upsert(
            Workload, WORKLOAD_COLUMNS, out, key=["cluster_id", "kind", "namespace", "name"],
            update=WORKLOAD_COLUMNS[4:],
        )  # fmt: skip
        found = {(k[1], k[2], k[3]): pk for k, pk in ids.items()}
        for key, old in stored.items():
            found.setdefault(key, old.pk)
        return found


def write_related(
    *,
    cluster: Cluster,
    items: Sequence[tuple[WatchItem, EventRecord, About]],
    pods: Iterable[PodState],
    now: datetime,
) -> tuple[int, int]:
    """Store the batch's Events about workloads, Nodes and PVCs and the workloads of its new Pods.

    `items`: (item, its record, what it is about), in order; `pods`: the folded Pods whose workload or
    creation time is new in this batch. Returns (Events written, workload rows written).
    """
    workloads = _Workloads(cluster, now)
    for state in pods:
        owner = pod_workload(state.owner)
        if owner is not None:
            workloads.created((owner.kind, state.namespace, owner.name), state.created_at)
    stored: list[tuple[EventRecord, _KEY | None]] = []
    owners: dict[str, _KEY | None] = {}
    for item, record, kind in items:
        key: _KEY | None = None
        if kind == "workload":
            owner = item.owner or workload_of(record.involved_kind, record.pod_name)
            key = (owner.kind, record.namespace, owner.name)
            if record.reason == "SuccessfulCreate":
                workloads.created(key, record.last_at)
                continue
            workloads.touch(key)
        owners[record.uid] = key
        stored.append((record, key))
    ids = workloads.write()
    written = _write_events(cluster, [r for r, _ in stored], owners, ids)
    changed = _project_failures(set(ids.values()), now)
    return written, max(changed, workloads.written)


def _write_events(
    cluster: Cluster, records: list[EventRecord], owners: dict[str, _KEY | None], ids: dict[_KEY, int]
) -> int:
    newest = list(newest_events(records).values())
    if not newest:
        return 0
    rows = []
    for r, partition_at in newer_than_stored(RelatedEvent, cluster, newest):
        key = owners.get(r.uid)
        cluster_scoped = r.involved_kind == "Node"
        rows.append(
            (
                cluster.pk,
                _cut(RelatedEvent, "uid", r.uid),
                partition_at,
                _cut(RelatedEvent, "involved_kind", r.involved_kind),
                "" if cluster_scoped else _cut(RelatedEvent, "involved_namespace", r.namespace),
                _cut(RelatedEvent, "involved_name", r.pod_name),
                _cut(RelatedEvent, "involved_uid", r.pod_uid),
                ids.get(key) if key is not None else None,
                _cut(RelatedEvent, "type", r.type),
                _cut(RelatedEvent, "reason", r.reason),
                r.message,
                r.count,
                r.first_at,
                r.last_at,
                _cut(RelatedEvent, "source", r.source),
                _cut(RelatedEvent, "resource_version", r.resource_version),
            )
        )
    upsert(RelatedEvent, EVENT_COLUMNS, rows, key=EVENT_COLUMNS[:3], update=EVENT_COLUMNS[3:])
    return len(rows)


@dataclass(frozen=True, slots=True)
class _Failure:
    """What `_project_failures` reads of a `FailedCreate` RelatedEvent: these columns (`_FAILURE_READ`)."""

    workload_id: int | None
    message: str
    count: int
    first_at: datetime | None
    last_at: datetime | None


_FAILURE_READ = tuple(f.name for f in fields(_Failure))


def _project_failures(workload_ids: set[int], now: datetime) -> int:
    """Each workload's current run of FailedCreate Events onto its row: the newest one's message and last
    time, the first time and the summed count of those newer than the workload's `created_last_at` (all of
    them when none is: the rule then clears the diagnosis anyway)."""
    if not workload_ids:
        return 0
    failures: dict[int, list[_Failure]] = {}
    ids = sorted(workload_ids)
    for found in fetch_prepared(
        f'SELECT {", ".join(_FAILURE_READ)} FROM "{RelatedEvent._meta.db_table}" '  # noqa: S608 - model constants
        "WHERE workload_id = ANY(%s) AND reason = 'FailedCreate'",
        [ids],
        lambda: RelatedEvent.objects.filter(workload_id__in=ids, reason="FailedCreate").values_list(
            *_FAILURE_READ
        ),
    ):
        event = _Failure(*found)
        failures.setdefault(event.workload_id or 0, []).append(event)
    changed = []
    for row in Workload.objects.filter(pk__in=failures):
        events = failures[row.pk]
        since = row.created_last_at
        streak = [e for e in events if since is None or time_key(e.last_at) > since] or events
        newest = max(streak, key=lambda e: (time_key(e.last_at), e.count))
        values = {
            "failed_message": newest.message,
            "failed_first_at": min((e.first_at for e in streak if e.first_at), default=newest.last_at),
            "failed_last_at": newest.last_at,
            "failed_count": sum(e.count for e in streak),
        }
        if any(getattr(row, name) != value for name, value in values.items()):
            for name, value in values.items():
                setattr(row, name, value)
            row.updated_at = now
            changed.append(row)
    Workload.objects.bulk_update(changed, [*FAILURE_COLUMNS, "updated_at"])
    return len(changed)


__all__ = ["write_related"]
