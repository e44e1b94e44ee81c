"""Relist reconciliation: close the timelines of Pods that a new list no longer shows."""

from __future__ import annotations

from datetime import UTC, datetime

from django.db import transaction

from pods.ingest.rows import fingerprints, load_states, write_pods
from pods.ingest.summary import publish_after_commit
from pods.models import Cluster, Pod
from pods.timeline import mark_vanished
from pods.timeline.times import newest_time


def pods_mark_vanished(
    *,
    cluster: Cluster,
    listed_uids: set[str],
    at: datetime,
    namespaces: list[str] | None = None,
    listed_before: datetime | None = None,
) -> set[str]:
    """After a relist: close the timelines of stored Pods the new list does not show.

    Every Pod of `cluster` (of `namespaces` only, when given: the scope of a namespaced list) that is
    neither deleted nor in `listed_uids` was deleted while no watch saw it (docs/kubernetes.md §6 rule
    4); it is marked deleted in one transaction and published, deleted at some time between when the
    watcher last received it (`Pod.observed_at`) and `at` (`mark_vanished`). Returns their uids. Pods
    known only from Events (never seen as objects) are left alone.

    `listed_before`: when the previous complete list of the same scope was taken. Every stored Pod still
    alive was shown by it (a Pod it did not show was closed then) or received after it, so each one was
    alive then at least: a relist does not rewrite `observed_at` of the Pods it shows unchanged
    (`pods.watch.listing.unchanged_pods`), this bound stands for it.
    """
    # The difference is taken here, not in SQL: a relist can hold 150,000 uids, too many for NOT IN.
    active = Pod.objects.filter(cluster=cluster, deleted_at__isnull=True, seen=True)
    if namespaces is not None:
        active = active.filter(namespace__in=namespaces)
    candidates = set(active.values_list("uid", flat=True).iterator(chunk_size=10_000)) - listed_uids
    if not candidates:
        return set()
    rows = active.values_list("uid", "observed_at")
    last_seen = {uid: newest_time((observed, listed_before)) for uid, observed in rows if uid in candidates}
    with transaction.atomic():
        states = load_states(cluster, candidates)
        before = {uid: fingerprints(state) for uid, state in states.items()}
        changed = {
            uid: state
            for uid, state in states.items()
            if mark_vanished(state, at=at, last_seen=last_seen.get(uid))
        }
        if changed:
            summaries = write_pods(cluster, changed, before, datetime.now(UTC))
            publish_after_commit(cluster.name, summaries)
    return set(changed)
