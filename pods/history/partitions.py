"""PostgreSQL's declarative range partitions of the history tables (attempts, Events about Pods, Events
about other kinds), by an immutable time (`pods.history.keys`).

Widths suit the retention: Events are kept days (`INITSCOPE_RETAIN_EVENTS_DAYS`, default 14), so they
are cut by day; attempts are kept months (`INITSCOPE_RETAIN_ATTEMPTS_DAYS`, default 90), so by week
(Monday to Monday, UTC): about 15 to 20 partitions each. Every table has a DEFAULT partition for rows
outside the created ranges (unknown times, recordings older than the oldest range, a clock far ahead).

Django keeps seeing a single-column `id` primary key; in the database it is (id, key), and each unique
key of the model holds the key column (the model says so), so ingest's ON CONFLICT targets still match.

Only PostgreSQL is partitioned; every function here is a no-op elsewhere (`supported`). Identifiers come
from `TABLES` and from the catalog, never from input.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db import DatabaseError, transaction
from django.db.backends.base.base import BaseDatabaseWrapper

log = logging.getLogger(__name__)

# How long a DETACH may wait for the parent's lock before giving up until the next run: it never queues
# in front of ingest for long.
LOCK_TIMEOUT = "5s"


@dataclass(frozen=True)
class PartitionedTable:
    table: str
    key: str  # the immutable time column it is partitioned by
    width_days: int  # 1 (days) or 7 (weeks from Monday)
    ahead: int  # partitions kept ready beyond the current one
    retention: str  # the setting that says how many days its rows are kept

    @property
    def default_partition(self) -> str:
        return f"{self.table}_default"

    def start_of(self, at: datetime) -> datetime:
        """The start of the range that holds `at`."""
        day = at.astimezone(UTC).date()
        if self.width_days == 7:
            day -= timedelta(days=day.weekday())
        return datetime(day.year, day.month, day.day, tzinfo=UTC)

    def name_of(self, start: datetime) -> str:
        return f"{self.table}_p{start:%Y%m%d}"

    def starts(self, since: datetime, until: datetime) -> list[datetime]:
        """The range starts covering [since, until]."""
        out = []
        start = self.start_of(since)
        while start <= until:
            out.append(start)
            start += timedelta(days=self.width_days)
        return out


ATTEMPTS = PartitionedTable("pods_attempt", "pod_created_at", 7, 4, "INITSCOPE_RETAIN_ATTEMPTS_DAYS")
EVENTS = PartitionedTable("pods_event", "partition_at", 1, 7, "INITSCOPE_RETAIN_EVENTS_DAYS")
RELATED_EVENTS = PartitionedTable("pods_relatedevent", "partition_at", 1, 7, "INITSCOPE_RETAIN_EVENTS_DAYS")
TABLES = (ATTEMPTS, EVENTS, RELATED_EVENTS)


@dataclass(frozen=True)
class Partition:
    name: str
    start: datetime | None  # None: the DEFAULT partition
    end: datetime | None


def supported(connection: BaseDatabaseWrapper) -> bool:
    return connection.vendor == "postgresql"


def is_partitioned(connection: BaseDatabaseWrapper, table: str) -> bool:
    if not supported(connection):
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_partitioned_table WHERE partrelid = to_regclass(%s)", [table])
        return cursor.fetchone() is not None


_BOUND = re.compile(r"FROM \('([^']+)'\) TO \('([^']+)'\)")


def _parse_bound(text: str) -> datetime:
    # The catalog prints timestamptz in the session's zone (UTC for Django's connections): `+00`.
    if re.search(r"[+-]\d\d$", text):
        text += ":00"
    return datetime.fromisoformat(text).astimezone(UTC)


def partitions(connection: BaseDatabaseWrapper, table: str) -> list[Partition]:
    """The partitions of `table`, oldest first, the DEFAULT one last."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i "
            "JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = to_regclass(%s)",
            [table],
        )
        rows = cursor.fetchall()
    out = []
    for name, bound in rows:
        found = _BOUND.search(bound or "")
        if found:
            out.append(Partition(name, _parse_bound(found[1]), _parse_bound(found[2])))
        else:
            out.append(Partition(name, None, None))
    return sorted(out, key=lambda p: (p.start is None, p.start or datetime.min.replace(tzinfo=UTC)))


def _create_sql(spec: PartitionedTable, start: datetime) -> tuple[str, list[datetime]]:
    end = start + timedelta(days=spec.width_days)
    name = spec.name_of(start)
    return f'CREATE TABLE "{name}" PARTITION OF "{spec.table}" FOR VALUES FROM (%s) TO (%s)', [start, end]


def create_partition(connection: BaseDatabaseWrapper, spec: PartitionedTable, start: datetime) -> bool:
    """Create the partition of `spec` that starts at `start` (True when created). PostgreSQL refuses when
    the DEFAULT partition already holds rows of that range: they stay there (pruned in batches)."""
    name = spec.name_of(start)
    try:
        with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
            cursor.execute("SELECT to_regclass(%s)", [name])
            if cursor.fetchone()[0] is not None:
                return False
            cursor.execute(*_create_sql(spec, start))
    except DatabaseError as exc:
        log.warning(
            "partition %s not created (the DEFAULT partition holds rows of its range?): %s", name, exc
        )
        return False
    return True


def ensure_partitions(
    connection: BaseDatabaseWrapper, spec: PartitionedTable, since: datetime, now: datetime
) -> list[str]:
    """Create the missing partitions of `spec` from the one holding `since` to `ahead` past `now`'s;
    returns the names created."""
    if not is_partitioned(connection, spec.table):
        return []
    until = spec.start_of(now) + timedelta(days=spec.width_days * spec.ahead)
    existing = {p.start for p in partitions(connection, spec.table)}
    return [
        spec.name_of(start)
        for start in spec.starts(since, until)
        if start not in existing and create_partition(connection, spec, start)
    ]


def detach_and_drop(connection: BaseDatabaseWrapper, spec: PartitionedTable, name: str) -> bool:
    """DETACH then DROP one partition, waiting at most `LOCK_TIMEOUT` for the parent (False when it could
    not get it: the next run tries again). DETACH ... CONCURRENTLY is not allowed next to a DEFAULT
    partition; a plain DETACH only touches the catalog once it holds the lock."""
    try:
        with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
            cursor.execute(f'ALTER TABLE "{spec.table}" DETACH PARTITION "{name}"')
            cursor.execute(f'DROP TABLE "{name}"')
    except DatabaseError as exc:
        log.warning("partition %s not dropped this time: %s", name, exc)
        return False
    return True


# --- Converting a plain table into a partitioned one (migration 0007) and back ---------------------------


def _definitions(cursor, table: str) -> tuple[list[tuple[str, str, str]], list[str]]:
    """The constraints (name, type, definition) and the other indexes' definitions of `table`."""
    cursor.execute(
        "SELECT conname, contype, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = to_regclass(%s) AND contype IN ('p', 'u', 'f', 'c') ORDER BY contype, conname",
        [table],
    )
    constraints = cursor.fetchall()
    cursor.execute(
        "SELECT pg_get_indexdef(i.indexrelid) FROM pg_index i WHERE i.indrelid = to_regclass(%s) "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid "
        "AND c.conrelid = i.indrelid)",
        [table],
    )
    indexes = [row[0] for row in cursor.fetchall()]
    return constraints, indexes


def _referenced_by(cursor, table: str) -> list[str]:
    cursor.execute(
        "SELECT conrelid::regclass::text FROM pg_constraint "
        "WHERE confrelid = to_regclass(%s) AND contype = 'f'",
        [table],
    )
    return [row[0] for row in cursor.fetchall()]


def rebuild(
    connection: BaseDatabaseWrapper,
    spec: PartitionedTable,
    *,
    partitioned: bool,
    since: datetime | None = None,
    now: datetime | None = None,
) -> None:
    """Recreate `spec.table` partitioned by its key (or plain again), keeping its rows, columns, defaults,
    constraint and index names, and id sequence: rename the old table, create the new one, copy the rows,
    drop the old one, recreate the constraints and indexes (the primary key gains the key column when
    partitioned), move the sequence past the highest id. Runs inside the migration's transaction."""
    table, key = spec.table, spec.key
    old = f"{table}_unpartitioned"
    with connection.cursor() as cursor:
        referencing = [t for t in _referenced_by(cursor, table) if t != table]
        if referencing:
            raise RuntimeError(
                f"{table} cannot be rebuilt: foreign keys of {', '.join(referencing)} point to it"
            )
        constraints, indexes = _definitions(cursor, table)
        cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
        sequence = cursor.fetchone()[0]
        cursor.execute(f'ALTER TABLE "{table}" RENAME TO "{old}"')
        if sequence:
            cursor.execute(f'ALTER SEQUENCE {sequence} RENAME TO "{table}_id_seq_unpartitioned"')
        for name, _, _ in constraints:
            cursor.execute(f'ALTER TABLE "{old}" RENAME CONSTRAINT "{name}" TO "{name}_unpartitioned"')
        tail = f' PARTITION BY RANGE ("{key}")' if partitioned else ""
        cursor.execute(
            f'CREATE TABLE "{table}" (LIKE "{old}" INCLUDING DEFAULTS INCLUDING IDENTITY '
            f"INCLUDING GENERATED){tail}"
        )
        if partitioned:
            cursor.execute(f'CREATE TABLE "{spec.default_partition}" PARTITION OF "{table}" DEFAULT')
            now = now or datetime.now(UTC)
            for start in spec.starts(
                since or now, spec.start_of(now) + timedelta(days=spec.width_days * spec.ahead)
            ):
                cursor.execute(*_create_sql(spec, start))
        cursor.execute(f'INSERT INTO "{table}" SELECT * FROM "{old}"')  # noqa: S608 - names from TABLES
        cursor.execute(f'DROP TABLE "{old}"')
        for name, kind, definition in constraints:
            if kind == "p":
                columns = f'id, "{key}"' if partitioned else "id"
                definition = f"PRIMARY KEY ({columns})"
            cursor.execute(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}')
        for definition in indexes:
            cursor.execute(
                definition.replace(f" ON public.{old} ", f' ON "{table}" ').replace(
                    f' ON "{old}" ', f' ON "{table}" '
                )
            )
        cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
        new_sequence = cursor.fetchone()[0]
        if new_sequence:
            cursor.execute(
                f'SELECT setval(%s, COALESCE((SELECT MAX(id) FROM "{table}"), 0) + 1, false)',  # noqa: S608
                [new_sequence],
            )
