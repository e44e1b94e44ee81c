"""Lookups of ingest on the partitioned history tables, run as prepared statements on PostgreSQL.

A query on `pods_event`, `pods_relatedevent` or `pods_attempt` is planned over every partition (20 and
more): planning one took ~5 ms, ten times what running it took, and ingest asks a few of them per batch
(batches are small when the watcher has caught up). Django binds parameters on the client, so every such
query was planned again. Here the query is bound on the server and prepared (psycopg prepares it on its
first run: `prepare=True`), and a list goes as one array parameter (`= ANY(%s)`), so the statement is the
same whatever the list's length: each session plans it once (DATABASE_PREPARED_STATEMENTS=0 turns the
preparing off, for poolers that cannot keep prepared statements). Other databases (SQLite, the all-in-one
mode) run the ORM query the caller gives instead.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import psycopg
from django.db import connection


def fetch_prepared(sql: str, params: Sequence[Any], orm: Callable[[], Iterable[tuple]]) -> list[tuple]:
    """The rows of `sql` (`%s` placeholders, PostgreSQL), run prepared on Django's connection within its
    transaction; elsewhere the rows `orm()` gives (the same columns, in the same order)."""
    if connection.vendor != "postgresql":
        return list(orm())
    connection.ensure_connection()
    raw = connection.connection
    with psycopg.Cursor(raw) as cursor:
        # Unprepared (planned each time) where DATABASE_PREPARED_STATEMENTS=0 left the threshold unset.
        cursor.execute(sql, params, prepare=raw.prepare_threshold is not None)
        return cursor.fetchall()
