"""Reads: every query of the app goes through here, behind keyword-only functions.

- `pods`: Pods and their timeline documents (lists, filters, counts, summaries, events, log tails).
- `clusters`: clusters and their watches (cursors, back-off, health).
- `workloads`: workloads (their `create-failed` diagnosis, Pod counts); `related`: the Events about a
  Pod's node and PersistentVolumeClaims.

Callers use `from pods import selectors` and `selectors.<name>`.
"""

from pods.selectors.clusters import (
    FRESH_LIVE,
    FRESH_RECORDED,
    FRESH_STALE,
    HEARTBEAT_SECONDS,
    attempts_missing_log_tail,
    cluster_freshness,
    cluster_health,
    cluster_watch_failures,
    clusters_backing_off,
    page_freshness,
    watch_cursors,
)
from pods.selectors.pods import (
    PodFilters,
    PodListPage,
    attempt_with_log_tail,
    cluster_names,
    cluster_now,
    failed_q,
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
    pods_named,
    status_counts,
    stuck_q,
    stuck_threshold,
)
from pods.selectors.related import related_for_pods
from pods.selectors.workloads import (
    WorkloadFilters,
    WorkloadListPage,
    workload_list_page,
    workload_queryset,
    workload_stuck_q,
    workload_summaries,
    workload_summary,
)

__all__ = [
    "FRESH_LIVE",
    "FRESH_RECORDED",
    "FRESH_STALE",
    "HEARTBEAT_SECONDS",
    "PodFilters",
    "PodListPage",
    "WorkloadFilters",
    "WorkloadListPage",
    "attempt_with_log_tail",
    "attempts_missing_log_tail",
    "cluster_freshness",
    "cluster_health",
    "cluster_names",
    "cluster_now",
    "failed_q",
    "cluster_watch_failures",
    "clusters_backing_off",
    "namespaces",
    "page_freshness",
    "pod_document",
    "pod_documents",
    "pod_events",
    "pod_find",
    "pods_named",
    "pod_get",
    "pod_list_page",
    "pod_queryset",
    "pod_state",
    "pod_summary",
    "status_counts",
    "stuck_q",
    "stuck_threshold",
    "related_for_pods",
    "watch_cursors",
    "workload_list_page",
    "workload_queryset",
    "workload_stuck_q",
    "workload_summaries",
    "workload_summary",
]
