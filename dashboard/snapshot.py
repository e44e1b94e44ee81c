"""Reads as of one snapshot of the database, for a page or a report assembled from several queries."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection, transaction


@contextmanager
def one_snapshot(*, read_only: bool = True) -> Iterator[None]:
    """Run the queries inside as of one snapshot: on PostgreSQL one transaction at REPEATABLE READ (its
    snapshot is taken at its first query; `read_only` also forbids writes in it); a block already inside
    a transaction reads at that transaction's level (the isolation level can only be set before its first
    query)."""
    if connection.in_atomic_block:
        yield
        return
    with transaction.atomic():
        if connection.vendor == "postgresql":
            level = "REPEATABLE READ, READ ONLY" if read_only else "REPEATABLE READ"
            with connection.cursor() as cursor:
                cursor.execute(f"SET TRANSACTION ISOLATION LEVEL {level}")
        yield
