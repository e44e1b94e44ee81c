"""What ingest takes and gives back: `WatchItem` (one Pod or Event to fold) and `IngestResult`, and how a
batch that failed as a whole is taken apart so that one bad object never loses the others
(`ingest_apart`)."""

from __future__ import annotations

import contextlib
import logging
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import InterfaceError, OperationalError

from pods.timeline import MalformedObject, Owner, pod_identity
from pods.timeline.errors import shown

log = logging.getLogger("pods.ingest")


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


def failure_text(exc: BaseException) -> str:
    """An exception as a one-line rejection reason: its type and the first line of its message, cut (a
    database error quotes the refused value, which may be megabytes long)."""
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {shown(lines[0] if lines else '', 200)}"


def isolatable(exc: BaseException, items: Sequence[WatchItem]) -> bool:
    """Whether a batch that raised `exc` is worth taking apart: an error an object can cause (the database
    refused a value, the fold broke), not a lost connection nor a stop (those fail every object alike)."""
    return (
        isinstance(exc, Exception) and not isinstance(exc, OperationalError | InterfaceError) and bool(items)
    )


def ingest_apart(
    ingest: Callable[..., IngestResult], items: Sequence[WatchItem], error: BaseException
) -> IngestResult:
    """Ingest `items` whose batch failed as a whole with `error`: each half as its own batch, in order,
    halving again down to the single objects that still fail, which are rejected with their position and
    the error. Folding in several batches gives the same timelines as in one (ingest is idempotent and
    order-preserving), so the good objects land exactly as they would have."""
    if len(items) == 1:
        item = items[0]
        where = item.position or "an object"
        log.warning("rejected %s: could not be stored: %s", where, failure_text(error), exc_info=error)
        result = IngestResult(rejected=[(item.position, f"could not be stored: {failure_text(error)}")])
        if item.kind == "pod":  # a relist still showed it: never close its timeline for this
            with contextlib.suppress(MalformedObject):
                result.pods_seen.add(pod_identity(item.object)[0])
        return result
    result = IngestResult()
    middle = len(items) // 2
    for half in (items[:middle], items[middle:]):
        merge(result, ingest(items=half))
    return result


def merge(into: IngestResult, part: IngestResult) -> None:
    """Add `part` (a later batch's result) to `into`."""
    into.pods_changed |= part.pods_changed
    into.events_written += part.events_written
    into.rejected.extend(part.rejected)
    into.pods_seen |= part.pods_seen
    into.related_kept += part.related_kept
    into.skipped.update(part.skipped)
    into.workloads_changed += part.workloads_changed
