"""Apply a batch: resolve the workloads of Pods and of Events about controllers through the API,
`ingest_batch` (one transaction, change messages after commit), then capture the log tail of init container
attempts that newly failed. Events about any kind (ReplicaSets, Jobs, Nodes, PVCs ...) are handed on."""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from pods import kube
from pods.ingest import (
    IngestPipeline,
    IngestResult,
    WatchItem,
    attempt_set_log_tail,
    ingest_batch,
    watch_batch_record,
)
from pods.ingest.pipeline import Done
from pods.selectors import attempts_missing_log_tail
from pods.timeline import Owner
from pods.watch.state import ClusterWatch

log = logging.getLogger("pods.watch")

LOG_FETCHES_PER_BATCH = 20
LOG_TAIL_LINES = 100
LOGS_TRIED_MAX = 50_000
BATCH_NUMBERS_SECONDS = 1.0  # the batches' numbers are stored at most this often (store_batch_numbers)


def apply_batch(w: ClusterWatch, items: list[WatchItem]) -> IngestResult:
    """Ingest `items` in one transaction (with resolved owners), then capture new failure log tails."""
    if not items:
        return IngestResult()
    items = [_with_owner(w, item) for item in items]
    began = time.monotonic()
    result = ingest_batch(cluster=w.cluster, items=items, kept=w.pod_states)
    _after_commit(w, items, result, began)
    return result


def submit_batch(w: ClusterWatch, pipeline: IngestPipeline, items: list[WatchItem], token: Any) -> list[Done]:
    """Hand `items` (with resolved owners) to `pipeline`, which writes them while the next batch is folded;
    returns the batches that have committed since, in order, with their `token`s, once each has had what
    `apply_batch` does after its commit (failure log tails captured)."""
    items = [_with_owner(w, item) for item in items]
    return _committed(w, pipeline, pipeline.submit(items, (time.monotonic(), token)))


def finish_batches(w: ClusterWatch, pipeline: IngestPipeline) -> list[Done]:
    """Wait for the batch `pipeline` is writing (`submit_batch`); the batches done, as `submit_batch`."""
    return _committed(w, pipeline, pipeline.finish())


def _committed(w: ClusterWatch, pipeline: IngestPipeline, done: list[Done]) -> list[Done]:
    out = []
    waiting = deque(done)
    while waiting:
        batch = waiting.popleft()
        began, token = batch.token
        # A log tail is written into its Pod's stored state: not while a later batch that may have folded
        # that state is being written (its write would put the state back without it).
        _after_commit(w, batch.items, batch.result, began, lambda: waiting.extend(pipeline.finish()))
        out.append(Done(batch.items, batch.result, token))
    return out


def _after_commit(
    w: ClusterWatch,
    items: Sequence[WatchItem],
    result: IngestResult,
    began: float,
    settle: Callable[[], None] | None = None,
) -> None:
    _record_batch(w, items, time.monotonic() - began)
    for position, reason in result.rejected:
        log.warning("cluster %s: rejected %s: %s", w.cluster.name, position, reason)
    w.stats["objects"] += len(items)
    w.stats["batches"] += 1
    if w.capture_logs:
        failing = _failing(items, result)
        if failing:
            capture_log_tails(w, failing, settle)


def _failing(items: Sequence[WatchItem], result: IngestResult) -> set[str]:
    """The Pods of the batch it changed that show a failed init container attempt (`showing_failed_init`)."""
    return result.pods_changed & showing_failed_init(items) if result.pods_changed else set()


def showing_failed_init(items: Sequence[WatchItem]) -> set[str]:
    """The uids of the Pod objects among `items` whose status shows an init container attempt that ended
    with another exit code than 0 (its `state` or `lastState`): the only attempts whose log the kubelet
    still keeps. A Pod without one has no log tail to capture, and its attempts are not looked up (a
    list of 150,000 healthy Pods would otherwise pay one query per page for nothing)."""
    uids: set[str] = set()
    for item in items:
        if item.kind != "pod" or not isinstance(item.object, dict):
            continue
        status, meta = item.object.get("status"), item.object.get("metadata")
        statuses = status.get("initContainerStatuses") if isinstance(status, dict) else None
        if isinstance(meta, dict) and isinstance(statuses, list) and any(map(_failed, statuses)):
            uids.add(str(meta.get("uid") or ""))
    return uids


def _failed(status: object) -> bool:
    if not isinstance(status, dict):
        return False
    for key in ("state", "lastState"):
        state = status.get(key)
        ended = state.get("terminated") if isinstance(state, dict) else None
        if isinstance(ended, dict) and ended.get("exitCode") != 0:
            return True
    return False


def _record_batch(w: ClusterWatch, items: Sequence[WatchItem], seconds: float) -> None:
    """The batch's Prometheus numbers: its events, how long it took, and the watch lag (from receiving
    its oldest item to the commit), added to the watch's `BatchNumbers` (stored when due)."""
    received = [item.observed_at for item in items if item.observed_at is not None]
    lag = (datetime.now(UTC) - min(received)).total_seconds() if received else None
    w.batch_numbers.add(len(items), seconds, lag)
    store_batch_numbers(w)


def store_batch_numbers(w: ClusterWatch, *, force: bool = False) -> None:
    """Store the batches' numbers added up since they were last stored: when `force`d (a window's end, a
    list's), or once BATCH_NUMBERS_SECONDS have passed since then. Stored per batch they were two
    transactions in the watch's own thread after every commit, and batches are small when a change goes
    out as soon as ingest has caught up (pods/watch/window.py)."""
    numbers = w.batch_numbers
    if numbers.batches and (force or time.monotonic() - numbers.stored_at >= BATCH_NUMBERS_SECONDS):
        batches, lag = numbers.take()
        watch_batch_record(cluster=w.cluster, batches=batches, lag=lag)


def _with_owner(w: ClusterWatch, item: WatchItem) -> WatchItem:
    """The item with its workload resolved through the API: a Pod's (ReplicaSet -> Deployment, Job ->
    CronJob), or the one an Event about a controller belongs to (an Event about a ReplicaSet is its
    Deployment's). Events about Pods, Nodes, PVCs and other kinds go on as they are."""
    if w.owners is None or item.type == "DELETED" or item.kind not in ("pod", "event"):
        return item
    w.heartbeat()  # a resolve may GET: renew (or learn the lock is lost) between requests
    resolve = w.owners.resolve if item.kind == "pod" else w.owners.resolve_event
    owner = resolve(item.object)
    return replace(item, owner=Owner(*owner)) if owner else item


def capture_log_tails(w: ClusterWatch, uids: set[str], settle: Callable[[], None] | None = None) -> int:
    """Fetch the last log lines of failed init container attempts that have none yet; return how many.

    Only an attempt the kubelet still keeps can be read: the current one (`number == restartCount`) or
    the previous one (`previous=true`) of the newest generation. A 403 on pods/log switches capture off
    for this watch (logged once); other failures skip the attempt. `settle` is called before the first
    tail is written (it waits for the batches still being written, `submit_batch`).
    """
    fetched = 0
    rows = attempts_missing_log_tail(cluster=w.cluster, uids=uids, skip=w.logs_tried)
    if rows and settle is not None:
        settle()
    for row in rows[:LOG_FETCHES_PER_BATCH]:
        key = (row["pod__uid"], row["container__name"], row["generation"], row["number"])
        w.logs_tried.add(key)
        w.pod_states.forget([key[0]])  # written below, outside ingest's batches
        w.heartbeat()
        try:
            text = w.kube.pod_log(
                namespace=row["pod__namespace"],
                name=row["pod__name"],
                container=row["container__name"],
                previous=row["number"] < row["container__restart_count"],
                tail_lines=LOG_TAIL_LINES,
            )
        except kube.ApiError as exc:
            if exc.denied:
                log.warning("cluster %s: log capture switched off: %s", w.cluster.name, exc)
                w.capture_logs = False
                return fetched
            continue
        except kube.KubeError:
            continue
        stored = attempt_set_log_tail(
            cluster=w.cluster, uid=key[0], container=key[1], generation=key[2], number=key[3], text=text
        )
        fetched += int(stored)
    if len(w.logs_tried) > LOGS_TRIED_MAX:
        w.logs_tried.clear()
    return fetched
