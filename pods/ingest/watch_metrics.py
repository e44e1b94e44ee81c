"""Writes of the watcher's own Prometheus numbers, per cluster, into the metrics' persistent totals
(`pods.signals.metric_store`): ingested events and batch latency, watch lag, lists and stream errors.

Stored in the database rather than kept per process: the watch of a cluster moves between workers (the
lock), and any web process answers `GET /metrics` with the same totals (docs/signals.md).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from functools import wraps
from typing import ParamSpec

from django.db import DatabaseError

from pods.models import Cluster
from pods.signals import metric_cells as mc
from pods.signals import metric_store

log = logging.getLogger(__name__)
P = ParamSpec("P")


def _never_fails(record: Callable[P, None]) -> Callable[P, None]:
    """A number that cannot be stored is logged and lost: it never fails the watch."""

    @wraps(record)
    def safe(*args: P.args, **kwargs: P.kwargs) -> None:
        try:
            record(*args, **kwargs)
        except DatabaseError:
            log.warning("could not store the watch metric %s", record.__name__, exc_info=True)

    return safe


@_never_fails
def watch_batch_record(*, cluster: Cluster, batches: Sequence[tuple[int, float]], lag: float | None) -> None:
    """Committed batches, each `(events, seconds)`: its watch events and how long it took to ingest; `lag`:
    the longest time from receiving one of their events to its batch's commit (the gauge), None if unknown.
    The watcher adds its batches up and stores them every second or so (`pods.watch.batch.BatchNumbers`)."""
    cells: mc.Cells = {}
    for events, seconds in batches:
        mc.add(cells, (mc.INGEST_EVENTS.name, "", "", "", "", "", ""), events)
        mc.observe(cells, mc.INGEST_BATCH, ("", "", "", "", ""), seconds)
    if cells:
        metric_store.add_cells(cluster.pk, cells)
    if lag is not None:
        metric_store.set_gauges(cluster.pk, {(mc.INGEST_LAG.name, "", "", "", "", "", ""): max(lag, 0.0)})


@_never_fails
def watch_list_record(*, cluster: Cluster, resource: str) -> None:
    """A full list of one stream (`pods` or `events`) went through."""
    metric_store.add_cells(cluster.pk, {(mc.WATCH_LISTS.name, "", "", "", "", resource, ""): 1})


@_never_fails
def watch_stream_error_record(*, cluster: Cluster, resource: str) -> None:
    """A stream's list or watch failed."""
    metric_store.add_cells(cluster.pk, {(mc.WATCH_ERRORS.name, "", "", "", "", resource, ""): 1})
