"""Writes of a watch unit's own health: a whole cluster's on its Cluster row (`watch_state`), a namespace
group's (INITSCOPE_CLUSTER_NAMESPACE_GROUPS) on its WatchGroup row. The watcher calls these with the unit
(`cluster`, `group`; "" for a cluster watched whole) and need not know where each is kept.

The read model over the same rows is `pods.selectors.cluster_health`.
"""

from __future__ import annotations

from datetime import UTC, datetime

from pods.ingest.batch import cluster_get_or_create
from pods.ingest.watch_state import cluster_backoff_set, cluster_mark_alive, cluster_watch_failures_set
from pods.models import Cluster, WatchGroup

_HOLDER_LENGTH = WatchGroup._meta.get_field("watch_holder").max_length


def watch_group_get_or_create(*, cluster: Cluster, group: str) -> WatchGroup:
    """The stored health of `group` of `cluster` (created, healthy, when new)."""
    row, _ = WatchGroup.objects.get_or_create(cluster=cluster, name=group)
    return row


def watch_mark_alive(*, cluster: Cluster, group: str, holder: str) -> None:
    """A running watch's heartbeat: now, and who holds the unit's lock."""
    if not group:
        cluster_mark_alive(cluster=cluster, holder=holder)
        return
    WatchGroup.objects.update_or_create(
        cluster=cluster,
        name=group,
        defaults={"watch_heartbeat_at": datetime.now(UTC), "watch_holder": holder[:_HOLDER_LENGTH]},
    )


def watch_failures_set(*, cluster: Cluster, group: str, failures: int) -> None:
    """How many attempts of a unit's running watch failed in a row."""
    if not group:
        cluster_watch_failures_set(cluster=cluster, failures=failures)
        return
    WatchGroup.objects.update_or_create(cluster=cluster, name=group, defaults={"watch_failures": failures})


def watch_backoff_set(*, name: str, group: str, failures: int, retry_at: datetime | None) -> None:
    """How many runs of the unit (cluster `name`, `group`) failed in a row, and when the next may start."""
    if not group:
        cluster_backoff_set(name=name, failures=failures, retry_at=retry_at)
        return
    WatchGroup.objects.update_or_create(
        cluster=cluster_get_or_create(name=name),
        name=group,
        defaults={"watch_failures": failures, "watch_retry_at": retry_at},
    )


__all__ = ["watch_backoff_set", "watch_failures_set", "watch_group_get_or_create", "watch_mark_alive"]
