"""Writes: every change to stored timelines goes through the services of this package.

- `items`: what ingest takes and gives back (`WatchItem`, `IngestResult`).
- `batch`: fold a batch of watch items (Pods and Events) into stored timelines in one transaction.
- `relist`: after a relist, close the timelines of Pods the list no longer shows.
- `pod_states`: the states a watcher keeps between its batches (it is their only writer).
- `pipeline`: the watcher's batches in order, each written by a writer thread while the next is folded.
- `log_tails`: keep the last log lines of a failed attempt with its timeline (and forget them after
  their retention, `clear_log_tails`).
- `rows`: the projection of a timeline into rows (columns, values cut to the models' lengths) and its
  write of only what changed; `upsert`: set-based upserts on natural keys (COPY on PostgreSQL).
- `summary`: the live message shape of a changed Pod, published after commit.
- `rollup_marks`: the hours each batch's rows place in a report, marked for the rollup task
  (`pods.reports.rollup_build`).
- `tuning`: the garbage collector's thresholds for an ingest process.
- `imports`: recorded watch streams and dumps (`manage.py import_watch`) through the same batches.
- `watch_state`: the watcher's bookkeeping (cursors, stream errors, heartbeats, back-off).
- `watch_groups`: a watch unit's heartbeat and back-off, a whole cluster's or a namespace group's.
- `watch_metrics`: the watcher's own Prometheus numbers (events, batch latency, lag, lists, errors).

Callers import the services from here; the submodules are the implementation.
"""

from pods.ingest.batch import cluster_get_or_create, ingest_batch
from pods.ingest.items import IngestResult, WatchItem
from pods.ingest.log_tails import attempt_set_log_tail, clear_log_tails
from pods.ingest.pipeline import IngestPipeline
from pods.ingest.pod_states import PodStates
from pods.ingest.relist import pods_mark_vanished
from pods.ingest.summary import change_summary
from pods.ingest.tuning import tune_gc_for_ingest
from pods.ingest.watch_groups import (
    watch_backoff_set,
    watch_failures_set,
    watch_group_get_or_create,
    watch_mark_alive,
)
from pods.ingest.watch_metrics import watch_batch_record, watch_list_record, watch_stream_error_record
from pods.ingest.watch_state import (
    cluster_backoff_set,
    cluster_health_changed,
    cluster_mark_alive,
    cluster_watch_failures_set,
    cluster_watch_forget,
    clusters_mark_watched,
    watch_cursor_save,
    watch_error_record,
)

__all__ = [
    "IngestPipeline",
    "IngestResult",
    "PodStates",
    "WatchItem",
    "attempt_set_log_tail",
    "change_summary",
    "clear_log_tails",
    "cluster_backoff_set",
    "cluster_get_or_create",
    "cluster_health_changed",
    "cluster_mark_alive",
    "cluster_watch_failures_set",
    "cluster_watch_forget",
    "clusters_mark_watched",
    "ingest_batch",
    "pods_mark_vanished",
    "tune_gc_for_ingest",
    "watch_backoff_set",
    "watch_batch_record",
    "watch_cursor_save",
    "watch_error_record",
    "watch_failures_set",
    "watch_group_get_or_create",
    "watch_list_record",
    "watch_mark_alive",
    "watch_stream_error_record",
]
