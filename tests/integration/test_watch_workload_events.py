"""The Event watch against kubesim sees Events about every kind (ReplicaSets, Deployments, StatefulSets,
Jobs, Nodes, PersistentVolumeClaims), not only Pods, and hands each on to ingest as a WatchItem with the
workload it belongs to resolved through the API (a ReplicaSet's Events are its Deployment's)."""

from __future__ import annotations

import pytest

from pods import watch
from pods.ingest import IngestPipeline, IngestResult, ingest_batch
from pods.watch import batch
from tests.services import settings_for_cluster

pytestmark = [pytest.mark.integration]


@pytest.fixture
def handed_on(monkeypatch) -> list:
    """Every WatchItem the watcher hands to ingest (then ingested for real)."""
    captured: list = []

    def capture(*, cluster, items, kept=None) -> IngestResult:
        captured.extend(items)
        return ingest_batch(cluster=cluster, items=items, kept=kept)

    monkeypatch.setattr(batch, "ingest_batch", capture)  # a list's pages
    submit = IngestPipeline.submit

    def capture_watched(self, items, token=None, now=None) -> list:  # a window's batches
        captured.extend(items)
        return submit(self, items, token, now)

    monkeypatch.setattr(IngestPipeline, "submit", capture_watched)
    return captured


def involved(item) -> tuple[str, str]:
    ref = item.object.get("involvedObject") or item.object.get("regarding") or {}
    return ref.get("kind", ""), ref.get("name", "")


def watch_scenario(sim, seconds: int) -> watch.ClusterWatch:
    with settings_for_cluster(sim, REDIS_URL=""):
        w = watch.cluster_watch(sim.name)
        watch.watch_window(w, seconds=1)  # lists, then watches
        sim.drive(seconds)
        watch.watch_window(w, seconds=1.5)
    return w


def test_events_about_controllers_reach_ingest_with_their_workload(
    kubesim_cluster, transactional_db, handed_on
):
    sim = kubesim_cluster("quota-exceeded", seed=3)
    watch_scenario(sim, 30)
    events = [i for i in handed_on if i.kind == "event"]
    kinds = {involved(i)[0] for i in events}
    assert {"ReplicaSet", "StatefulSet", "Job"} <= kinds, kinds
    failed_creates = [i for i in events if i.object.get("reason") == "FailedCreate"]
    assert failed_creates
    owners = {involved(i): i.owner and (i.owner.kind, i.owner.name) for i in failed_creates}
    for (kind, name), owner in owners.items():
        if kind == "ReplicaSet":
            assert owner is not None and owner[0] == "Deployment" and name.startswith(f"{owner[1]}-")
        else:
            assert owner == (kind, name), (kind, name, owner)


@pytest.mark.parametrize(
    ("scenario", "kind"), [("node-not-ready", "Node"), ("pvc-pending", "PersistentVolumeClaim")]
)
def test_node_and_pvc_events_reach_ingest(kubesim_cluster, transactional_db, handed_on, scenario, kind):
    sim = kubesim_cluster(scenario, seed=3)
    watch_scenario(sim, 60)
    about = [i for i in handed_on if i.kind == "event" and involved(i)[0] == kind]
    assert about, sorted({involved(i)[0] for i in handed_on if i.kind == "event"})
    assert all(i.owner is None for i in about)


def test_a_watched_deployment_that_cannot_create_pods_is_diagnosed_create_failed(
    kubesim_cluster, transactional_db, handed_on, client, django_user_model
):
    """End to end through a live watch: the ReplicaSet's FailedCreate lands on its Deployment, which the
    API lists with the diagnosis create-failed and the controller's message; the StatefulSet whose
    ServiceAccount arrives after 120 s is no longer diagnosed once its Pod exists."""
    sim = kubesim_cluster("quota-exceeded", seed=3)
    watch_scenario(sim, 180)
    client.force_login(django_user_model.objects.create_user(username="sre", password="x", is_superuser=True))
    answer = client.get("/api/v1/workloads", {"cluster": sim.name})
    assert answer.status_code == 200
    rows = {(r["kind"], r["name"]): r for r in answer.json()["results"]}
    web = rows[("Deployment", "web")]
    assert web["diagnosis"]["code"] == "create-failed"
    assert "exceeded quota" in web["diagnosis"]["summary"]
    assert web["pods"] == 0 and web["stuck"] is True
    assert ("ReplicaSet", "web") not in rows and not any(k == "ReplicaSet" for k, _ in rows)
    db = rows.get(("StatefulSet", "db"))
    assert db is not None and db["diagnosis"] is None and db["pods"] >= 1, db
