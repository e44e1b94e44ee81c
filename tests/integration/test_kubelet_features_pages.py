"""The Kubernetes 1.33–1.36 kubelet features through ingest, the Pod page and the API: kubesim recordings
(restart rules with a stop signal and resources, RestartAllContainers, a sandbox that cannot be created)
written with the real ingest, then read as an SRE would."""

from __future__ import annotations

import pytest
from django.urls import reverse

from kubesim.recorder import record
from pods.ingest import WatchItem, cluster_get_or_create, ingest_batch
from pods.models import Pod

pytestmark = pytest.mark.django_db

START = 1_748_854_800.0


def ingest_recording(scenario: str, seconds: float, cluster: str, seed: int = 0) -> None:
    rec = record(scenario, seconds=seconds, start=START, seed=seed)  # a seed per cluster: distinct uids
    items = [
        WatchItem(kind="pod" if i.resource == "pods" else "event", type=i.type, object=i.object)
        for i in rec.items
        if i.type != "ERROR"
    ]
    result = ingest_batch(cluster=cluster_get_or_create(name=cluster), items=items)
    assert not result.rejected, result.rejected


def pod_named(name: str) -> Pod:
    return Pod.objects.get(name=name)


def test_the_container_table_shows_restart_policy_stop_signal_and_resources(logged_in_client):
    ingest_recording("restart-rules", 30, "rules")
    page = logged_in_client.get(reverse("pods:detail", args=[pod_named("retry-on-42").uid]))
    html = page.content.decode()
    assert page.status_code == 200
    assert '<th scope="col">Stop signal</th>' in html and "SIGUSR1" in html
    assert "memory=256Mi" in html and "cpu=250m memory=128Mi" in html
    assert "Restart on exit In 42" in html


def test_the_api_document_carries_the_new_fields_and_matches_the_schema(api):
    ingest_recording("restart-rules", 70, "rules")
    ingest_recording("restart-all", 45, "all", seed=1)
    ingest_recording("sandbox-failure", 30, "netless", seed=2)
    doc = api.get("/api/v1/pods/{uid}", uid=pod_named("retry-on-42").uid).json()
    fetch, worker = doc["containers"]
    assert fetch["restart_policy"] == "Never" and fetch["effective_restart_policy"] == "Never"
    assert fetch["restart_rules"] == [{"action": "Restart", "operator": "In", "exit_codes": [42]}]
    assert worker["stop_signal"] == "SIGUSR1"
    assert worker["resources"] == {
        "limits": {"memory": "256Mi"},
        "requests": {"cpu": "250m", "memory": "128Mi"},
    }
    assert doc["sandbox_ready_at"] is not None
    failed = api.get("/api/v1/pods/{uid}", uid=pod_named("fail-on-3").uid).json()
    assert failed["diagnosis"]["code"] == "failed"
    trainer = api.get("/api/v1/pods/{uid}", uid=pod_named("trainer").uid).json()
    assert [g["cause"] for g in trainer["generations"]] == ["restart-all", "restart-all"]
    monitor = next(c for c in trainer["containers"] if c["name"] == "monitor")
    assert [a["reason"] for a in monitor["attempts"]][:2] == ["RestartingAllContainers"] * 2
    netless = Pod.objects.get(cluster__name="netless")
    sandbox = api.get("/api/v1/pods/{uid}", uid=netless.uid).json()
    assert sandbox["sandbox_ready_at"] is None and sandbox["diagnosis"]["code"] == "sandbox"


def test_the_pod_page_marks_the_generation_boundaries(logged_in_client):
    ingest_recording("restart-all", 45, "all")
    html = logged_in_client.get(reverse("pods:detail", args=[pod_named("trainer").uid])).content.decode()
    assert html.count("wf-mark--generation") == 2
    assert "all containers restarted (gen 1)" in html
    assert "wf-mark--sandbox-ready" in html
