"""Scheduling: what one Celery task run does (`watch_cluster_once`), the back-off after a run that failed
(`after_run`), which clusters beat starts (`register_clusters`, a write; `clusters_to_start`, a read) and
the guard that keeps beat from stacking copies of a queued run (`claim_enqueue` / `release_enqueue`).

The unit of work is a cluster watched whole, or one namespace group of a split cluster
(INITSCOPE_CLUSTER_NAMESPACE_GROUPS): `(name, group)`, group "" for the whole cluster. Each unit has its
own lock, runs, back-off and enqueue guard, so several workers watch the groups of one cluster at once."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from pods import kube
from pods.ingest import (
    cluster_health_changed,
    clusters_mark_watched,
    watch_backoff_set,
    watch_error_record,
)
from pods.selectors import cluster_watch_failures, units_backing_off
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
    name: str, *, settings_: WatchSettings | None = None, holder_id: str | None = None, group: str = ""
) -> RunOutcome:
    """One run of the watch task for cluster `name` (its namespace group `group`, if given): lock, one
    window, release, and the back-off bookkeeping.

    A denied (401/403) or unreachable cluster is backed off (Cluster.watch_retry_at, or the group's, and
    the error on its cursors) instead of retried at once; the task re-enqueues itself with that countdown.
    A run of a unit the settings no longer have (a group removed, or the whole of a cluster now split)
    ends as `unconfigured`.
    """
    s = settings_ or WatchSettings.from_settings()
    unconfigured = _unconfigured(name, group)
    if unconfigured:
        return RunOutcome("unconfigured", False, message=unconfigured)
    lock = ClusterLock(name, ttl=s.lock_seconds, holder_id=holder_id, group=group)
    if not lock.acquire():
        return RunOutcome("held", False, message=f"held by {lock.holder()}")
    try:
        result = run_locked(name, s, lock, group=group)
    finally:
        lock.release()
    return after_run(name, result, s, group=group)


def _unconfigured(name: str, group: str) -> str:
    """Why the unit (`name`, `group`) is not one to watch ("" when it is)."""
    config = kube.cluster_config(name)
    if config is None:
        return f"{name!r} is not in INITSCOPE_CLUSTERS"
    if group and config.group(group) is None:
        return f"{name!r} has no namespace group {group!r}"
    if not group and config.groups:
        return f"{name!r} is split into namespace groups: each group is watched on its own"
    return ""


def run_locked(name: str, s: WatchSettings, lock: ClusterLock, *, group: str = "") -> WindowResult:
    """One window of a cluster (or namespace group) whose lock this run holds."""
    try:
        w = cluster_watch(name, settings_=s, lock=lock, group=group)
    except kube.KubeError as exc:
        record_cluster_error(name, str(exc), group=group)
        return WindowResult("error", str(exc))
    clusters_mark_watched(names=[name])
    w.heartbeat()
    return watch_window(w, seconds=s.window_seconds)


def after_run(name: str, result: WindowResult, s: WatchSettings, *, group: str = "") -> RunOutcome:
    """Whether and when to run again: at once after a full window, after a growing back-off otherwise."""
    if result.reason == "lock-lost":
        return RunOutcome("lock-lost", False, message=result.message)
    if result.reason == "window":  # the streams' failures in a row, if any still fail, go on counting
        watch_backoff_set(name=name, group=group, failures=result.failures, retry_at=None)
        return RunOutcome("window", True)
    failures = cluster_watch_failures(name=name, group=group) + 1
    delay = backoff_delay_after_run(failures, s)
    retry_at = datetime.now(UTC) + timedelta(seconds=delay)
    watch_backoff_set(name=name, group=group, failures=failures, retry_at=retry_at)
    cluster_health_changed(name=name)  # the watch stopped: its pages turn stale now, not at the next poll
    return RunOutcome(result.reason, True, delay, result.message)


def backoff_delay_after_run(failures: int, s: WatchSettings) -> float:
    """2 s doubling, capped at the reconnect back-off's cap (at least 2 s), with jitter."""
    return backoff_delay(failures, base=2.0, cap=max(s.backoff_max, 2.0))


def record_cluster_error(name: str, message: str, *, group: str = "") -> None:
    """Note an error on the cursors of the unit's own streams (those a later success clears)."""
    config = kube.cluster_config(name)
    streams = streams_for(config.scopes(group) if config else ())
    watch_error_record(
        cluster_name=name, streams=[(s.resource, s.namespace) for s in streams], message=message
    )
    log.warning("cluster %s: %s", kube.watch_key(name, group), message)


def register_clusters() -> list[tuple[str, str]]:
    """Mark every configured cluster as watched (creating it when new); returns the units to watch,
    `(cluster, group)` (`kube.watch_units`). A write."""
    units = kube.watch_units()
    clusters_mark_watched(names=list(dict.fromkeys(name for name, _ in units)))
    return units


def clusters_to_start(units: list[tuple[str, str]], *, now: datetime | None = None) -> list[tuple[str, str]]:
    """Those of the units `(cluster, group)` whose watch is neither running (the lock is free) nor backing
    off. A read."""
    now = now or datetime.now(UTC)
    waiting = units_backing_off(units=units, now=now)
    ttl = WatchSettings.from_settings().lock_seconds
    return [
        (name, group)
        for name, group in units
        if (name, group) not in waiting and not ClusterLock(name, ttl=ttl, group=group).holder()
    ]


def claim_enqueue(name: str, *, ttl: float, group: str = "") -> bool:
    """True for the first caller within `ttl` seconds: keeps beat from stacking copies of a queued task."""
    client = redis_client()
    if client is None:
        return True
    key = f"initscope:watch-queued:{kube.watch_key(name, group)}"
    return bool(client.set(key, "1", nx=True, px=int(ttl * 1000)))


def release_enqueue(name: str, *, group: str = "") -> None:
    client = redis_client()
    if client is not None:
        client.delete(f"initscope:watch-queued:{kube.watch_key(name, group)}")
