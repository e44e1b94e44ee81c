"""Scheduling: what one Celery task run does (`watch_cluster_once`), the back-off after a run that failed
(`after_run`), which clusters beat starts (`register_clusters`, a write; `clusters_to_start`, a read) and
the guard that keeps beat from stacking copies of a queued run (`claim_enqueue` / `release_enqueue`)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from pods import kube
from pods.ingest import cluster_backoff_set, cluster_health_changed, clusters_mark_watched, watch_error_record
from pods.selectors import cluster_watch_failures, clusters_backing_off
from pods.watch.lock import ClusterLock, redis_client
from pods.watch.state import WatchSettings, backoff_delay, cluster_watch, streams_for
from pods.watch.window import WindowResult, watch_window

log = logging.getLogger("pods.watch")


@dataclass(frozen=True, slots=True)
class RunOutcome:
    """What one watch task run did, and whether (and after how long) to run again."""

    reason: str  # window | denied | error | lock-lost | held | unconfigured
    requeue: bool
    countdown: float = 0.0
    message: str = ""


def watch_cluster_once(
    name: str, *, settings_: WatchSettings | None = None, holder_id: str | None = None
) -> RunOutcome:
    """One run of the watch task: lock, one window, release, and the back-off bookkeeping.

    A denied (401/403) or unreachable cluster is backed off (Cluster.watch_retry_at, the error on its
    cursors) instead of retried at once; the task re-enqueues itself with that countdown.
    """
    s = settings_ or WatchSettings.from_settings()
    if kube.cluster_config(name) is None:
        return RunOutcome("unconfigured", False, message=f"{name!r} is not in INITSCOPE_CLUSTERS")
    lock = ClusterLock(name, ttl=s.lock_seconds, holder_id=holder_id)
    if not lock.acquire():
        return RunOutcome("held", False, message=f"held by {lock.holder()}")
    try:
        result = run_locked(name, s, lock)
    finally:
        lock.release()
    return after_run(name, result, s)


def run_locked(name: str, s: WatchSettings, lock: ClusterLock) -> WindowResult:
    """One window of a cluster whose lock this run holds."""
    try:
        w = cluster_watch(name, settings_=s, lock=lock)
    except kube.KubeError as exc:
        record_cluster_error(name, str(exc))
        return WindowResult("error", str(exc))
    clusters_mark_watched(names=[name])
    w.heartbeat()
    return watch_window(w, seconds=s.window_seconds)


def after_run(name: str, result: WindowResult, s: WatchSettings) -> RunOutcome:
    """Whether and when to run again: at once after a full window, after a growing back-off otherwise."""
    if result.reason == "lock-lost":
        return RunOutcome("lock-lost", False, message=result.message)
    if result.reason == "window":  # the streams' failures in a row, if any still fail, go on counting
        cluster_backoff_set(name=name, failures=result.failures, retry_at=None)
        return RunOutcome("window", True)
    failures = cluster_watch_failures(name=name) + 1
    delay = backoff_delay_after_run(failures, s)
    cluster_backoff_set(name=name, failures=failures, retry_at=datetime.now(UTC) + timedelta(seconds=delay))
    cluster_health_changed(name=name)  # the watch stopped: its pages turn stale now, not at the next poll
    return RunOutcome(result.reason, True, delay, result.message)


def backoff_delay_after_run(failures: int, s: WatchSettings) -> float:
    """2 s doubling, capped at the reconnect back-off's cap (at least 2 s), with jitter."""
    return backoff_delay(failures, base=2.0, cap=max(s.backoff_max, 2.0))


def record_cluster_error(name: str, message: str) -> None:
    """Note an error on the cursors of the cluster's own streams (those a later success clears)."""
    config = kube.cluster_config(name)
    streams = streams_for(config.namespaces if config else ())
    watch_error_record(
        cluster_name=name, streams=[(s.resource, s.namespace) for s in streams], message=message
    )
    log.warning("cluster %s: %s", name, message)


def register_clusters() -> list[str]:
    """Mark every configured cluster as watched (creating it when new); returns their names. A write."""
    names = [config.name for config in kube.configured_clusters()]
    clusters_mark_watched(names=names)
    return names


def clusters_to_start(names: list[str], *, now: datetime | None = None) -> list[str]:
    """Those of `names` whose watch is neither running (the lock is free) nor backing off. A read."""
    now = now or datetime.now(UTC)
    waiting = clusters_backing_off(names=names, now=now)
    ttl = WatchSettings.from_settings().lock_seconds
    return [name for name in names if name not in waiting and not ClusterLock(name, ttl=ttl).holder()]


def claim_enqueue(name: str, *, ttl: float) -> bool:
    """True for the first caller within `ttl` seconds: keeps beat from stacking copies of a queued task."""
    client = redis_client()
    if client is None:
        return True
    return bool(client.set(f"initscope:watch-queued:{name}", "1", nx=True, px=int(ttl * 1000)))


def release_enqueue(name: str) -> None:
    client = redis_client()
    if client is not None:
        client.delete(f"initscope:watch-queued:{name}")
