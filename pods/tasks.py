"""Celery tasks: thin wrappers over `pods.watch.schedule` (the steps live in `pods.watch`).

- `watch_cluster(cluster_name, group="")` (queue `watch`): one bounded watch window under the cluster's
  lock (the namespace group's, for a cluster split by INITSCOPE_CLUSTER_NAMESPACE_GROUPS), then it
  re-enqueues itself (after a back-off when the API refused or could not be reached).
- `ensure_watchers()` (beat, every INITSCOPE_ENSURE_WATCHERS_SECONDS): starts the watch of every
  configured cluster (every group of a split one) whose lock is free, so a unit whose watcher died is
  picked up within one lock time to live plus one beat interval.
- `maintain_history()` (beat, every INITSCOPE_PRUNE_EVERY_SECONDS): partitions ahead, retention
  (`pods.history.retention.maintain`).
- `rollup_hours()` (beat, every INITSCOPE_ROLLUP_EVERY_SECONDS): recompute the hourly rollups of the hours
  ingest marked (`pods.reports.rollup_build.run_marks`), oldest first, a bounded number per run.
- `export_trace(trace)` (queue `default`): send one Pod startup's trace over OTLP/HTTP
  (`pods.signals.export`), queued by ingest after commit; retried with back-off when the receiver fails.
"""

from __future__ import annotations

import logging

from celery import shared_task
from celery.signals import worker_ready, worker_shutting_down
from django.conf import settings

from pods import kube, watch
from pods.history.retention import maintain as history_maintain
from pods.ingest import tune_gc_for_ingest
from pods.reports import rollup_build
from pods.signals import export as signals_export

log = logging.getLogger(__name__)
# export_trace: retries after 5 s, 10 s, ... up to 5 min apart (about 20 minutes in all), then dropped.
TRACE_RETRIES = 8
TRACE_RETRY_BASE_SECONDS = 5
TRACE_RETRY_MAX_SECONDS = 300
_gc_tuned = False


# acks_late is off on purpose: the lock and beat make the watch durable; a redelivered copy of a killed
# run would only find the lock taken.
@shared_task(name="pods.tasks.watch_cluster", acks_late=False, ignore_result=True)
def watch_cluster(cluster_name: str, group: str = "") -> str:
    """Watch one cluster (one namespace group of it, if given) for one window, then run again; returns the
    outcome's reason."""
    global _gc_tuned
    if not _gc_tuned:
        tune_gc_for_ingest()
        _gc_tuned = True
    watch.release_enqueue(cluster_name, group=group)
    outcome = watch.watch_cluster_once(cluster_name, group=group)
    key = kube.watch_key(cluster_name, group)
    log.info("watch of %s ended: %s %s", key, outcome.reason, outcome.message)
    if outcome.requeue:
        enqueue_watch(cluster_name, group=group, countdown=outcome.countdown)
    return outcome.reason


@shared_task(name="pods.tasks.ensure_watchers", ignore_result=True)
def ensure_watchers() -> list[str]:
    """Enqueue `watch_cluster` for every configured cluster (every namespace group of a split one) that
    has no running watch; returns the units started (`cluster` or `cluster/group`)."""
    units = watch.register_clusters()
    started = [
        kube.watch_key(name, group)
        for name, group in watch.clusters_to_start(units)
        if enqueue_watch(name, group=group)
    ]
    if started:
        log.info("started the watch of %s", ", ".join(started))
    return started


# A trace is idempotent (its ids are fixed), so a redelivered or retried copy only replaces itself.
@shared_task(
    name="pods.tasks.export_trace",
    bind=True,
    acks_late=True,
    ignore_result=True,
    max_retries=TRACE_RETRIES,
)
def export_trace(self, trace: dict) -> int:
    """Send one startup trace (`pods.signals.traces.StartupTrace.to_dict()`); the number of spans sent."""
    try:
        return signals_export.export_trace(trace)
    except signals_export.ExportFailed as exc:
        countdown = min(TRACE_RETRY_BASE_SECONDS * 2**self.request.retries, TRACE_RETRY_MAX_SECONDS)
        log.warning("%s; retrying in %ss", exc, countdown)
        raise self.retry(exc=exc, countdown=countdown)


@shared_task(name="pods.tasks.rollup_hours", ignore_result=True)
def rollup_hours() -> dict[str, int]:
    """Recompute the marked hours' rollups; returns how many hours were recomputed, marked again, expired.
    A cluster without report samples of the current version gets its hours marked first
    (`rollup_build.cover_samples`)."""
    rollup_build.cover_samples()
    result = rollup_build.run_marks()
    if result.recomputed or result.remarked or result.failed:
        log.info("rollups: %s", result)
    return {"recomputed": result.recomputed, "remarked": result.remarked, "expired": result.expired}


@shared_task(name="pods.tasks.maintain_history", ignore_result=True)
def maintain_history() -> list[str]:
    """Create the partitions ahead and prune what is past retention; returns the steps taken."""
    return [str(step) for step in history_maintain().steps]


def enqueue_watch(cluster_name: str, *, group: str = "", countdown: float = 0.0) -> bool:
    """Queue one watch run of the cluster (of its namespace group `group`, if given) unless one was
    queued moments ago (True when queued).

    The guard lives only as long as the watch lock: a run lost with a killed worker's prefetched
    message is replaced as soon as beat finds the cluster unwatched.
    """
    ttl = countdown + settings.INITSCOPE_WATCH_LOCK_SECONDS
    if not watch.claim_enqueue(cluster_name, ttl=ttl, group=group):
        return False
    # A whole cluster's message keeps its one argument: a worker of the previous version can run it.
    args = (cluster_name, group) if group else (cluster_name,)
    watch_cluster.apply_async(args, countdown=countdown or None)
    return True


@worker_ready.connect
def _start_watchers_now(**_: object) -> None:
    """A worker that comes up starts unwatched clusters at once instead of at beat's next tick."""
    try:
        ensure_watchers.delay()
    except Exception:  # noqa: BLE001 - the broker may still be starting; beat will do it
        log.exception("could not enqueue ensure_watchers at worker start")


@worker_shutting_down.connect
def _end_windows(**_: object) -> None:
    """Warm shutdown: running windows end now (flush, save, release the lock) and re-enqueue themselves."""
    watch.STOP.set()
