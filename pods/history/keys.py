"""The times history rows are partitioned by: immutable for a row, and never null.

A row's partition key is part of its table's unique keys on PostgreSQL (a partitioned table's unique
indexes must hold it), so ingest's upserts (ON CONFLICT on natural keys) only match a stored row when the
key is the one it was first written with. Attempts: their Pod's creationTimestamp. Events: their first
time (`first_at`) as first stored. Unknown: `UNKNOWN_TIME`, which no partition range holds (the DEFAULT
partition keeps those rows).
"""

from __future__ import annotations

from datetime import UTC, datetime

UNKNOWN_TIME = datetime(1970, 1, 1, tzinfo=UTC)


def partition_time(at: datetime | None) -> datetime:
    """The partition key for a time that may be unknown."""
    return UNKNOWN_TIME if at is None else at
