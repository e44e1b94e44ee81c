"""Writes: fold a batch of watch items into stored timelines, in one transaction, idempotently.

The flow for one batch: parse identities (malformed objects are rejected with a reason, the rest goes
on) -> load the stored `PodState` of every Pod the batch touches (one query; a watcher keeps those it
wrote, `pod_states`) -> fold the items in order
with the pure engine (`pods.timeline`) -> write only what changed with set-based upserts on natural keys
(cluster+uid, pod+container name, container+generation+number, cluster+event uid) -> after commit, publish
the batch's changed Pods as one change message (pods.live) and, with traces on, queue the trace of each Pod
startup the batch ended (pods.signals). Folding the same items again changes
nothing, so replays, relists and retries are safe.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from copy import copy
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import cast

from django.db import transaction
from django.db.models import Q

from pods.ingest.items import IngestResult, WatchItem, failure_text, ingest_apart, isolatable
from pods.ingest.pod_states import PodStates
from pods.ingest.related import write_related
from pods.ingest.rollup_marks import hours_to_mark, mark
from pods.ingest.rows import PodRows, fingerprints, load_states, plan_pods, write_events, write_pod_rows
from pods.ingest.summary import publish_after_commit
from pods.models import Cluster, Pod
from pods.signals.export import watch_startups
from pods.timeline import (
    EventRecord,
    MalformedObject,
    PodState,
    apply_event,
    apply_pod,
    event_record,
    newest_events,
    pod_identity,
)
from pods.timeline.raw import RawPod
from pods.timeline.related import About
from pods.timeline.related import about as related_about
from pods.timeline.times import newest_time

log = logging.getLogger(__name__)

# One parsed item: (Pod uid, the item, the Pod's identity (`pod_identity`) or the Event's record).
_Identity = tuple[str, str, str, str]
_Parsed = tuple[str, WatchItem, _Identity | EventRecord]
# An Event about a workload, a Node or a PVC, with what it is about.
_Related = tuple[WatchItem, EventRecord, About]


def cluster_get_or_create(*, name: str) -> Cluster:
    cluster, _ = Cluster.objects.get_or_create(name=name)
    return cluster


def ingest_batch(
    *,
    cluster: Cluster,
    items: Sequence[WatchItem],
    now: datetime | None = None,
    kept: PodStates | None = None,
) -> IngestResult:
    """Fold `items` (in order) into the stored timelines of `cluster` in one transaction.

    `kept`: the states the caller, the only writer of the cluster (its watch lock), keeps between batches
    (`pods.ingest.pod_states`): the batch folds into those instead of reading them back, and puts back what
    it wrote once it has committed."""
    now = now or datetime.now(UTC)
    result = IngestResult()
    related: list[_Related] = []
    parsed = parse_items(items, result, related)
    if not parsed and not related:
        return result
    uids = {uid for uid, _, _ in parsed}
    try:
        return _ingest(cluster, parsed, related, uids, result, now, kept)
    except BaseException as exc:
        if kept is not None:
            kept.clear()  # a failed write: whatever it was folding from, read it all back next time
        if not isolatable(exc, items):
            raise
        failed = exc
    # One object the database refused (or the fold broke on) must not lose the others: split the batch.
    return ingest_apart(partial(ingest_batch, cluster=cluster, now=now, kept=kept), items, failed)


def _ingest(
    cluster: Cluster,
    parsed: list[_Parsed],
    related: list[_Related],
    uids: set[str],
    result: IngestResult,
    now: datetime,
    kept: PodStates | None,
) -> IngestResult:
    with transaction.atomic():
        states = kept.take(uids) if kept is not None else {}
        folded = fold_batch(cluster, parsed, related, uids, result, now, states)
        write_folded(cluster, folded, now)
        if kept is not None and folded.written:
            transaction.on_commit(partial(kept.keep, folded.written))
    return result


@dataclass(slots=True)
class FoldedBatch:
    """A batch folded, and everything it writes, read from the folded states (`fold_batch`): nothing in it
    but `written` refers to a state, so a later batch may fold into those while this one is written
    (`pods.ingest.pipeline`)."""

    result: IngestResult
    events: list[EventRecord]
    pods: PodRows | None  # the changed Pods' rows
    hours: set[datetime]  # rollup hours to mark (`pods.ingest.rollup_marks`)
    data_times: list[datetime | None]  # the times its data holds (`_advance_observed_until`)
    observed: tuple[set[str], datetime] | None  # `_observed`
    related: list[_Related]
    created: list[PodState]  # copies of the changed Pods whose workload or creation is new
    written: dict[str, PodState]  # the changed Pods' states (what a watcher keeps once they are written)


def fold_batch(
    cluster: Cluster,
    parsed: list[_Parsed],
    related: list[_Related],
    uids: set[str],
    result: IngestResult,
    now: datetime,
    states: dict[str, PodState],
) -> FoldedBatch:
    """Fold the parsed items into `states` (the kept states of some of `uids`; the others are read here)
    and plan the rows to write. Inside a transaction when traces are on: the traces of the startups it
    ends are queued when it commits."""
    states.update(load_states(cluster, uids - states.keys()))
    # What each stored container looked like before folding (the fold mutates states in place).
    before = {uid: fingerprints(state) for uid, state in states.items()}
    workload_before = {uid: (state.owner, state.created_at) for uid, state in states.items()}
    # How each Pod's startup stood, to send the traces of those this batch ends (None: traces off).
    startups = watch_startups(cluster, states, ((uid, item) for uid, item, _ in parsed))
    events: list[EventRecord] = []
    for uid, item, parsed_as in parsed:
        try:
            changed = _fold(states, uid, item, parsed_as)
        except Exception as exc:  # noqa: BLE001 - one bad object must not lose the batch
            log.exception("could not fold %s", item.position or uid)
            result.rejected.append((item.position, f"internal error while folding: {failure_text(exc)}"))
            continue
        if changed:
            result.pods_changed.add(uid)
        if isinstance(parsed_as, EventRecord):
            events.append(parsed_as)
    events = list(newest_events(events).values())
    # A Pod whose status stopped changing while its Events went on (a sandbox or a volume that keeps
    # failing) is as old as its newest Event: a recording holds it until then.
    data_times: list[datetime | None] = [event.last_at for event in events]
    changed_states = {uid: states[uid] for uid in result.pods_changed}
    pods, hours = None, set()
    if changed_states:
        created_before = {uid: created for uid, (_, created) in workload_before.items()}
        pods = plan_pods(cluster, changed_states, before, now, created_before)
        hours = hours_to_mark(changed_states.values(), before)
        data_times += [state.last_seen_at for state in changed_states.values()]
        if startups is not None:
            startups.after_fold(changed_states)
    # The Pods whose workload's row learns that its Pods get created (`_write_related`).
    created = [
        copy(state)
        for uid, state in changed_states.items()
        if state.seen and (state.owner, state.created_at) != workload_before.get(uid)
    ]
    return FoldedBatch(
        result, events, pods, hours, data_times, _observed(parsed), related, created, changed_states
    )


def write_folded(cluster: Cluster, folded: FoldedBatch, now: datetime) -> None:
    """Write a folded batch (`fold_batch`) inside the caller's transaction; its change messages go out
    when it commits."""
    result = folded.result
    result.events_written = write_events(cluster, folded.events)
    if folded.pods is not None:
        write_pod_rows(folded.pods)
        mark(cluster, folded.hours, now)
        publish_after_commit(cluster.name, folded.pods.summaries)
    _advance_observed_until(cluster, folded.data_times)
    if folded.observed is not None:
        _mark_observed(cluster, *folded.observed)
    _write_related(cluster, folded.related, folded.created, result, now)


def _write_related(
    cluster: Cluster, related: list[_Related], created: list[PodState], result: IngestResult, now: datetime
) -> None:
    """Events about workloads, Nodes and PVCs, and the workloads of Pods whose workload or creation is
    new in this batch (their workload's row learns that its Pods get created)."""
    if not related and not created:
        return
    result.related_kept, result.workloads_changed = write_related(
        cluster=cluster, items=related, pods=created, now=now
    )
    # A recording of nothing but such Events is judged as of its newest one (`observed_until`).
    _advance_observed_until(cluster, (record.last_at for _, record, _ in related))


def _observed(parsed: list[_Parsed]) -> tuple[set[str], datetime] | None:
    """The Pods of the batch the watcher received alive, and the batch's earliest receive time (never
    later than any of its Pods was seen), for `_mark_observed`; None: none (recordings carry no time)."""
    uids: set[str] = set()
    times: list[datetime] = []
    for uid, item, parsed_as in parsed:
        if not isinstance(parsed_as, EventRecord) and item.observed_at is not None and item.type != "DELETED":
            uids.add(uid)
            times.append(item.observed_at)
    return (uids, min(times)) if uids else None


def _mark_observed(cluster: Cluster, uids: set[str], at: datetime) -> None:
    """Record when the watcher last received each Pod of the batch alive (`Pod.observed_at`, at `at`,
    `_observed`): a Pod that a later relist no longer shows was deleted after it (pods.ingest.relist). One
    query per batch."""
    Pod.objects.filter(cluster=cluster, uid__in=uids).filter(
        Q(observed_at__isnull=True) | Q(observed_at__lt=at)
    ).update(observed_at=at)


def _advance_observed_until(cluster: Cluster, times: Iterable[datetime | None]) -> None:
    """Move the cluster's `observed_until` (a recording's "now", `pods.selectors.cluster_now`) to the newest
    of `times`, the times its data holds: the Pods' newest times and the Events' last times (never
    backwards)."""
    newest = newest_time(times)
    if newest is None or (cluster.observed_until is not None and cluster.observed_until >= newest):
        return  # it never moves backwards: the row holds as much already
    Cluster.objects.filter(pk=cluster.pk).filter(
        Q(observed_until__isnull=True) | Q(observed_until__lt=newest)
    ).update(observed_until=newest)
    cluster.observed_until = newest


def parse_items(items: Sequence[WatchItem], result: IngestResult, related: list[_Related]) -> list[_Parsed]:
    """Each item's Pod uid and what identifies it: a Pod's identity is read here, once per item.

    An Event about another kind than a Pod goes to `related` when it explains Pod startup (a workload's,
    a Node's or a PVC's, `pods.timeline.related.about`), else it is counted by kind in `result.skipped`:
    never rejected."""
    parsed: list[_Parsed] = []
    for item in items:
        try:
            if item.kind == "pod":
                identity = pod_identity(item.object)
                result.pods_seen.add(identity[0])
                parsed.append((identity[0], item, identity))
            elif item.kind == "event":
                record = event_record(item.object)
                about = related_about(record)
                if about == "pod":
                    parsed.append((record.pod_uid, item, record))
                elif about is None:
                    result.skipped[record.involved_kind] += 1
                else:
                    related.append((item, record, about))
            else:
                result.rejected.append((item.position, f"unsupported kind {item.kind!r}"))
        except MalformedObject as exc:
            result.rejected.append((item.position, str(exc)))
    return parsed


def _fold(states: dict[str, PodState], uid: str, item: WatchItem, parsed_as: _Identity | EventRecord) -> bool:
    if isinstance(parsed_as, EventRecord):
        state, changed = apply_event(states.get(uid), parsed_as)
    else:
        state, changed = apply_pod(
            states.get(uid),
            cast(RawPod, item.object),  # a Pod: `_parse` read its identity
            deleted=item.type == "DELETED",
            observed_at=item.observed_at,
            identity=parsed_as,
        )
        if item.owner is not None and state.owner != item.owner:
            state.owner = item.owner
            changed = True
    states[uid] = state
    return changed
