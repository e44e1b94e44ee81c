"""Events about workloads, Nodes and PVCs imported from captures of kubesim's `quota-exceeded`,
`pvc-pending` and `node-not-ready` scenarios: workload rows with the `create-failed` diagnosis (overview,
`GET /api/v1/workloads`, `manage.py workloads list`), Pods whose diagnosis names their unbound claim or
NotReady node, and the Events about those shown on the Pod page. Nothing is rejected."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import orjson
import pytest
from django.core.management import call_command
from django.test import Client

from pods import selectors
from pods.ingest import WatchItem, ingest_batch
from pods.models import Cluster, Pod, Workload
from tests.captures import START, capture

pytestmark = pytest.mark.django_db

STUCK = {("Deployment", "web"), ("Deployment", "worker"), ("Job", "report")}


@pytest.fixture
def quota(tmp_path):
    path = capture("quota-exceeded", 200, tmp_path / "quota.json")
    out = io.StringIO()
    call_command("import_watch", str(path), cluster="quota", stdout=out)  # raises on a rejection (exit 2)
    return out.getvalue()


def test_import_keeps_workload_events_and_reports_what_it_skipped(quota):
    assert "0 rejected" in quota
    assert "Events about other kinds skipped (Deployment " in quota


def test_workloads_that_cannot_create_pods_are_diagnosed_and_the_one_that_recovered_is_not(quota):
    rows = selectors.workload_summaries(selectors.workload_queryset(filters=selectors.WorkloadFilters()))
    by_name = {(r["kind"], r["name"]): r for r in rows}
    assert {key for key, r in by_name.items() if r["stuck"]} == STUCK
    assert {(r["kind"], r["name"]) for r in rows[:3]} == STUCK, "stuck first"
    web = by_name[("Deployment", "web")]
    assert web["pods"] == 0 and web["diagnosis"]["code"] == "create-failed"
    assert "exceeded quota: compute" in web["diagnosis"]["summary"]
    assert "admission webhook" in by_name[("Deployment", "worker")]["diagnosis"]["summary"]
    assert 'violates PodSecurity "restricted:latest"' in by_name[("Job", "report")]["diagnosis"]["summary"]
    db = by_name[("StatefulSet", "db")]  # its ServiceAccount appeared after 120 s: db-0 was created
    assert db["diagnosis"] is None and db["pods"] == 1 and sum(db["pods_by_status"].values()) == 1


def test_the_sql_rule_and_the_engine_agree(quota):
    now = datetime.now(UTC)
    rows = selectors.workload_queryset(filters=selectors.WorkloadFilters(), now=now)
    for workload, summary in zip(rows, selectors.workload_summaries(rows, now=now), strict=True):
        assert workload.is_stuck == summary["stuck"], summary


def test_a_pod_created_after_the_failure_clears_it(quota):
    cluster = Cluster.objects.get(name="quota")
    web = Workload.objects.get(cluster=cluster, name="web")
    created = web.failed_last_at + timedelta(seconds=5)
    pod = {
        "kind": "Pod",
        "apiVersion": "v1",
        "metadata": {
            "name": "web-k2f88m2qmg-aaaaa",
            "namespace": "default",
            "uid": "web-pod-after-quota",
            "resourceVersion": "999999",
            "creationTimestamp": created.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "labels": {"pod-template-hash": "k2f88m2qmg"},
            "ownerReferences": [
                {"kind": "ReplicaSet", "name": "web-k2f88m2qmg", "controller": True, "uid": "rs"}
            ],
        },
        "spec": {"containers": [{"name": "web", "image": "acme/web:1.4.2"}]},
        "status": {"phase": "Pending"},
    }
    assert not ingest_batch(cluster=cluster, items=[WatchItem(kind="pod", type="ADDED", object=pod)]).rejected
    row = selectors.workload_summaries([Workload.objects.get(pk=web.pk)])[0]
    assert row["diagnosis"] is None and row["pods"] == 1


def test_the_api_lists_workloads_filtered_and_paginated(quota, logged_in_client):
    answer = logged_in_client.get("/api/v1/workloads", {"stuck": "true", "page_size": 2}).json()
    assert answer["count"] == 3 and answer["pages"] == 2 and answer["next"]
    assert {(r["kind"], r["name"]) for r in answer["results"]} < STUCK
    healthy = logged_in_client.get("/api/v1/workloads", {"stuck": "false", "cluster": "quota"}).json()
    assert {(r["kind"], r["name"]) for r in healthy["results"]} == {("StatefulSet", "db")}
    assert logged_in_client.get("/api/v1/workloads", {"namespace": "elsewhere"}).json()["count"] == 0
    assert logged_in_client.get("/api/v1/workloads", {"page_size": 0}).status_code == 400
    assert Client().get("/api/v1/workloads").status_code in (401, 403), "the API needs a session or token"


def test_the_cli_lists_workloads(quota):
    out = io.StringIO()
    call_command("workloads", "list", "--stuck", "--json", "--cluster", "quota", stdout=out)
    rows = [orjson.loads(line) for line in out.getvalue().splitlines()]
    assert {(r["kind"], r["name"]) for r in rows} == STUCK
    assert all(r["diagnosis"]["code"] == "create-failed" for r in rows)
    text = io.StringIO()
    call_command("workloads", "list", "--namespace", "default", stdout=text)
    lines = text.getvalue().splitlines()
    assert lines[0].split()[:4] == ["NAMESPACE", "KIND", "NAME", "PODS"]
    assert any("exceeded quota" in line for line in lines)
    empty = io.StringIO()
    call_command("workloads", "list", "--cluster", "nowhere", stdout=empty)
    assert empty.getvalue().strip() == "no workloads"


def test_the_overview_shows_a_workload_row_before_the_pods(quota, logged_in_client):
    html = logged_in_client.get("/").content.decode()
    assert 'id="stuck-workloads"' in html
    assert html.index('id="stuck-workloads"') < html.index('id="pods"')
    assert "exceeded quota: compute" in html


def test_a_hostile_event_message_is_escaped_on_the_overview(logged_in_client, cluster):
    hostile = '<script>alert("quota")</script><img src=x onerror=alert(1)>'
    event = {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": "evil.1", "namespace": "shop", "uid": "ev-evil-1", "resourceVersion": "5"},
        "involvedObject": {
            "apiVersion": "apps/v1",
            "kind": "ReplicaSet",
            "name": "evil-7d9f5c6b8",
            "namespace": "shop",
            "uid": "rs-evil",
        },
        "reason": "FailedCreate",
        "message": f"Error creating: {hostile}",
        "type": "Warning",
        "count": 3,
        "firstTimestamp": "2025-06-02T09:00:00Z",
        "lastTimestamp": "2025-06-02T09:01:00Z",
        "source": {"component": "replicaset-controller"},
    }
    assert not ingest_batch(
        cluster=cluster, items=[WatchItem(kind="event", type="ADDED", object=event)]
    ).rejected
    html = logged_in_client.get("/").content.decode()
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(&quot;quota&quot;)&lt;/script&gt;" in html
    assert (
        "Error creating: &lt;script&gt;" in logged_in_client.get("/", {"namespace": "shop"}).content.decode()
    )


def test_an_unschedulable_pod_names_its_unbound_claim(tmp_path, logged_in_client):
    call_command(
        "import_watch",
        str(capture("pvc-pending", 120, tmp_path / "pvc.json")),
        cluster="pvc",
        stdout=io.StringIO(),
    )
    pod = Pod.objects.get(cluster__name="pvc", seen=True)
    document = selectors.pod_document(pod)
    assert document["diagnosis"]["code"] == "unschedulable"
    assert document["diagnosis"]["summary"].startswith(
        'PersistentVolumeClaim `data-db` is unbound: storageclass.storage.k8s.io "fast-ssd" not found'
    )
    about = [e for e in document["events"] if e["about"]]
    assert {(e["about"]["kind"], e["about"]["name"], e["reason"]) for e in about} == {
        ("PersistentVolumeClaim", "data-db", "ProvisioningFailed")
    }, "the claim it mounts, not the other claim (scratch) of the namespace"
    listed = selectors.pod_list_page(filters=selectors.PodFilters(cluster="pvc"), size=10).rows
    assert listed[0]["diagnosis"]["summary"] == document["diagnosis"]["summary"]
    # Every list says what the Pod page says: the API's and `pods list`'s rows read the claim's Events too.
    (api_row,) = logged_in_client.get("/api/v1/pods", {"cluster": "pvc"}).json()["results"]
    assert api_row["diagnosis"]["summary"] == document["diagnosis"]["summary"]
    out = io.StringIO()
    call_command("pods", "list", "--cluster", "pvc", "--json", stdout=out)
    (cli_row,) = [orjson.loads(line) for line in out.getvalue().splitlines()]
    assert cli_row["diagnosis"]["summary"] == document["diagnosis"]["summary"]
    page = logged_in_client.get(f"/pods/{pod.uid}/").content.decode()
    assert "about PersistentVolumeClaim data-db" in page


def test_a_stuck_pod_on_a_not_ready_node_says_so(tmp_path, logged_in_client):
    call_command(
        "import_watch",
        str(capture("node-not-ready", 400, tmp_path / "node.json")),
        cluster="node",
        stdout=io.StringIO(),
    )
    # The kubelet of a NotReady node reports nothing more: its Pods' statuses freeze, and a recording ends
    # with the last change it holds. Judged as a watch would be, minutes later, the Pod is stuck.
    Cluster.objects.filter(name="node").update(watched=True)
    pods = {p.node: p for p in Pod.objects.filter(cluster__name="node", seen=True).select_related("cluster")}
    later = datetime.fromtimestamp(START + 400, UTC) + timedelta(minutes=10)
    stranded = selectors.pod_document(pods["kubesim-node-2"], now=later)
    assert stranded["diagnosis"] is not None
    assert stranded["diagnosis"]["summary"].endswith("; node `kubesim-node-2` is NotReady")
    assert any(e["about"] == {"kind": "Node", "name": "kubesim-node-2"} for e in stranded["events"])
    for node, pod in pods.items():
        if node != "kubesim-node-2":
            assert not any(e["about"] for e in selectors.pod_document(pod)["events"])
    page = logged_in_client.get(f"/pods/{pods['kubesim-node-2'].uid}/").content.decode()
    assert "about Node kubesim-node-2" in page
