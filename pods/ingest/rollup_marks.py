"""Marks of the hours whose rollups must be recomputed (`RollupMark`), written by every ingest batch.

A batch that writes a Pod's rows marks the (cluster, hour) of every time that places one of its rows in a
report, before and after the fold: the Pod's creation (pod-startup; a placeholder's place), each
attempt's usable start (`pods.timeline.attempts.usable_start`, the one rule) and end, and the times its
rows held before the fold (`before`: the fingerprints `pods.ingest.rows.fingerprints` took), so an
attempt whose late details move it to another hour re-marks both hours. Marking more hours than strictly
needed only costs a recompute; marking fewer would lose a change, so every time of a changed Pod counts.

One upsert of a few rows per batch: each mark gets a fresh `token`, which tells the rollup task
(`pods.reports.rollup_build`) that the hour changed again while it was recomputing it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from pods.ingest.upsert import upsert
from pods.models import Cluster, RollupMark
from pods.timeline import PodState
from pods.timeline.attempts import START_SKEW, usable_start

COLUMNS = ["cluster_id", "hour", "token", "marked_at"]


def hour_of(moment: datetime) -> datetime:
    """The whole hour (UTC) that holds `moment`."""
    return datetime.fromtimestamp(moment.timestamp() // 3600 * 3600, tz=UTC)


def _times(state: PodState, before: Mapping[str, Any]) -> set[datetime]:
    created = state.created_at
    times: set[datetime | None] = {created}
    for c in state.containers:
        for a in c.attempts:
            times.add(usable_start(a, created))
            times.add(a.finished_at)
    # What the stored rows said before the fold (each attempt's facts hold its start and end).
    for _, attempts, _ in before.values():
        for facts in attempts.values():
            times.update(v for v in facts if isinstance(v, datetime))
    earliest = None if created is None else created - START_SKEW
    return {t for t in times if t is not None and (earliest is None or t >= earliest)}


def hours_to_mark(states: Iterable[PodState], before: Mapping[str, Mapping[str, Any]]) -> set[datetime]:
    """The hours to mark for a batch (read from the states: the pipelined ingest reads them before it writes,
    `pods.ingest.pipeline`)."""
    hours: set[datetime] = set()
    for state in states:
        hours.update(hour_of(t) for t in _times(state, before.get(state.uid, {})))
    return hours


def mark(cluster: Cluster, hours: Iterable[datetime], now: datetime | None = None) -> int:
    """Mark these whole hours of `cluster` (a fresh token each: a running recompute keeps the mark)."""
    at = now or datetime.now(UTC)
    rows = [(cluster.pk, hour, uuid.uuid4(), at) for hour in sorted(set(hours))]
    upsert(RollupMark, COLUMNS, rows, key=COLUMNS[:2], update=COLUMNS[2:])
    return len(rows)
