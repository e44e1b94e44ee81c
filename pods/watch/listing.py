"""List and reconcile: a paginated list of one stream into ingest, then (for Pods) the stored Pods the list
no longer shows closed as deleted, and the cursor saved at the list's resourceVersion."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any, cast

from pods import kube, selectors
from pods.ingest import WatchItem, pods_mark_vanished, watch_list_record
from pods.timeline import MalformedObject, pod_identity
from pods.timeline.raw import RawList, RawPod
from pods.watch.batch import apply_batch, store_batch_numbers
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
            taken_at = datetime.now(UTC)  # the list's snapshot is taken at its first page
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
        w.pod_states.forget(vanished)  # closed outside ingest's batches: read back if they come again
        w.stats["vanished"] += len(vanished)
    state = w.state[stream]
    state.resource_version, state.relist, state.listed_at = rv, False, taken_at
    w.stats["lists"] += 1
    store_batch_numbers(w, force=True)
    watch_list_record(cluster=w.cluster, resource=stream.resource)
    w.heartbeat()
    save_cursors(w, force=True)
    return rv


def _list_pages(w: ClusterWatch, stream: Stream) -> tuple[str, set[str]]:
    """Every page of one list through `apply_batch`; the list's resourceVersion and the Pod uids seen.

    Each page is requested as soon as the one before has arrived, and arrives while that one is folded
    (one request at a time, in a helper thread; a page's call keeps to its deadline, the lock is renewed
    between pages as before). A Pod stored at the very resourceVersion listed is not folded again
    (`unchanged_pods`): the stored versions of the stream's scope are read once, before the first page
    (the list's pages hold each Pod once, and nothing else writes this cluster's Pods while its lock
    holder lists)."""
    rv, uids, page = "", set[str](), 0
    stored: dict[str, str] = {}
    if stream.resource == "pods":
        namespaces = [stream.namespace] if stream.namespace else None
        stored = selectors.pods_stored_versions(cluster=w.cluster, namespaces=namespaces)

    def fetch(token: str) -> RawList[Any]:
        return w.kube.list(
            stream.resource, namespace=stream.namespace, limit=w.settings.page_size, continue_token=token
        )

    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"list-{w.cluster.name}")
    try:
        pending = pool.submit(fetch, "")
        while True:
            w.heartbeat()
            body = pending.result()
            w.state[stream].mark_ok()
            meta = body.get("metadata") or {}
            rv = rv or str(meta.get("resourceVersion") or "")
            token = str(meta.get("continue") or "")
            if token:
                pending = pool.submit(fetch, token)
            now = datetime.now(UTC)
            objects = [cast(RawPod, obj) for obj in body.get("items") or () if isinstance(obj, dict)]
            if stream.resource == "pods":
                objects, unchanged = unchanged_pods(objects, stored)
                uids |= unchanged
                w.stats["unchanged"] += len(unchanged)
            items = [
                WatchItem(stream.kind, obj, "", f"list {stream} page {page} item {i}", now)
                for i, obj in enumerate(objects)
            ]
            uids |= apply_batch(w, items).pods_seen  # ingest reads each Pod's identity once
            page += 1
            if not token:
                return rv, uids
    finally:  # a list that failed or lost its lock leaves the page in flight to end on its own (a read)
        pool.shutdown(wait=False, cancel_futures=True)


def unchanged_pods(pods: list[RawPod], stored: dict[str, str]) -> tuple[list[RawPod], set[str]]:
    """Split a list page: the Pods to fold, and the uids of those `stored` (uid -> resourceVersion, of the
    Pods stored seen and not deleted: `selectors.pods_stored_versions`) at the resourceVersion listed.

    Such a Pod's stored timeline already holds that very object (the row carries the resourceVersion of
    the newest object written, and a resourceVersion is unique to one write of one object: a Pod deleted
    and created again under its name has another uid; an API server restored from an older etcd gives
    other resourceVersions), so folding it again would change nothing: it is only counted as seen (the
    reconcile keeps it), nothing is written. Its `observed_at` stays as it was: the list's time, kept on
    the stream's cursor (`listed_at`), dates it instead if a later relist finds it gone
    (`pods_mark_vanished`'s `listed_before`). A Pod stored deleted, or at another resourceVersion, or
    unreadable (ingest rejects it) is folded."""
    if not stored:
        return pods, set()
    fold: list[RawPod] = []
    unchanged: set[str] = set()
    for obj in pods:
        try:
            uid, _, _, rv = pod_identity(obj)
        except MalformedObject:
            fold.append(obj)  # ingest rejects it, with its position
            continue
        if rv and stored.get(uid) == rv:
            unchanged.add(uid)
        else:
            fold.append(obj)
    return fold, unchanged


def reconcile_pods(w: ClusterWatch, stream: Stream, listed_uids: set[str]) -> set[str]:
    """Close the stored Pods of this stream's scope that the new list no longer shows (deleted unseen).
    Call it before the new list's cursor is saved: the stored one says when the previous list was taken."""
    # Pods of other namespaces are not a namespaced list's business.
    namespaces = [stream.namespace] if stream.namespace else None
    before = selectors.stream_listed_at(
        cluster=w.cluster, resource=stream.resource, namespace=stream.namespace
    )
    return pods_mark_vanished(
        cluster=w.cluster,
        listed_uids=listed_uids,
        at=datetime.now(UTC),
        namespaces=namespaces,
        listed_before=before,
    )
