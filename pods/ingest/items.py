"""What ingest takes and gives back: `WatchItem` (one Pod or Event to fold) and `IngestResult`."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pods.timeline import Owner


@dataclass(frozen=True, slots=True)
class WatchItem:
    """One object to ingest: a Pod or an Event, with the watch event type it came with.

    `type` is ADDED / MODIFIED / DELETED, or "" for an object from a list or a file. `position` names where
    it came from (for error messages); `observed_at` is when it was received (defaults to ingest time).
    """

    kind: str  # "pod" | "event"
    object: Mapping[str, Any]  # a `RawPod` or a `RawEvent` (pods.timeline.raw), as `kind` says
    type: str = ""
    position: str = ""
    observed_at: datetime | None = None
    # The Pod's workload as resolved through the API (ReplicaSet -> Deployment, Job -> CronJob), when
    # the watcher knows it; otherwise the engine's guess from ownerReferences and labels stands. For an
    # Event about a workload (involvedObject/regarding a ReplicaSet, Job, Deployment, StatefulSet,
    # DaemonSet or CronJob): the workload it belongs to, resolved the same way (None: guess by name).
    owner: Owner | None = None


@dataclass(slots=True)
class IngestResult:
    pods_changed: set[str] = field(default_factory=set)
    events_written: int = 0
    rejected: list[tuple[str, str]] = field(default_factory=list)  # (position, reason)
    # The uid of every Pod object the batch held (changed or not): what a relist saw, read once.
    pods_seen: set[str] = field(default_factory=set)
    # Events about other kinds than Pods (pods.timeline.related): kept (a workload's, a Node's or a
    # PersistentVolumeClaim's, stored) and skipped quietly because they explain no Pod's startup, by kind.
    related_kept: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    # The workloads whose row changed (Events about them, or a Pod of theirs created).
    workloads_changed: int = 0
