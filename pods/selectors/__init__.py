"""Reads: every query of the app goes through here, behind keyword-only functions.

- `pods`: Pods and their timeline documents (lists, filters, counts, summaries, events, log tails).
- `clusters`: clusters and their watches (cursors, back-off, health).

Callers use `from pods import selectors` and `selectors.<name>`.
"""

from pods.selectors.clusters import (
    HEARTBEAT_SECONDS,
    attempts_missing_log_tail,
    cluster_health,
    cluster_watch_failures,
    clusters_backing_off,
    watch_cursors,
)
from pods.selectors.pods import (
    PodFilters,
    PodListPage,
    attempt_with_log_tail,
    cluster_names,
    cluster_now,
    namespaces,
    pod_document,
    pod_documents,
    pod_events,
    pod_find,
    pod_get,
    pod_list_page,
    pod_queryset,
    pod_state,
    pod_summary,
    status_counts,
    stuck_q,
    stuck_threshold,
)

__all__ = [
    "HEARTBEAT_SECONDS",
    "PodFilters",
    "PodListPage",
    "attempt_with_log_tail",
    "attempts_missing_log_tail",
    "cluster_health",
    "cluster_names",
    "cluster_now",
    "cluster_watch_failures",
    "clusters_backing_off",
    "namespaces",
    "pod_document",
    "pod_documents",
    "pod_events",
    "pod_find",
    "pod_get",
    "pod_list_page",
    "pod_queryset",
    "pod_state",
    "pod_summary",
    "status_counts",
    "stuck_q",
    "stuck_threshold",
    "watch_cursors",
]
