"""Set-based upserts on natural keys, fast on PostgreSQL and correct everywhere.

PostgreSQL: the rows are COPYed into a temporary table (kept by the session), then one
`INSERT ... SELECT ... ON CONFLICT (key) DO UPDATE ... RETURNING id, key` moves them into place. That is
several times faster than `bulk_create(update_conflicts=True)`, whose UNNEST arrays psycopg quotes
element by element. Other databases (SQLite for the all-in-one mode) use `bulk_create`.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from typing import Any

from django.db import connection, models


def upsert(
    model: type[models.Model],
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    key: Sequence[str],
    update: Sequence[str],
) -> dict[tuple, int]:
    """Insert or update `rows` (tuples in `columns` order, FK columns by attname such as `pod_id`).

    Returns {key values: primary key} for every row. Rows must be unique on `key`.
    """
    if not rows:
        return {}
    assert connection.in_atomic_block, "upsert() runs inside transaction.atomic()"
    if connection.vendor == "postgresql":
        return _upsert_postgresql(model, columns, rows, key=key, update=update)
    return _upsert_generic(model, columns, rows, key=key, update=update)


def _upsert_postgresql(model, columns, rows, *, key, update) -> dict[tuple, int]:
    table = model._meta.db_table
    # One table per target and column list (a session keeps it, and other upserts of the same target may
    # write other columns).
    temp = f"_upsert_{table}_{zlib.crc32(','.join(columns).encode()):08x}"
    cols = ", ".join(f'"{c}"' for c in columns)
    keys = ", ".join(f'"{c}"' for c in key)
    sets = ", ".join(f'"{c}" = EXCLUDED."{c}"' for c in update)
    returning = ", ".join(f'"{c}"' for c in ("id", *key))
    with connection.cursor() as cursor:
        # Same columns and types as the target, none of its constraints. Created once per session and
        # per column list, emptied at each commit (ON COMMIT DELETE ROWS) and before each use: a table
        # created and dropped in every transaction (ON COMMIT DROP) wrote and deleted catalog rows each
        # time, milliseconds per upsert, which small batches (a watcher that has caught up) paid in full.
        # Identifiers come from model metadata and code constants, never from input.
        create = (
            f'CREATE TEMP TABLE "{temp}" ON COMMIT DELETE ROWS AS SELECT {cols} FROM "{table}" WITH NO DATA'  # noqa: E501, S608
        )
        move = f'INSERT INTO "{table}" ({cols}) SELECT {cols} FROM "{temp}" ON CONFLICT ({keys}) DO UPDATE SET {sets} RETURNING {returning}'  # noqa: E501, S608
        _temp_table(cursor, temp, create)
        # Binary COPY: the state bytes travel as they are, not hex-escaped (about 40% faster). The types
        # must be known before the COPY starts: no other query can run on the connection during it.
        types = _column_types(cursor, table, tuple(columns))
        with cursor.cursor.copy(f'COPY "{temp}" ({cols}) FROM STDIN (FORMAT BINARY)') as copy:
            copy.set_types(types)
            for row in rows:
                copy.write_row(row)
        cursor.execute(move)
        return {tuple(found[1:]): found[0] for found in cursor.fetchall()}


_TYPES: dict[tuple[str, tuple[str, ...]], list[int]] = {}


def _temp_table(cursor, temp: str, create: str) -> None:
    """Make the empty temporary table `temp` ready, in one round trip: created by `create` the first time
    in this session, else emptied (an earlier upsert of this transaction may have filled it)."""
    empty = f'DELETE FROM "{temp}"'  # noqa: S608 - code constants
    cursor.execute(
        f"DO $upsert$ BEGIN IF to_regclass('pg_temp.{temp}') IS NULL THEN EXECUTE $create${create}$create$; "
        f"ELSE EXECUTE $empty${empty}$empty$; END IF; END $upsert$"
    )


def _column_types(cursor, table: str, columns: tuple[str, ...]) -> list[int]:
    """The type oids of `columns` of `table`, in order (asked once per process)."""
    key = (table, columns)
    if key not in _TYPES:
        cursor.execute(
            "SELECT attname, atttypid FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0",
            [table],
        )
        by_name = dict(cursor.fetchall())
        _TYPES[key] = [by_name[c] for c in columns]
    return _TYPES[key]


def _upsert_generic(model, columns, rows, *, key, update) -> dict[tuple, int]:
    objs = [model(**dict(zip(columns, row, strict=True))) for row in rows]
    field_names = {f.attname: f.name for f in model._meta.concrete_fields}
    model.objects.bulk_create(
        objs,
        update_conflicts=True,
        unique_fields=[field_names[c] for c in key],
        update_fields=[field_names[c] for c in update],
    )
    if all(obj.pk for obj in objs):
        return {tuple(getattr(obj, c) for c in key): obj.pk for obj in objs}
    # Backends that cannot return ids from an upsert: read them back.
    lookup: dict[tuple, int] = {}
    first = key[0]
    values = {getattr(obj, first) for obj in objs}
    for found in model.objects.filter(**{f"{first}__in": values}).values_list("id", *key):
        lookup[tuple(found[1:])] = found[0]
    return {tuple(getattr(obj, c) for c in key): lookup[tuple(getattr(obj, c) for c in key)] for obj in objs}
