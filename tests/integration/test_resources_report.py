"""The resources report (docs/reports.md "Resources") over Pods ingested as a watcher would: requests and
limits, the effective request and the init container that sets it, OOM kills, computed by hand below; the
API (JSON and CSV agreeing, auth, the schema), `manage.py report resources` and the page (escaping).

Deployment `api` in `shop`, every Pod: sidecar `proxy` (100m, 64Mi), init `migrate`, app `app` (250m, 256Mi).
- Pod `api-a` (10:00): `migrate` asks 500m / 1Gi, limit 1Gi: OOMKilled once (10:00:05–08), then Completed.
- Pod `api-b` (11:00): `migrate` asks 500m / 2Gi, limit 2Gi: OOMKilled twice (11:00:05–10, 11:00:20–25),
  then Completed. `migrate`: 2 Pods, 5 attempts, 3 OOMKilled (60%), varied (1Gi → 2Gi).
  Effective request of `api-b`: cpu max(250m + 100m, 500m + 100m) = 600m (migrate, +250m); memory
  max(256Mi + 64Mi, 2Gi + 64Mi) = 2112Mi (migrate, +1792Mi).
- A bare Pod named with markup, init `warm` without resources: OOMKilled once, then Completed.
"""

from __future__ import annotations

import csv
import io
from unittest.mock import ANY

import orjson
import pytest
from django.core.management import call_command
from django.test import Client

from pods.api.resources import ResourceRowSerializer
from pods.ingest import WatchItem, cluster_get_or_create, ingest_batch
from pods.reports import resources
from pods.reports.documents import csv_cell
from tests.builders import cond, last, pod, running, terminated, ts, waiting
from tests.tokens import api_key

pytestmark = pytest.mark.django_db

CLUSTER = "res"
PARAMS = {"since": "2025-06-01T00:00:00Z", "until": "2025-06-02"}
XSS = "<img src=x onerror=alert(1)>"
URL = "/api/v1/reports/resources"


def _pod(uid: str, name: str, created: float, migrate: tuple[str, str], **options) -> dict:
    obj = pod(
        rv=1, init=["proxy", "migrate"], apps=["app"], sidecars=("proxy",), uid=uid, name=name, **options
    )
    cpu, memory = migrate
    resources_by_name = {
        "proxy": {"requests": {"cpu": "100m", "memory": "64Mi"}},
        "migrate": {"requests": {"cpu": cpu, "memory": memory}, "limits": {"memory": memory}},
        "app": {"requests": {"cpu": "250m", "memory": "256Mi"}},
    }
    for c in obj["spec"]["initContainers"] + obj["spec"]["containers"]:
        c["resources"] = resources_by_name[c["name"]]
    obj["metadata"]["creationTimestamp"] = ts(created)
    return obj


def _versions(obj: dict, created: float, ooms: list[tuple[float, float]]) -> list[dict]:
    """The Pod's objects as the watch sends them: each OOM kill of `migrate` seen, then its success."""
    out = []
    conditions = [cond("PodScheduled", True, created + 1)]
    proxy = running("proxy", created + 2, started_flag=True)
    for n, (began, ended) in enumerate(ooms):
        previous = last(137, created + began, created + ended, name="migrate", n=n, reason="OOMKilled")
        version = orjson.loads(orjson.dumps(obj))
        version["metadata"]["resourceVersion"] = str(len(out) + 2)
        version["status"]["conditions"] = conditions
        version["status"]["initContainerStatuses"] = [
            proxy,
            waiting("migrate", "CrashLoopBackOff", rc=n, last=previous),
        ]
        version["status"]["containerStatuses"] = [waiting("app")]
        out.append(version)
    done = orjson.loads(orjson.dumps(obj))
    done["metadata"]["resourceVersion"] = str(len(out) + 2)
    done["status"]["conditions"] = conditions
    rc = len(ooms)
    previous = last(
        137, created + ooms[-1][0], created + ooms[-1][1], name="migrate", n=rc - 1, reason="OOMKilled"
    )
    done["status"]["initContainerStatuses"] = [
        proxy,
        terminated("migrate", 0, created + 40, created + 45, rc=rc, last=previous),
    ]
    done["status"]["containerStatuses"] = [waiting("app")]
    out.append(done)
    return out


def _bare(created: float) -> list[dict]:
    obj = pod(rv=1, init=["warm"], apps=["app"], uid="c", name=f"debug{XSS}")
    obj["metadata"].pop("ownerReferences")
    obj["metadata"]["labels"] = {}
    obj["metadata"]["creationTimestamp"] = ts(created)
    oom = last(137, created + 3, created + 4, name="warm", n=0, reason="OOMKilled")
    obj["status"]["initContainerStatuses"] = [
        terminated("warm", 0, created + 20, created + 21, rc=1, last=oom)
    ]
    obj["status"]["containerStatuses"] = [waiting("app")]
    return [obj]


@pytest.fixture
def stored(db):
    a = _pod("a", "api-7d9f8c6b5-aaaaa", 0, ("500m", "1Gi"))
    b = _pod("b", "api-7d9f8c6b5-bbbbb", 3600, ("500m", "2Gi"))
    objects = [*_versions(a, 0, [(5, 8)]), *_versions(b, 3600, [(5, 10), (20, 25)]), *_bare(7200)]
    cluster = cluster_get_or_create(name=CLUSTER)
    for obj in objects:  # one batch each: the watcher sees every transition
        result = ingest_batch(cluster=cluster, items=[WatchItem(kind="pod", type="MODIFIED", object=obj)])
        assert not result.rejected, result.rejected


MIGRATE = {
    "cluster": CLUSTER,
    "namespace": "shop",
    "workload_kind": "Deployment",
    "workload": "api",
    "container": "migrate",
    "kind": "init",
    "pods": 2,
    "latest_pod": {"uid": "b", "name": "api-7d9f8c6b5-bbbbb"},
    "spec_known": True,
    "requests": {"cpu": "500m", "memory": "2Gi"},
    "limits": {"memory": "2Gi"},
    "varied": True,
    "effective_requests": {"cpu": "600m", "memory": "2112Mi"},
    "set_by": {"cpu": "init", "memory": "init"},
    "dominates": [
        {"resource": "cpu", "request": "600m", "app": "350m", "margin": "250m"},
        {"resource": "memory", "request": "2112Mi", "app": "320Mi", "margin": "1792Mi"},
    ],
    "attempts": 5,
    "oom_killed": 3,
    "oom_rate": 0.6,
    "memory_limit": "2Gi",
    "last_oom_pods": [
        {"uid": "b", "name": "api-7d9f8c6b5-bbbbb", "finished_at": "2025-06-01T11:00:25Z", "exit_code": 137},
        {"uid": "b", "name": "api-7d9f8c6b5-bbbbb", "finished_at": "2025-06-01T11:00:10Z", "exit_code": 137},
        {"uid": "a", "name": "api-7d9f8c6b5-aaaaa", "finished_at": "2025-06-01T10:00:08Z", "exit_code": 137},
    ],
}
PROXY = {
    **MIGRATE,
    "container": "proxy",
    "kind": "sidecar",
    "requests": {"cpu": "100m", "memory": "64Mi"},
    "limits": {},
    "varied": False,
    "dominates": [],
    "attempts": 2,
    "oom_killed": 0,
    "oom_rate": 0.0,
    "memory_limit": None,
    "last_oom_pods": [],
}
WARM = {
    "cluster": CLUSTER,
    "namespace": "shop",
    "workload_kind": "Pod",
    "workload": f"debug{XSS}",
    "container": "warm",
    "kind": "init",
    "pods": 1,
    "latest_pod": {"uid": "c", "name": f"debug{XSS}"},
    "spec_known": True,
    "requests": {},
    "limits": {},
    "varied": False,
    "effective_requests": {},
    "set_by": {},
    "dominates": [],
    "attempts": 2,
    "oom_killed": 1,
    "oom_rate": 0.5,
    "memory_limit": None,
    "last_oom_pods": [
        {"uid": "c", "name": f"debug{XSS}", "finished_at": "2025-06-01T12:00:04Z", "exit_code": 137}
    ],
}


def test_the_report_says_what_was_computed_by_hand(stored, api):
    document = api.get(URL, PARAMS).json()
    assert document["since"] == "2025-06-01T00:00:00Z" and document["source"] == "raw"
    assert document["rows"] == [MIGRATE, PROXY, WARM]


def test_filters_and_the_period(stored, api):
    assert api.get(URL, {**PARAMS, "container": "migrate"}).json()["rows"] == [MIGRATE]
    assert api.get(URL, {**PARAMS, "workload": "Pod/debug" + XSS}).json()["rows"] == [WARM]
    assert api.get(URL, {**PARAMS, "cluster": "other"}).json()["rows"] == []
    # only api-a's attempts: its own spec, nothing varied, one OOM kill of two attempts
    morning = api.get(URL, {"since": "2025-06-01T10:00:00Z", "until": "2025-06-01T10:30:00Z"}).json()["rows"]
    migrate = next(r for r in morning if r["container"] == "migrate")
    assert (migrate["pods"], migrate["attempts"], migrate["oom_killed"], migrate["varied"]) == (
        1,
        2,
        1,
        False,
    )
    assert migrate["latest_pod"]["uid"] == "a" and migrate["memory_limit"] == "1Gi"
    assert migrate["dominates"][1] == {
        "resource": "memory",
        "request": "1088Mi",
        "app": "320Mi",
        "margin": "768Mi",
    }


def test_the_csv_has_the_json_rows(stored, api, logged_in_client):
    document = api.get(URL, PARAMS).json()
    response = logged_in_client.get(URL, {**PARAMS, "format": "csv"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    text = response.content.decode()
    assert text.splitlines()[0].split(",") == list(resources.FIELDS)
    assert list(csv.DictReader(io.StringIO(text))) == [
        {k: csv_cell(v) for k, v in row.items()} for row in document["rows"]
    ]


def test_the_api_needs_a_session_or_a_token_and_refuses_a_bad_period(stored, anonymous, api, user):
    assert anonymous.get(URL, PARAMS).status_code == 401
    assert anonymous.get(URL, {**PARAMS, "format": "csv"}).status_code == 401
    assert api.get(URL, {"since": "yesterday"}).json() == {"since": [ANY]}
    token = api_key(user)
    response = Client().get(URL, PARAMS, HTTP_AUTHORIZATION=f"Token {token}")
    assert response.status_code == 200 and len(response.json()["rows"]) == 3


def test_the_row_serializer_declares_the_fields_in_csv_order():
    assert tuple(ResourceRowSerializer().fields) == resources.FIELDS


def _run(*args: str) -> str:
    out = io.StringIO()
    call_command("report", "resources", *args, stdout=out)
    return out.getvalue()


def test_the_cli_prints_the_api_document_the_csv_and_a_table(stored, logged_in_client):
    period = ["--since", PARAMS["since"], "--until", PARAMS["until"]]
    assert orjson.loads(_run(*period, "--format", "json")) == logged_in_client.get(URL, PARAMS).json()
    api_csv = logged_in_client.get(URL, {**PARAMS, "format": "csv"}).content.decode()
    assert _run(*period, "--format", "csv") == api_csv
    text = _run(*period, "--container", "migrate")
    assert "cpu +250m, memory +1792Mi" in text and "3 (60.0%)" in text and "2Gi" in text and "yes" in text


def test_the_page_highlights_what_dominates_and_escapes_cluster_strings(stored, logged_in_client):
    response = logged_in_client.get("/reports/resources/", PARAMS)
    assert response.status_code == 200
    html = response.content.decode()
    assert XSS not in html and "debug&lt;img src=x onerror=alert(1)&gt;" in html
    assert "sets the Pod&#x27;s request" in html or "sets the Pod's request" in html
    assert "3 OOM kills" in html and 'href="/pods/b/?cluster=res"' in html
    assert logged_in_client.get("/reports/resources/", {"since": "nonsense"}).status_code == 400


def test_the_page_needs_a_login(stored, client):
    response = client.get("/reports/resources/")
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_the_pod_page_names_the_init_container_that_sets_the_effective_request(stored, logged_in_client):
    html = logged_in_client.get("/pods/b/", {"cluster": CLUSTER}).content.decode()
    assert 'data-field="init_dominates"' in html
    assert "migrate" in html and "+1792Mi" in html
