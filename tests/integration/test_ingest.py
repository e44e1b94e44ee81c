"""Ingest against PostgreSQL: idempotent batches, no duplicate attempts, malformed input rejected with a
reason while the rest of the batch lands, relist reconciliation, resolved owners and captured logs."""

from __future__ import annotations

import copy
import itertools
from datetime import UTC, datetime

import pytest
from django.db.models import Count
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pods import selectors
from pods.ingest import (
    WatchItem,
    attempt_set_log_tail,
    cluster_get_or_create,
    ingest_batch,
    pods_mark_vanished,
)
from pods.models import Attempt, Container, Event, Pod
from pods.timeline import Owner
from tests.builders import UID, crash_looping_pod, event, pending_conditions, pod, running
from tests.strategies import json_any, pod_objects

pytestmark = pytest.mark.django_db
_clusters = itertools.count()


def _fresh_cluster():
    return cluster_get_or_create(name=f"prop-{next(_clusters)}")


def _rows(cluster) -> dict:
    return {
        "pods": sorted(Pod.objects.filter(cluster=cluster).values_list("uid", "status", "restarts", "step")),
        "containers": sorted(
            Container.objects.filter(pod__cluster=cluster).values_list("name", "restart_count", "state")
        ),
        "attempts": sorted(
            Attempt.objects.filter(pod__cluster=cluster).values_list(
                "container__name", "generation", "number", "known", "exit_code", "started_at", "finished_at"
            )
        ),
        "events": sorted(Event.objects.filter(cluster=cluster).values_list("uid", "count")),
    }


def _no_duplicate_attempts(cluster) -> bool:
    dupes = (
        Attempt.objects.filter(pod__cluster=cluster)
        .values("container_id", "generation", "number")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
    )
    return not dupes.exists()


PROPERTY_SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@PROPERTY_SETTINGS
@given(objects=pod_objects())
def test_any_sequence_of_pod_objects_ingests_idempotently_without_duplicate_attempts(objects):
    cluster = _fresh_cluster()
    items = [
        WatchItem(kind="pod", type="DELETED" if deleted else "MODIFIED", object=o) for o, deleted in objects
    ]
    ingest_batch(cluster=cluster, items=items)
    first = _rows(cluster)
    assert _no_duplicate_attempts(cluster)
    ingest_batch(cluster=cluster, items=items)
    for item in items:  # one object per batch: the same facts, whatever the batching
        ingest_batch(cluster=cluster, items=[item])
    assert _rows(cluster) == first


@PROPERTY_SETTINGS
@given(garbage=st.lists(json_any, max_size=6), objects=pod_objects())
def test_malformed_objects_are_rejected_with_a_reason_and_the_rest_lands(garbage, objects):
    cluster = _fresh_cluster()
    items = [WatchItem(kind="pod", object=g, position=f"garbage {i}") for i, g in enumerate(garbage)]
    items += [WatchItem(kind="event", object=g, position=f"bad event {i}") for i, g in enumerate(garbage)]
    items += [WatchItem(kind="pod", type="MODIFIED", object=o, position="good") for o, _ in objects]
    result = ingest_batch(cluster=cluster, items=items)
    assert all(position != "good" for position, _ in result.rejected)
    assert all(reason for _, reason in result.rejected)
    assert Pod.objects.filter(cluster=cluster, uid=UID).exists()


def test_a_relist_that_no_longer_shows_a_pod_closes_its_timeline():
    cluster = _fresh_cluster()
    ingest_batch(
        cluster=cluster, items=[WatchItem(kind="pod", type="ADDED", object=crash_looping_pod(10, 1))]
    )
    at = datetime(2030, 1, 1, tzinfo=UTC)
    assert pods_mark_vanished(cluster=cluster, listed_uids={UID}, at=at) == set()
    assert pods_mark_vanished(cluster=cluster, listed_uids=set(), at=at) == {UID}
    stored = Pod.objects.get(cluster=cluster, uid=UID)
    assert stored.deleted_at is not None and stored.deleted_at <= at
    assert (
        not Pod.objects.filter(selectors.stuck_q(now=at, threshold=selectors.stuck_threshold()))
        .filter(pk=stored.pk)
        .exists()
    )
    assert pods_mark_vanished(cluster=cluster, listed_uids=set(), at=at) == set(), "already closed"


def test_an_owner_resolved_by_the_watcher_wins_over_the_guess():
    cluster = _fresh_cluster()
    obj = crash_looping_pod(10, 1)
    ingest_batch(
        cluster=cluster, items=[WatchItem(kind="pod", object=obj, owner=Owner("CronJob", "nightly"))]
    )
    stored = Pod.objects.get(cluster=cluster, uid=UID)
    assert (stored.owner_kind, stored.owner_name) == ("CronJob", "nightly")
    newer = copy.deepcopy(obj)
    newer["metadata"]["resourceVersion"] = "11"
    newer["status"]["phase"] = "Pending"
    ingest_batch(cluster=cluster, items=[WatchItem(kind="pod", object=newer)])
    assert Pod.objects.get(cluster=cluster, uid=UID).owner_kind == "CronJob"


def test_a_captured_log_tail_is_kept_with_its_attempt_in_rows_and_document():
    cluster = _fresh_cluster()
    ingest_batch(cluster=cluster, items=[WatchItem(kind="pod", object=crash_looping_pod(10, 1))])
    attempt = Attempt.objects.get(pod__cluster=cluster, container__name="migrate", number=1)
    text = 'ERROR: relation "orders" does not exist\n<script>alert(1)</script>'
    assert attempt_set_log_tail(
        cluster=cluster, uid=UID, container="migrate", generation=attempt.generation, number=1, text=text
    )
    assert Attempt.objects.get(pk=attempt.pk).log_tail == text
    document = selectors.pod_document(Pod.objects.get(cluster=cluster, uid=UID))
    migrate = next(c for c in document["containers"] if c["name"] == "migrate")
    assert next(a for a in migrate["attempts"] if a["number"] == 1)["log_tail"] == text
    assert not attempt_set_log_tail(
        cluster=cluster, uid=UID, container="migrate", generation=0, number=1, text=text
    )
    assert not attempt_set_log_tail(
        cluster=cluster, uid="nope", container="migrate", generation=0, number=1, text=text
    )


def test_events_before_their_pod_and_replayed_events_never_regress():
    cluster = _fresh_cluster()
    backoff = event(
        "BackOff", "Back-off restarting failed container migrate", when=20, container="migrate", count=3,
        uid="ev-1", last_when=60, etype="Warning",
    )  # fmt: skip
    older = event(
        "BackOff", "Back-off restarting failed container migrate", when=20, container="migrate", count=1,
        uid="ev-1", etype="Warning",
    )  # fmt: skip
    ingest_batch(cluster=cluster, items=[WatchItem(kind="event", object=backoff)])
    ingest_batch(cluster=cluster, items=[WatchItem(kind="event", object=older)])
    assert Event.objects.get(cluster=cluster).count == 3
    ingest_batch(cluster=cluster, items=[WatchItem(kind="pod", object=crash_looping_pod(10, 1))])
    stored = Pod.objects.get(cluster=cluster, uid=UID)
    assert stored.seen and stored.name
    assert selectors.pod_document(stored)["events"][0]["count"] == 3


def test_a_running_attempt_is_updated_in_place_when_it_ends():
    cluster = _fresh_cluster()
    first = pod(rv=5, conditions=pending_conditions(), init_statuses=[running("migrate", 10)])
    ingest_batch(cluster=cluster, items=[WatchItem(kind="pod", object=first)])
    assert Attempt.objects.get(pod__cluster=cluster).finished_at is None
    later = crash_looping_pod(6, 1)
    ingest_batch(cluster=cluster, items=[WatchItem(kind="pod", object=later)])
    assert Attempt.objects.filter(pod__cluster=cluster, container__name="migrate").count() >= 1
    assert _no_duplicate_attempts(cluster)
