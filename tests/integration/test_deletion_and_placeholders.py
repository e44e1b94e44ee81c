"""Issue 10, defects 2–5 through the database: ingest and relist, the Pod page, the API and the CLI.

A Pod gone at a relist is deleted no earlier than the watcher last received it, and says the time is not
exact; the deletion request is not the deadline; a StartError's epoch start never stretches a page; and a
container first seen at restartCount 149 keeps all 150 attempts, its placeholders one row."""

from __future__ import annotations

import io
import itertools
from datetime import timedelta

import orjson
import pytest
from django.core.management import call_command
from django.db.models import Sum

from pods import selectors
from pods.ingest import WatchItem, cluster_get_or_create, ingest_batch, pods_mark_vanished
from pods.models import Attempt, Pod
from tests.builders import (
    UID,
    at,
    db_done,
    migrate_crash_looping,
    pending_conditions,
    pod,
    running,
    running_pod,
    start_error_pod,
    terminated,
    ts,
)

pytestmark = pytest.mark.django_db
_clusters = itertools.count()
DB = db_done()


def _cluster():
    return cluster_get_or_create(name=f"fidelity-{next(_clusters)}")


def _cli(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_a_pod_gone_at_a_relist_is_deleted_after_it_was_last_seen(logged_in_client):
    cluster = _cluster()
    # Watched at 10:00:30; a relist at 10:10:00 (the Pod unchanged, same RV) saw it alive again.
    ingest_batch(cluster=cluster, items=[WatchItem("pod", running_pod(5), "ADDED", observed_at=at(30))])
    ingest_batch(cluster=cluster, items=[WatchItem("pod", running_pod(5), "", observed_at=at(600))])
    assert Pod.objects.get(cluster=cluster, uid=UID).observed_at == at(600)
    # A late, older item never moves it back.
    ingest_batch(cluster=cluster, items=[WatchItem("pod", running_pod(5), "", observed_at=at(500))])
    assert Pod.objects.get(cluster=cluster, uid=UID).observed_at == at(600)

    assert pods_mark_vanished(cluster=cluster, listed_uids=set(), at=at(1200)) == {UID}
    stored = Pod.objects.get(cluster=cluster, uid=UID)
    assert stored.deleted_at == at(600), "not its newest activity (10:00:20), before it was last seen"

    document = logged_in_client.get(f"/api/v1/pods/{UID}", {"cluster": cluster.name}).json()
    assert document["deleted_at"] == ts(600)
    assert document["deleted_at_exact"] is False
    assert document["deleted_between"] == [ts(600), ts(1200)]

    page = logged_in_client.get(f"/pods/{UID}/", {"cluster": cluster.name}).content.decode()
    assert "The deletion was not seen" in page and "the exact time is unknown" in page

    text = _cli("pods", "show", "--uid", UID, "--cluster", cluster.name)
    assert f"deleted between {ts(600)} and {ts(1200)}" in text


def test_deleting_since_is_the_request_and_a_deleted_pod_is_exact(logged_in_client):
    cluster = _cluster()
    requested = pod(
        rv=2,
        deletion=60,
        grace=300,
        conditions=pending_conditions(),
        init_statuses=[DB, running("migrate", 11)],
    )
    ingest_batch(cluster=cluster, items=[WatchItem("pod", requested, "MODIFIED", observed_at=at(61))])
    stored = Pod.objects.get(cluster=cluster, uid=UID)
    assert stored.step == "deleting" and stored.step_since == at(60)  # not the deadline 10:06:00
    document = logged_in_client.get(f"/api/v1/pods/{UID}", {"cluster": cluster.name}).json()
    assert document["deletion_requested_at"] == ts(60) and document["deletion_deadline_at"] == ts(360)
    page = logged_in_client.get(f"/pods/{UID}/", {"cluster": cluster.name}).content.decode()
    assert "Deletion requested" in page and "grace period until" in page

    killed = pod(
        rv=3,
        deletion=60,
        grace=0,
        phase="Failed",
        conditions=pending_conditions(),
        init_statuses=[DB, terminated("migrate", 143, 11, 62)],
    )
    ingest_batch(cluster=cluster, items=[WatchItem("pod", killed, "DELETED", observed_at=at(63))])
    document = logged_in_client.get(f"/api/v1/pods/{UID}", {"cluster": cluster.name}).json()
    assert document["deleted_at"] == ts(62) and document["deleted_at_exact"] is True
    assert document["deleted_between"] is None


def test_a_start_error_at_the_epoch_keeps_its_value_but_never_stretches_the_timeline(logged_in_client):
    cluster = _cluster()
    obj = start_error_pod(3, 1, 20)
    ingest_batch(cluster=cluster, items=[WatchItem("pod", obj, "ADDED", observed_at=at(25))])
    row = Attempt.objects.get(pod__cluster=cluster, container__name="migrate", number=1)
    assert row.started_at.year == 1970, "stored as the API gave it"
    document = logged_in_client.get(f"/api/v1/pods/{UID}", {"cluster": cluster.name}).json()
    shown = document["containers"][1]["attempts"][-1]
    assert shown["started_at"] == "1970-01-01T00:00:00Z" and shown["start_known"] is False
    assert shown["seconds"] is None
    text = _cli("pods", "show", "--uid", UID, "--cluster", cluster.name)
    assert "20787d" not in text and "start unknown" in text
    stored = selectors.pod_document(Pod.objects.get(cluster=cluster, uid=UID))
    assert stored["containers"][1]["attempts"][-1]["start_known"] is False
    page = logged_in_client.get(f"/pods/{UID}/", {"cluster": cluster.name}).content.decode()
    assert 'title="the runtime reported no start time (StartError)">unknown' in page
    assert "1970-01-01" not in page


def test_a_container_first_seen_at_restart_count_149_keeps_150_attempts(logged_in_client):
    cluster = _cluster()
    ingest_batch(cluster=cluster, items=[WatchItem("pod", migrate_crash_looping(9, 149, 900), "ADDED")])
    rows = Attempt.objects.filter(pod__cluster=cluster, container__name="migrate").order_by("number")
    assert list(rows.values_list("number", "count", "known")) == [(0, 149, False), (149, 1, True)]
    assert rows.aggregate(n=Sum("count"))["n"] == 150
    # The next restart adds one known attempt; the run's row is not rewritten.
    ingest_batch(cluster=cluster, items=[WatchItem("pod", migrate_crash_looping(10, 150, 1200), "MODIFIED")])
    assert list(rows.values_list("number", "count", "known")) == [
        (0, 149, False),
        (149, 1, True),
        (150, 1, True),
    ]

    document = logged_in_client.get(f"/api/v1/pods/{UID}", {"cluster": cluster.name}).json()
    assert "151 attempts" in document["diagnosis"]["summary"]
    assert sum(a["count"] for a in document["containers"][1]["attempts"]) == 151
    page = logged_in_client.get(f"/pods/{UID}/", {"cluster": cluster.name}).content.decode()
    assert "151 attempts" in page and "×149 unknown" in page and "0–148" in page
    text = _cli("pods", "show", "--uid", UID, "--cluster", cluster.name)
    assert "migrate #0–#148: 149 attempts happened, details unknown" in text
    shown = orjson.loads(_cli("pods", "show", "--uid", UID, "--cluster", cluster.name, "--json"))
    assert shown["containers"][1]["attempts"][0]["count"] == 149


def test_observed_at_is_not_written_for_recordings():
    cluster = _cluster()
    ingest_batch(cluster=cluster, items=[WatchItem("pod", running_pod(5), "ADDED")])
    assert Pod.objects.get(cluster=cluster, uid=UID).observed_at is None
    assert pods_mark_vanished(cluster=cluster, listed_uids=set(), at=at(50) + timedelta(hours=1)) == {UID}
    assert Pod.objects.get(cluster=cluster, uid=UID).deleted_at == at(20)  # its newest activity
