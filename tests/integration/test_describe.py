"""What `kubectl describe` shows, on the Pod page, in the API document (validated against the schema) and
in `manage.py pods show`: resources and the effective request, probes, volumes, scheduling, a Job's
backoffLimit and failed count with its sibling Pods, a Deployment's Pod's ReplicaSet and rollout, Events."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from pods.ingest import WatchItem, cluster_get_or_create, ingest_batch
from pods.kube import ApiError
from pods.kube.workloads import clear_cache, with_live_workload
from pods.models import Pod
from pods.selectors import pod_document
from tests.builders import event, pod, ts

pytestmark = pytest.mark.django_db

CLUSTER = "describe"


@pytest.fixture(autouse=True)
def _fresh_cache():
    clear_cache()
    yield
    clear_cache()


def ingest(objects: list[dict], events: list[dict] = ()) -> None:
    items = [WatchItem(kind="pod", type="MODIFIED", object=obj) for obj in objects]
    items += [WatchItem(kind="event", type="ADDED", object=ev) for ev in events]
    result = ingest_batch(cluster=cluster_get_or_create(name=CLUSTER), items=items)
    assert not result.rejected, result.rejected


def described_pod() -> dict:
    obj = pod(rv=10, init=["proxy", "migrate"], apps=["app"], sidecars=("proxy",))
    resources = {
        "proxy": {"requests": {"cpu": "500m", "memory": "256Mi"}},
        "migrate": {"requests": {"cpu": "2", "memory": "1Gi"}},
        "app": {"requests": {"cpu": "250m", "memory": "128Mi"}, "limits": {"memory": "512Mi"}},
    }
    for c in obj["spec"]["initContainers"] + obj["spec"]["containers"]:
        c["resources"] = resources[c["name"]]
    app = obj["spec"]["containers"][0]
    app["livenessProbe"] = {"httpGet": {"path": "/healthz", "port": 8080}, "periodSeconds": 5}
    app["readinessProbe"] = {"exec": {"command": ["check"]}}
    app["envFrom"] = [{"configMapRef": {"name": "api-settings"}}]
    obj["spec"]["volumes"].append({"name": "config", "configMap": {"name": "api-config"}})
    obj["spec"]["volumes"].append({"name": "creds", "secret": {"secretName": "db-creds"}})
    obj["spec"]["nodeSelector"] = {"disktype": "<b>ssd</b>"}
    return obj


def job_pod(name: str, uid: str, *, phase: str, created: float) -> dict:
    obj = pod(rv=20, init=["fetch"], apps=["backup"], restart_policy="Never", phase=phase, uid=uid, name=name)
    obj["metadata"]["creationTimestamp"] = ts(created)
    obj["metadata"]["labels"] = {"job-name": "backup-29000"}
    obj["metadata"]["ownerReferences"] = [
        {
            "apiVersion": "batch/v1",
            "kind": "Job",
            "name": "backup-29000",
            "uid": "job-uid",
            "controller": True,
        }
    ]
    return obj


def rs_pod(name: str, uid: str, template_hash: str, *, created: float) -> dict:
    obj = pod(rv=30, uid=uid, name=name)
    obj["metadata"]["creationTimestamp"] = ts(created)
    obj["metadata"]["labels"] = {"app": "api", "pod-template-hash": template_hash}
    obj["metadata"]["ownerReferences"][0]["name"] = f"api-{template_hash}"
    return obj


def _stored(uid: str) -> Pod:
    return Pod.objects.get(cluster__name=CLUSTER, uid=uid)


# --- the spec --------------------------------------------------------------------------------------


def test_the_pod_page_shows_the_spec_section_escaped(logged_in_client):
    obj = described_pod()
    ingest([obj])
    uid = obj["metadata"]["uid"]
    page = logged_in_client.get(reverse("pods:detail", args=[uid]) + f"?cluster={CLUSTER}")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="spec"' in html and "Effective request" in html
    assert "cpu=2500m memory=1280Mi" in html  # the init container beside the sidecar decides
    assert 'data-field="init_dominates"' in html and "+1750m" in html
    assert "api-config" in html and "db-creds" in html and "api-settings" in html
    assert "http-get http://:8080/healthz" in html and "exec <span" in html
    assert "10.244.1.9" in html and "BestEffort" in html
    assert "node.kubernetes.io/not-ready:NoExecute op=Exists for 300s" in html
    assert "&lt;b&gt;ssd&lt;/b&gt;" in html and "<b>ssd</b>" not in html
    fragment = logged_in_client.get(reverse("pods:detail-fragment", args=[uid]) + f"?cluster={CLUSTER}")
    assert 'id="spec"' in fragment.content.decode()


def test_the_api_document_carries_the_spec_and_workload(api):
    obj = described_pod()
    ingest([obj, rs_pod("api-5b6c7d8e9f-aaaaa", "uid-newer", "5b6c7d8e9f", created=100)])
    doc = api.get("/api/v1/pods/{uid}", uid=obj["metadata"]["uid"]).json()
    assert doc["spec"]["effective_requests"] == {"cpu": "2500m", "memory": "1280Mi"}
    assert doc["spec"]["effective_limits"] == {"memory": "512Mi"}
    # migrate (beside the proxy) asks more than the app and the proxy together: it sets both resources
    assert doc["spec"]["init_dominates"] == [
        {"resource": "cpu", "container": "migrate", "request": "2500m", "app": "750m", "margin": "1750m"},
        {
            "resource": "memory",
            "container": "migrate",
            "request": "1280Mi",
            "app": "384Mi",
            "margin": "896Mi",
        },
    ]
    assert [p["type"] for p in doc["spec"]["containers"][2]["probes"]] == ["httpGet", "exec"]
    rollout = doc["workload"]["rollout"]
    assert rollout["replica_set"] == "api-7d9f8c6b5"
    assert (rollout["newest"], rollout["newest_replica_set"], rollout["decided_by"]) == (
        False,
        "api-5b6c7d8e9f",
        "pods",
    )
    assert rollout["reason"]  # a recording-like cluster: why the API was not asked
    assert [s["name"] for s in doc["workload"]["siblings"]] == ["api-5b6c7d8e9f-aaaaa"]
    newer = api.get("/api/v1/pods/{uid}", uid="uid-newer").json()
    assert newer["workload"]["rollout"]["newest"] is True


# --- Jobs and Deployments --------------------------------------------------------------------------


def test_a_job_pod_lists_its_siblings_and_the_jobs_counts_fetched_on_demand(api):
    ingest(
        [
            job_pod("backup-29000-aaaaa", "job-1", phase="Failed", created=0),
            job_pod("backup-29000-bbbbb", "job-2", phase="Failed", created=60),
            job_pod("backup-29000-ccccc", "job-3", phase="Pending", created=120),
        ]
    )
    served = api.get("/api/v1/pods/{uid}", uid="job-3").json()
    job = served["workload"]["job"]
    assert (job["failed_pods_stored"], job["source"], job["backoff_limit"]) == (2, "none", None)
    assert [s["name"] for s in served["workload"]["siblings"]] == ["backup-29000-bbbbb", "backup-29000-aaaaa"]

    asked = []

    def fetch(resource, namespace, name):
        asked.append((resource, namespace, name))
        return {
            "spec": {"backoffLimit": 6, "completions": 1, "parallelism": 1},
            "status": {"failed": 2, "active": 1, "conditions": [{"type": "Suspended", "status": "False"}]},
        }

    doc = with_live_workload(pod_document(_stored("job-3")), fetch=fetch)
    job = doc["workload"]["job"]
    assert (job["backoff_limit"], job["failed"], job["active"], job["source"]) == (6, 2, 1, "live")
    assert asked == [("jobs", "shop", "backup-29000")]
    with_live_workload(pod_document(_stored("job-3")), fetch=fetch)
    assert len(asked) == 1  # cached briefly: live fragment refreshes do not hammer the API


def test_a_job_that_cannot_be_read_says_why():
    ingest([job_pod("backup-29000-aaaaa", "job-1", phase="Failed", created=0)])

    def denied(resource, namespace, name):
        raise ApiError(403, "Forbidden", 'jobs.batch "backup-29000" is forbidden')

    doc = with_live_workload(pod_document(_stored("job-1")), fetch=denied)
    assert doc["workload"]["job"]["source"] == "none"
    assert doc["workload"]["job"]["reason"].startswith("403 Forbidden")


def test_the_newest_rollout_is_decided_by_revisions_when_the_api_answers():
    ingest([rs_pod("api-7d9f8c6b5-x2x9q", "old", "7d9f8c6b5", created=0)])
    objects = {
        ("replicasets", "api-7d9f8c6b5"): {
            "metadata": {
                "annotations": {"deployment.kubernetes.io/revision": "3"},
                "ownerReferences": [{"kind": "Deployment", "name": "api", "controller": True}],
            }
        },
        ("deployments", "api"): {"metadata": {"annotations": {"deployment.kubernetes.io/revision": "4"}}},
    }
    doc = with_live_workload(pod_document(_stored("old")), fetch=lambda r, ns, n: objects[(r, n)])
    rollout = doc["workload"]["rollout"]
    # the stored Pods alone would call it the newest (no other ReplicaSet's Pod is stored)
    assert (
        rollout["newest"],
        rollout["decided_by"],
        rollout["revision"],
        rollout["deployment_revision"],
    ) == (
        False,
        "revision",
        "3",
        "4",
    )
    assert rollout["newest_replica_set"] == ""


# --- the CLI ---------------------------------------------------------------------------------------


def test_pods_show_prints_the_spec_and_the_events_without_control_characters():
    obj = described_pod()
    ingest(
        [obj],
        [
            event("Scheduled", "Successfully assigned shop/api to node-a", when=1),
            event("Failed", "Error: \x1b[31mconfigmap \"api-config\" not found", when=5, etype="Warning",
                  container="migrate"),
        ],
    )  # fmt: skip
    out = io.StringIO()
    call_command("pods", "show", "--uid", obj["metadata"]["uid"], "--cluster", CLUSTER, stdout=out)
    text = out.getvalue()
    assert "Spec:" in text and "Effective request:  cpu=2500m memory=1280Mi" in text
    assert "Set by init:        migrate sets memory: 1280Mi vs apps 384Mi (+896Mi)" in text
    assert "liveness: http-get http://:8080/healthz" in text
    assert "config: configMap -> ConfigMap api-config" in text
    assert "Events (2):" in text and "Scheduled" in text and 'configmap "api-config" not found' in text
    assert "\x1b" not in text
    assert "Controlled by: ReplicaSet/api-7d9f8c6b5" in text


# --- against kubesim -------------------------------------------------------------------------------


@pytest.mark.integration
def test_a_watched_cluster_answers_with_the_jobs_counts_and_the_rollout_revision(
    kubesim_cluster,
    transactional_db,
    api,
):
    from pods import watch
    from tests.services import settings_for_cluster

    sim = kubesim_cluster("demo", seed=3)
    with settings_for_cluster(sim):
        sim.drive(90)
        w = watch.cluster_watch(sim.name)
        for stream in w.streams:
            watch.list_once(w, stream)
        pods = Pod.objects.filter(cluster__name=sim.name, deleted_at__isnull=True)
        job_pod = next(p for p in pods if p.owner_kind in ("Job", "CronJob"))
        deployment_pod = next(p for p in pods if p.owner_kind == "Deployment")
        job = api.get("/api/v1/pods/{uid}", uid=job_pod.uid).json()["workload"]["job"]
        assert job["source"] == "live", job
        assert job["backoff_limit"] is not None and job["failed"] is not None
        rollout = api.get("/api/v1/pods/{uid}", uid=deployment_pod.uid).json()["workload"]["rollout"]
        assert (rollout["source"], rollout["decided_by"], rollout["newest"]) == ("live", "revision", True)
        assert rollout["revision"] == rollout["deployment_revision"]
