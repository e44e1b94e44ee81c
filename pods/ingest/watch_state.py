"""Writes of the watcher's own bookkeeping: cursors, stream errors, heartbeats and back-off.

The watcher (`pods.watch`) decides when; these services are the only code that stores it. The health
read model over the same rows is `pods.selectors.cluster_health`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from django.db import transaction

from pods.ingest.batch import cluster_get_or_create
from pods.live import broadcast as live
from pods.models import Cluster, WatchCursor

# Values are cut to the models' own column lengths.
_HOLDER_LENGTH = Cluster._meta.get_field("watch_holder").max_length
_RV_LENGTH = WatchCursor._meta.get_field("resource_version").max_length


def cluster_mark_alive(*, cluster: Cluster, holder: str) -> None:
    """A running watch's heartbeat: now, and who holds the cluster's lock."""
    Cluster.objects.filter(pk=cluster.pk).update(
        watch_heartbeat_at=datetime.now(UTC), watch_holder=holder[:_HOLDER_LENGTH]
    )


def clusters_mark_watched(*, names: Iterable[str]) -> list[Cluster]:
    """Register clusters as watched (created when new): their Pods' times move with the wall clock."""
    clusters = [cluster_get_or_create(name=name) for name in names]
    unmarked = [c.pk for c in clusters if not c.watched]
    if unmarked:
        Cluster.objects.filter(pk__in=unmarked).update(watched=True)
    for cluster in clusters:
        cluster.watched = True
    return clusters


def cluster_backoff_set(*, name: str, failures: int, retry_at: datetime | None) -> None:
    """How many watch runs of cluster `name` failed in a row, and when the next may start (None: now)."""
    Cluster.objects.filter(name=name).update(watch_failures=failures, watch_retry_at=retry_at)


def cluster_watch_failures_set(*, cluster: Cluster, failures: int) -> None:
    """How many attempts of a running watch failed in a row (its back-off after a run is
    `cluster_backoff_set`'s)."""
    Cluster.objects.filter(pk=cluster.pk).update(watch_failures=failures)


def cluster_health_changed(*, name: str) -> None:
    """Cluster `name`'s watch health changed (a stream started or stopped failing, a run started or ended):
    once committed, a `clusters.changed` message makes the live pages read its freshness again."""
    transaction.on_commit(lambda: live.publish_clusters_changed(name))


def watch_cursor_save(
    *,
    cluster: Cluster,
    resource: str,
    namespace: str,
    resource_version: str,
    listed_at: datetime | None = None,
    last_event_at: datetime | None = None,
    last_ok_at: datetime | None = None,
    error: str = "",
    error_at: datetime | None = None,
) -> None:
    """Store one stream's position and health; a None time (and an error without `error_at`) is kept as
    stored. Call it only once the objects before `resource_version` are committed."""
    defaults: dict[str, Any] = {
        "resource_version": resource_version[:_RV_LENGTH],
        "listed_at": listed_at,
        "last_event_at": last_event_at,
        "last_ok_at": last_ok_at,
    }
    if error_at is not None:
        defaults |= {"last_error": error, "last_error_at": error_at}
    WatchCursor.objects.update_or_create(
        cluster=cluster,
        resource=resource,
        namespace=namespace,
        defaults={k: v for k, v in defaults.items() if v is not None},
    )


def watch_error_record(*, cluster_name: str, streams: Iterable[tuple[str, str]], message: str) -> None:
    """Note an error on the cursors of these (resource, namespace) streams: a watch that could not even
    start. Their next success clears it."""
    cluster = cluster_get_or_create(name=cluster_name)
    now = datetime.now(UTC)
    for resource, namespace in streams:
        WatchCursor.objects.update_or_create(
            cluster=cluster,
            resource=resource,
            namespace=namespace,
            defaults={"last_error": message, "last_error_at": now},
        )


def cluster_watch_forget(*, name: str) -> None:
    """Cluster `name` is now served by a new API server whose resourceVersions start over (a new
    `serve --demo` simulator): its streams list again (empty cursors), and the watch of an earlier run is
    over (no heartbeat, no holder, no back-off). Stream errors stay as history."""
    cluster = cluster_get_or_create(name=name)
    WatchCursor.objects.filter(cluster=cluster).update(resource_version="")
    Cluster.objects.filter(pk=cluster.pk).update(
        watch_heartbeat_at=None, watch_holder="", watch_failures=0, watch_retry_at=None
    )


__all__ = [
    "cluster_backoff_set",
    "cluster_health_changed",
    "cluster_mark_alive",
    "cluster_watch_failures_set",
    "cluster_watch_forget",
    "clusters_mark_watched",
    "watch_cursor_save",
    "watch_error_record",
]
