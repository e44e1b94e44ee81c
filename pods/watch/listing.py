"""List and reconcile: a paginated list of one stream into ingest, then (for Pods) the stored Pods the list
no longer shows closed as deleted, and the cursor saved at the list's resourceVersion."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from pods import kube
from pods.ingest import WatchItem, pods_mark_vanished, watch_list_record
from pods.watch.batch import apply_batch
from pods.watch.state import ClusterWatch, Stream, save_cursors

log = logging.getLogger("pods.watch")

MAX_LIST_RESTARTS = 5


def list_once(w: ClusterWatch, stream: Stream) -> str:
    """List `stream` page by page into ingest, reconcile vanished Pods, save the cursor; return the RV.

    An expired continue token (410) restarts the list (up to MAX_LIST_RESTARTS times). Other API
    errors and connection failures propagate (the caller backs off).
    """
    for attempt in range(MAX_LIST_RESTARTS + 1):
        try:
            rv, uids = _list_pages(w, stream)
            break
        except kube.ApiError as exc:
            if not exc.expired or attempt == MAX_LIST_RESTARTS:
                raise
            log.info(
                "cluster %s: list of %s expired mid-way (%s); restarting it", w.cluster.name, stream, exc
            )
    if stream.resource == "pods":
        w.heartbeat()  # raises LockLost: a watcher that lost its lock must not close anyone's Pods
        vanished = reconcile_pods(w, stream, uids)
        w.stats["vanished"] += len(vanished)
    state = w.state[stream]
    state.resource_version, state.relist, state.listed_at = rv, False, datetime.now(UTC)
    w.stats["lists"] += 1
    watch_list_record(cluster=w.cluster, resource=stream.resource)
    w.heartbeat()
    save_cursors(w, force=True)
    return rv


def _list_pages(w: ClusterWatch, stream: Stream) -> tuple[str, set[str]]:
    """Every page of one list through `apply_batch`; the list's resourceVersion and the Pod uids seen."""
    token, rv, uids, page = "", "", set[str](), 0
    while True:
        w.heartbeat()
        body = w.kube.list(
            stream.resource, namespace=stream.namespace, limit=w.settings.page_size, continue_token=token
        )
        w.state[stream].mark_ok()
        meta = body.get("metadata") or {}
        rv = rv or str(meta.get("resourceVersion") or "")
        now = datetime.now(UTC)
        items = [
            WatchItem(stream.kind, obj, "", f"list {stream} page {page} item {i}", now)
            for i, obj in enumerate(body.get("items") or ())
            if isinstance(obj, dict)
        ]
        uids |= apply_batch(w, items).pods_seen  # ingest reads each Pod's identity once
        token, page = str(meta.get("continue") or ""), page + 1
        if not token:
            return rv, uids


def reconcile_pods(w: ClusterWatch, stream: Stream, listed_uids: set[str]) -> set[str]:
    """Close the stored Pods of this stream's scope that the new list no longer shows (deleted unseen)."""
    # Pods of other namespaces are not a namespaced list's business.
    namespaces = [stream.namespace] if stream.namespace else None
    return pods_mark_vanished(
        cluster=w.cluster, listed_uids=listed_uids, at=datetime.now(UTC), namespaces=namespaces
    )
