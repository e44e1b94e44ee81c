"""History that lasts (pods.history): time partitions on PostgreSQL, retention everywhere.

The retention tests run on any database (SQLite: the demo's plain tables, pruned in batches); those about
partitions only on PostgreSQL. Times are set relative to the wall clock: retention is measured from it.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command
from django.db import connection

from pods.history import partitions
from pods.history.keys import UNKNOWN_TIME, partition_time
from pods.history.retention import Retention, maintain
from pods.ingest import WatchItem, attempt_set_log_tail, ingest_batch
from pods.models import (
    Attempt,
    Cluster,
    Container,
    Event,
    ImagePull,
    InitContainerRollup,
    Pod,
    RelatedEvent,
)
from tests.builders import ago, crash_loop_sequence, event, rebased

RETENTION = Retention(events_days=14, attempts_days=90, rollups_days=400)
postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="partitions are PostgreSQL's (SQLite keeps plain tables)"
)
_names = itertools.count()


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _cluster(*, watched: bool = True, observed_until: datetime | None = None) -> Cluster:
    return Cluster.objects.create(
        name=f"history-{next(_names)}", watched=watched, observed_until=observed_until
    )


def _pod(cluster, uid, *, created, deleted=None, terminal=False, step_since=None) -> Pod:
    pod = Pod.objects.create(
        cluster=cluster, uid=uid, name=uid, seen=True, created_at=created, deleted_at=deleted,
        terminal=terminal, step_since=step_since, updated_at=_now(),
    )  # fmt: skip
    container = Container.objects.create(pod=pod, name="migrate", kind="init", index=0)
    ImagePull.objects.create(container=container, pull_seconds=1.0)
    for n in range(2):
        Attempt.objects.create(
            pod=pod, container=container, number=n, pod_created_at=created or UNKNOWN_TIME,
            started_at=created, finished_at=created,
        )  # fmt: skip
    return pod


def _event(cluster, uid, first_at, *, model=Event, **fields):
    common = dict(
        cluster=cluster, uid=uid, first_at=first_at, last_at=first_at, partition_at=partition_time(first_at)
    )
    if model is Event:
        return Event.objects.create(**common, pod_uid="p", **fields)
    return RelatedEvent.objects.create(**common, involved_kind="Node", involved_name="n1", **fields)


def _partition_of(model, pk) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT tableoid::regclass::text FROM {model._meta.db_table} WHERE id = %s", [pk])
        return cursor.fetchone()[0]


def _ensure(spec, days_back: int) -> None:
    partitions.ensure_partitions(connection, spec, _now() - timedelta(days=days_back), _now())


# --- Partitions -------------------------------------------------------------------------------------------


@postgresql
@pytest.mark.django_db
def test_the_history_tables_are_partitioned_by_time_with_a_default_partition():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT partrelid::regclass::text, a.attname FROM pg_partitioned_table t "
            "JOIN pg_attribute a ON a.attrelid = t.partrelid AND a.attnum = t.partattrs[0] "
            "WHERE t.partstrat = 'r'"
        )
        keys = dict(cursor.fetchall())
    assert keys == {
        "pods_attempt": "pod_created_at",
        "pods_event": "partition_at",
        "pods_relatedevent": "partition_at",
    }
    for spec in partitions.TABLES:
        found = partitions.partitions(connection, spec.table)
        assert found[-1].name == spec.default_partition and found[-1].start is None
        current = spec.start_of(_now())
        assert current in {p.start for p in found}, "the current range exists"
        ahead = current + timedelta(days=spec.width_days * spec.ahead)
        assert ahead in {p.start for p in found}, "ranges ahead exist"


@postgresql
@pytest.mark.django_db
def test_the_default_partition_catches_rows_outside_the_ranges_and_ranges_hold_theirs():
    cluster = _cluster()
    inside = _event(cluster, "inside", _now() - timedelta(hours=1))
    outside = _event(cluster, "outside", datetime(1999, 1, 1, tzinfo=UTC))
    unknown = _event(cluster, "unknown", None)
    assert _partition_of(Event, inside.pk) == partitions.EVENTS.name_of(
        partitions.EVENTS.start_of(inside.first_at)
    )
    assert _partition_of(Event, outside.pk) == "pods_event_default"
    assert _partition_of(Event, unknown.pk) == "pods_event_default"
    assert Event.objects.get(pk=outside.pk).uid == "outside", "lookups by id alone still work"


@postgresql
@pytest.mark.django_db
def test_a_partition_missing_ahead_is_created_by_maintenance():
    spec = partitions.EVENTS
    tomorrow = spec.start_of(_now()) + timedelta(days=1)
    assert partitions.detach_and_drop(connection, spec, spec.name_of(tomorrow))
    assert tomorrow not in {p.start for p in partitions.partitions(connection, spec.table)}
    assert any(s.target == spec.name_of(tomorrow) for s in maintain(dry_run=True, retention=RETENTION).steps)
    assert tomorrow not in {p.start for p in partitions.partitions(connection, spec.table)}, "dry run"
    steps = maintain(retention=RETENTION).steps
    assert ("create partition", spec.name_of(tomorrow)) in {(s.action, s.target) for s in steps}
    assert tomorrow in {p.start for p in partitions.partitions(connection, spec.table)}


@postgresql
@pytest.mark.django_db(transaction=True)
def test_the_migration_converts_a_database_with_data_and_upserts_stay_idempotent():
    from django.db.migrations.executor import MigrationExecutor

    before = [("pods", "0006_rollups")]
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes()
    executor.migrate(before)
    assert not partitions.is_partitioned(connection, "pods_attempt"), "0007 reversed: plain tables again"
    old = executor.loader.project_state(before).apps
    now = _now()
    cluster = old.get_model("pods", "Cluster").objects.create(name="before-0007")
    ids = {"attempts": [], "events": []}
    for i, created in enumerate([now - timedelta(days=2), None, datetime(2001, 1, 1, tzinfo=UTC)]):
        pod = old.get_model("pods", "Pod").objects.create(
            cluster=cluster, uid=f"u{i}", created_at=created, updated_at=now
        )
        container = old.get_model("pods", "Container").objects.create(pod=pod, name="m", kind="init", index=0)
        for n in range(3):
            ids["attempts"].append(
                old.get_model("pods", "Attempt").objects.create(pod=pod, container=container, number=n).pk
            )
    for i, first in enumerate([now - timedelta(hours=3), None]):
        ids["events"].append(
            old.get_model("pods", "Event")
            .objects.create(cluster=cluster, uid=f"e{i}", pod_uid="u0", first_at=first, last_at=first)
            .pk
        )
    old.get_model("pods", "RelatedEvent").objects.create(
        cluster=cluster, uid="r0", involved_kind="Node", first_at=now, last_at=now
    )

    executor = MigrationExecutor(connection)
    executor.migrate(latest)

    for spec in partitions.TABLES:
        assert partitions.is_partitioned(connection, spec.table)
        assert len(partitions.partitions(connection, spec.table)) > spec.ahead + 1
    assert sorted(Attempt.objects.values_list("pk", flat=True)) == sorted(ids["attempts"])
    assert sorted(Event.objects.values_list("pk", flat=True)) == sorted(ids["events"])
    assert RelatedEvent.objects.count() == 1
    keys = {
        uid: set(Attempt.objects.filter(pod__uid=uid).values_list("pod_created_at", flat=True))
        for uid in ("u0", "u1", "u2")
    }
    assert keys == {
        "u0": {now - timedelta(days=2)},
        "u1": {UNKNOWN_TIME},
        "u2": {datetime(2001, 1, 1, tzinfo=UTC)},
    }
    assert _partition_of(Attempt, Attempt.objects.filter(pod__uid="u0").first().pk) != "pods_attempt_default"
    assert _partition_of(Attempt, Attempt.objects.filter(pod__uid="u2").first().pk) == "pods_attempt_default"
    assert Event.objects.get(uid="e0").partition_at == now - timedelta(hours=3)
    assert Event.objects.get(uid="e1").partition_at == UNKNOWN_TIME
    # Ids go on from the highest converted one.
    fresh = Cluster.objects.get(name="before-0007")
    pod = Pod.objects.get(uid="u0")
    added = Attempt.objects.create(
        pod=pod, container=pod.containers.get(), number=9, pod_created_at=pod.created_at
    )
    assert added.pk > max(ids["attempts"])

    cluster = _cluster()
    items = _crash_loop_items(ago(3600))
    ingest_batch(cluster=cluster, items=items)
    first = _counts(cluster)
    ingest_batch(cluster=cluster, items=items)
    assert _counts(cluster) == first and first[0] == first[2] and first[1] == 5
    assert fresh.pods.count() == 3


# --- Upserts keyed by the partition key ------------------------------------------------------------------


def _crash_loop_items(base: datetime) -> list[WatchItem]:
    items = [WatchItem(kind="pod", object=o) for o in rebased(crash_loop_sequence(), base)]
    for n, reason in enumerate(["Scheduled", "Pulling", "Pulled", "Created", "Started"]):
        raw = event(reason, f"{reason} of migrate", when=n, container="migrate", uid=f"ev-{n}")
        items.append(WatchItem(kind="event", object=rebased(raw, base)))
    return items


def _counts(cluster) -> tuple[int, int, int]:
    return (
        Attempt.objects.filter(pod__cluster=cluster).count(),
        Event.objects.filter(cluster=cluster).count(),
        Attempt.objects.filter(pod__cluster=cluster)
        .values("container", "generation", "number")
        .distinct()
        .count(),
    )


@pytest.mark.django_db
def test_ingesting_the_same_watch_events_twice_writes_no_duplicate_attempts_or_events():
    cluster = _cluster()
    items = _crash_loop_items(ago(3600))
    ingest_batch(cluster=cluster, items=items)
    first = _counts(cluster)
    assert first[0] >= 4 and first[1] == 5 and first[0] == first[2]
    ingest_batch(cluster=cluster, items=items)
    for item in items:
        ingest_batch(cluster=cluster, items=[item])
    assert _counts(cluster) == first
    pod = Pod.objects.get(cluster=cluster)
    assert set(Attempt.objects.filter(pod=pod).values_list("pod_created_at", flat=True)) == {pod.created_at}
    assert all(e.partition_at == e.first_at for e in Event.objects.filter(cluster=cluster))


@pytest.mark.django_db
def test_attempts_stored_before_their_pods_creation_was_known_move_to_it():
    cluster = _cluster()
    objects = rebased(crash_loop_sequence(), ago(3600))
    anonymous = [
        {**o, "metadata": {k: v for k, v in o["metadata"].items() if k != "creationTimestamp"}}
        for o in objects
    ]
    ingest_batch(cluster=cluster, items=[WatchItem(kind="pod", object=o) for o in anonymous[:3]])
    assert set(Attempt.objects.filter(pod__cluster=cluster).values_list("pod_created_at", flat=True)) == {
        UNKNOWN_TIME
    }
    ingest_batch(cluster=cluster, items=[WatchItem(kind="pod", object=o) for o in objects])
    created = Pod.objects.get(cluster=cluster).created_at
    assert created is not None
    rows = Attempt.objects.filter(pod__cluster=cluster)
    assert set(rows.values_list("pod_created_at", flat=True)) == {created}
    assert rows.count() == rows.values("container", "generation", "number").distinct().count()


@pytest.mark.django_db
def test_an_event_keeps_the_partition_key_it_was_first_stored_with():
    cluster = _cluster()
    base = ago(600)
    first = rebased(event("BackOff", "back-off", when=10, uid="ev-b", count=1), base)
    first.pop("firstTimestamp", None)
    first.pop("lastTimestamp", None)
    first["metadata"].pop("creationTimestamp", None)
    ingest_batch(cluster=cluster, items=[WatchItem(kind="event", object=first)])
    stored = Event.objects.get(cluster=cluster, uid="ev-b")
    assert stored.first_at is None and stored.partition_at == UNKNOWN_TIME
    later = rebased(event("BackOff", "back-off", when=10, uid="ev-b", count=3), base)
    ingest_batch(cluster=cluster, items=[WatchItem(kind="event", object=later)])
    rows = Event.objects.filter(cluster=cluster, uid="ev-b")
    assert rows.count() == 1 and rows.get().count == 3
    assert rows.get().partition_at == stored.partition_at


# --- Retention --------------------------------------------------------------------------------------------


def _build_retention_case():
    now = _now()
    cluster = _cluster()
    case = {"cluster": cluster}
    case["event_out"] = _event(cluster, "out", now - timedelta(days=15))
    case["event_in"] = _event(cluster, "in", now - timedelta(days=13))
    case["related_out"] = _event(cluster, "r-out", now - timedelta(days=15), model=RelatedEvent)
    case["related_in"] = _event(cluster, "r-in", now - timedelta(days=13), model=RelatedEvent)
    case["gone_out"] = _pod(
        cluster, "gone-out", created=now - timedelta(days=120), deleted=now - timedelta(days=91)
    )
    case["gone_in"] = _pod(
        cluster, "gone-in", created=now - timedelta(days=120), deleted=now - timedelta(days=89)
    )
    case["finished_out"] = _pod(
        cluster,
        "done-out",
        created=now - timedelta(days=95),
        terminal=True,
        step_since=now - timedelta(days=92),
    )
    case["alive_old"] = _pod(cluster, "alive", created=now - timedelta(days=200))
    case["unknown_creation"] = _pod(cluster, "no-creation", created=None, deleted=now - timedelta(days=91))
    tail_out, tail_in = Attempt.objects.filter(pod=case["gone_in"]).order_by("number")
    tail_out.finished_at = now - timedelta(days=15)
    tail_in.finished_at = now - timedelta(days=13)
    for a in (tail_out, tail_in):
        a.log_tail = "ERROR: boom"
        a.save()
    case["tail_out"], case["tail_in"] = tail_out, tail_in
    case["rollup_out"] = InitContainerRollup.objects.create(
        cluster=cluster, hour=now - timedelta(days=401), container="m", kind="init"
    )
    case["rollup_in"] = InitContainerRollup.objects.create(
        cluster=cluster, hour=now - timedelta(days=399), container="m", kind="init"
    )
    # A recording that ended 300 days ago: judged by its own clock, nothing of it is past retention.
    recording = _cluster(watched=False, observed_until=now - timedelta(days=300))
    case["recording_event"] = _event(recording, "rec", now - timedelta(days=301))
    case["recording_pod"] = _pod(
        recording, "rec-pod", created=now - timedelta(days=302), deleted=now - timedelta(days=301)
    )
    return case


def _exists(obj) -> bool:
    return type(obj).objects.filter(pk=obj.pk).exists()


def _assert_pruned_exactly(case) -> None:
    gone = ["event_out", "related_out", "gone_out", "finished_out", "unknown_creation", "rollup_out"]
    kept = ["event_in", "related_in", "gone_in", "alive_old", "rollup_in", "recording_event", "recording_pod"]
    assert [name for name in gone if _exists(case[name])] == []
    assert [name for name in kept if not _exists(case[name])] == []
    for name in ("gone_out", "finished_out", "unknown_creation"):
        assert not Attempt.objects.filter(pod_id=case[name].pk).exists()
        assert not Container.objects.filter(pod_id=case[name].pk).exists()
        assert not ImagePull.objects.filter(container__pod_id=case[name].pk).exists()
    for name in ("gone_in", "alive_old", "recording_pod"):
        assert Attempt.objects.filter(pod_id=case[name].pk).count() == 2, f"{name} keeps its attempts"
    assert Attempt.objects.get(pk=case["tail_out"].pk).log_tail == ""
    assert Attempt.objects.get(pk=case["tail_in"].pk).log_tail == "ERROR: boom"


@pytest.mark.django_db
def test_retention_prunes_exactly_what_is_past_it_and_again_nothing():
    case = _build_retention_case()
    planned = maintain(dry_run=True, retention=RETENTION)
    assert {"pods_pod", "pods_attempt", "pods_initcontainerrollup"} <= {s.target for s in planned.steps}
    assert _exists(case["event_out"]) and _exists(case["gone_out"]), "a dry run changes nothing"
    maintain(retention=RETENTION)
    _assert_pruned_exactly(case)
    again = maintain(retention=RETENTION)
    assert [s for s in again.steps if s.action != "create partition"] == []
    _assert_pruned_exactly(case)


@postgresql
@pytest.mark.django_db
def test_retention_drops_whole_partitions_past_it_unless_a_kept_row_is_in_them():
    _ensure(partitions.EVENTS, 20)
    _ensure(partitions.RELATED_EVENTS, 20)
    _ensure(partitions.ATTEMPTS, 210)
    case = _build_retention_case()
    event_out = _partition_of(Event, case["event_out"].pk)
    assert event_out != "pods_event_default"
    gone_out = _partition_of(Attempt, Attempt.objects.filter(pod=case["gone_out"]).first().pk)
    finished_out = _partition_of(Attempt, Attempt.objects.filter(pod=case["finished_out"]).first().pk)
    alive = _partition_of(Attempt, Attempt.objects.filter(pod=case["alive_old"]).first().pk)
    gone_in = _partition_of(Attempt, Attempt.objects.filter(pod=case["gone_in"]).first().pk)
    assert gone_out == gone_in, "both created 120 days ago"
    with connection.cursor() as cursor:  # the rows' deferred FK checks, as if committed long ago
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    steps = maintain(retention=RETENTION).steps
    dropped = {s.target for s in steps if s.action == "drop partition"}
    assert event_out in dropped and finished_out in dropped
    assert alive not in dropped, "a Pod that still exists keeps its partition"
    assert gone_in not in dropped, "a Pod gone 89 days ago keeps its partition (and its neighbour its rows)"
    names = {p.name for spec in partitions.TABLES for p in partitions.partitions(connection, spec.table)}
    assert not dropped & names
    _assert_pruned_exactly(case)


@pytest.mark.django_db
def test_a_captured_log_tail_past_retention_leaves_the_timeline_and_its_document():
    from pods import selectors

    cluster = _cluster()
    ingest_batch(cluster=cluster, items=_crash_loop_items(ago(20 * 86400)))
    pod = Pod.objects.get(cluster=cluster)
    failed = Attempt.objects.filter(pod=pod, exit_code=1).order_by("number").first()
    assert attempt_set_log_tail(
        cluster=cluster, uid=pod.uid, container="migrate", generation=failed.generation, number=failed.number,
        text="ERROR: boom",
    )  # fmt: skip
    maintain(retention=RETENTION)
    assert Attempt.objects.get(pk=failed.pk).log_tail == ""
    document = selectors.pod_document(Pod.objects.get(pk=pod.pk))
    assert all(not a["log_tail"] for c in document["containers"] for a in c["attempts"])


@pytest.mark.django_db
def test_prune_command_prints_what_it_would_do_and_does_it(capsys):
    case = _build_retention_case()
    call_command("prune", "--dry-run")
    out = capsys.readouterr().out
    assert "dry run" in out and "would delete pods_event" in out
    assert _exists(case["event_out"])
    call_command("prune")
    out = capsys.readouterr().out
    assert "would" not in out and "pods_event" in out
    assert not _exists(case["event_out"])
