"""Writes: every change to stored timelines goes through the services of this package.

- `batch`: fold a batch of watch items (Pods and Events) into stored timelines in one transaction.
- `upsert`: set-based upserts on natural keys (COPY on PostgreSQL, bulk_create elsewhere).
- `imports`: recorded watch streams and dumps (`manage.py import_watch`) through the same batches.

Callers import the services from here; the submodules are the implementation.
"""

from pods.ingest.batch import (
    IngestResult,
    WatchItem,
    attempt_set_log_tail,
    change_summary,
    cluster_get_or_create,
    ingest_batch,
    pods_mark_vanished,
    tune_gc_for_ingest,
)

__all__ = [
    "IngestResult",
    "WatchItem",
    "attempt_set_log_tail",
    "change_summary",
    "cluster_get_or_create",
    "ingest_batch",
    "pods_mark_vanished",
    "tune_gc_for_ingest",
]
