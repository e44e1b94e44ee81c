"""`pods.ingest.prepared.fetch_prepared`: on PostgreSQL the lookup runs as one prepared statement whatever
the length of its list (so a session plans it once), and gives the rows the ORM query gives."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import connection

from pods.history.keys import partition_time
from pods.ingest.prepared import fetch_prepared
from pods.ingest.rows import newer_than_stored, write_events
from pods.models import Cluster, Event
from pods.timeline import EventRecord

pytestmark = pytest.mark.django_db


def _prepared_texts() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [text for (text,) in cursor.fetchall() if "= ANY(" in text]


def test_one_prepared_statement_serves_lists_of_every_length_with_the_orm_s_rows():
    if connection.vendor != "postgresql":
        pytest.skip("prepared statements are PostgreSQL's path")
    cluster = Cluster.objects.create(name="prepared")
    others = Cluster.objects.create(name="other")
    sql = 'SELECT name, watched FROM "pods_cluster" WHERE id = ANY(%s) ORDER BY name'
    for ids in ([cluster.pk], [cluster.pk, others.pk], [others.pk, cluster.pk, 0]):
        orm = Cluster.objects.filter(pk__in=ids).order_by("name").values_list("name", "watched")
        assert fetch_prepared(sql, [ids], lambda orm=orm: orm) == list(orm)
    assert len([t for t in _prepared_texts() if "pods_cluster" in t]) == 1


def _record(uid: str, count: int) -> EventRecord:
    at = datetime(2026, 12, 7, 10, tzinfo=UTC)
    return EventRecord(uid=uid, namespace="ns", name=uid, pod_uid="p", pod_name="p", reason="Pulled",
                       count=count, first_at=at, last_at=at)  # fmt: skip


def test_the_event_copies_found_prepared_are_those_stored():
    cluster = Cluster.objects.create(name="events")
    write_events(cluster, [_record("e-1", 3)])
    found = newer_than_stored(Event, cluster, [_record("e-1", 3), _record("e-1", 4), _record("e-2", 1)])
    key = Event.objects.get(uid="e-1").partition_at
    assert [(r.uid, r.count, at) for r, at in found] == [
        ("e-1", 4, key),
        ("e-2", 1, partition_time(_record("e-2", 1).first_at)),
    ]


def test_without_prepared_statements_the_lookup_runs_unprepared(monkeypatch):
    """DATABASE_PREPARED_STATEMENTS=0 (a pooler that cannot keep them): the same rows, nothing prepared."""
    if connection.vendor != "postgresql":
        pytest.skip("prepared statements are PostgreSQL's path")
    cluster = Cluster.objects.create(name="unprepared")
    connection.ensure_connection()
    monkeypatch.setattr(connection.connection, "prepare_threshold", None)
    rows = fetch_prepared('SELECT name FROM "pods_cluster" WHERE id = ANY(%s)', [[cluster.pk]], lambda: [])
    assert rows == [("unprepared",)]
    assert not [t for t in _prepared_texts() if "pods_cluster" in t]
