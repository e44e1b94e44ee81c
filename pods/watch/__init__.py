"""The watcher: a cluster's Pods and Events into stored timelines, losing nothing the API still shows.

Small named steps, each callable on its own (tests drive them with recorded streams, kopf-style):

- `decode`: `decode_line(stream, line)`, one raw watch line -> an object to ingest, a bookmark, a relist
  request (ERROR 410 / other ERROR) or a skip (malformed JSON, unknown type: logged with context). Pure;
  the classification itself is the engine's (`pods.timeline.watch_events`).
- `listing`: `list_once(w, stream)`, a paginated list (`limit`/`continue`; an expired token restarts
  it) ingested page by page; for Pods the stored Pods the list no longer shows are closed as deleted
  (`reconcile_pods`). Saves the cursor at the list's resourceVersion.
- `batch`: `apply_batch(w, items)`, owners resolved, `ingest_batch` (one transaction, change messages
  after commit), the log tail of newly failed init container attempts captured.
- `window`: `watch_window(w, seconds=)`, one reader thread per stream from its cursor, for a bounded
  window: flush every N events or T ms, resume from the newest resourceVersion when a stream ends,
  relist on 410/ERROR, reconnect with capped exponential back-off and jitter, stop on 401/403 (a 403 in
  one namespace only backs that namespace's stream off: the others are watched on).
- `lock`: `ClusterLock`, one watcher per cluster, or per namespace group of a split cluster (Redis;
  renewed while running, taken over once its holder stops renewing; in-process without Redis).
- `schedule`: `watch_cluster_once(name, group=)`, what one Celery task run does (lock, one window,
  release, when to run again); `register_clusters` / `clusters_to_start` for beat (per unit of work:
  a cluster, or each namespace group of a split one); the enqueue guard.
- `state`: what they share: `WatchSettings`, `Stream`, `ClusterWatch`, `StreamState`, the back-off
  rule and the cursor bookkeeping.

Writes go through `pods.ingest` (batches, `watch_state`), reads through `pods.selectors`; `pods.tasks`
only calls `schedule`.
"""

from pods.watch.batch import apply_batch, capture_log_tails
from pods.watch.decode import Decoded, decode_line
from pods.watch.listing import list_once, reconcile_pods
from pods.watch.lock import ClusterLock, LocalLock, redis_client
from pods.watch.schedule import (
    RunOutcome,
    claim_enqueue,
    clusters_to_start,
    record_cluster_error,
    register_clusters,
    release_enqueue,
    watch_cluster_once,
)
from pods.watch.state import (
    STOP,
    ClusterWatch,
    LockLost,
    Stream,
    StreamState,
    WatchDenied,
    WatchSettings,
    backoff_delay,
    cluster_watch,
    load_cursors,
    record_error,
    save_cursors,
    streams_for,
)
from pods.watch.window import Reader, Window, WindowResult, watch_window

__all__ = [
    "STOP",
    "ClusterLock",
    "ClusterWatch",
    "Decoded",
    "LocalLock",
    "LockLost",
    "Reader",
    "RunOutcome",
    "Stream",
    "StreamState",
    "WatchDenied",
    "WatchSettings",
    "Window",
    "WindowResult",
    "apply_batch",
    "backoff_delay",
    "capture_log_tails",
    "claim_enqueue",
    "cluster_watch",
    "clusters_to_start",
    "decode_line",
    "list_once",
    "load_cursors",
    "reconcile_pods",
    "record_cluster_error",
    "record_error",
    "redis_client",
    "register_clusters",
    "release_enqueue",
    "save_cursors",
    "streams_for",
    "watch_cluster_once",
    "watch_window",
]
