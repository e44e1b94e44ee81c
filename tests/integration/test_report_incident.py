"""The incident report of one workload, over Pods written through the real ingest (so the slowest Pods'
waterfalls draw from their stored timelines), by hand:

Deployment/api in cluster `inc`, the hour from 10:00 (builders' BASE):
- `crash` (api-…-crash): `db` 3-10 s, then `migrate` fails four times (20-22, 50-52, 80-82, 110-112 s,
  exit 1, a termination message with markup) into CrashLoopBackOff; a Warning BackOff Event (count 4) and
  a Normal Pulled one.
- `fine`: `db` 3-10 s, `migrate` 11-12 s, Initialized at 12 s.
- Deployment/web's Pod `web-…`: fails too, and is another workload's.
"""

from __future__ import annotations

import copy
from datetime import timedelta

import orjson
import pytest
from django.test import Client

from pods.ingest import WatchItem, cluster_get_or_create, ingest_batch
from pods.models import Cluster
from tests.builders import at, crash_loop_sequence, event, running_pod
from tests.tokens import api_key

pytestmark = pytest.mark.django_db

XSS = "<script>alert(1)</script>"
MESSAGE = f'relation "users" does not exist {XSS}'
BACKOFF = f"Back-off restarting failed container migrate {XSS}"
URL = "/api/v1/reports/incident"
PARAMS = {
    "cluster": "inc",
    "namespace": "shop",
    "workload": "Deployment/api",
    "since": "2025-06-01T10:00:00Z",
    "until": "2025-06-01T11:00:00Z",
}
CRASH, FINE, WEB = "uid-crash", "uid-fine", "uid-web"


def _web(obj: dict) -> dict:
    obj = copy.deepcopy(obj)
    obj["metadata"]["ownerReferences"][0]["name"] = "web-7d9f8c6b5"
    return obj


def build() -> Cluster:
    crash = crash_loop_sequence(message=MESSAGE, uid=CRASH, name="api-7d9f8c6b5-crash")
    fine = running_pod()
    fine["metadata"].update(uid=FINE, name="api-7d9f8c6b5-fine")
    web = [_web(o) for o in crash_loop_sequence(message="web down", uid=WEB, name="web-7d9f8c6b5-x")]
    events = [
        event("BackOff", BACKOFF, when=24, last_when=112,
              count=4, etype="Warning", container="migrate", pod_uid=CRASH, pod_name="api-7d9f8c6b5-crash"),
        event("Pulled", "Container image already present on machine", when=19, container="migrate",
              pod_uid=CRASH, pod_name="api-7d9f8c6b5-crash"),
        event("BackOff", "Back-off restarting failed container migrate", when=24, count=9, etype="Warning",
              container="migrate", pod_uid=WEB, pod_name="web-7d9f8c6b5-x"),
    ]  # fmt: skip
    items = [WatchItem(kind="pod", type="MODIFIED", object=o) for o in [*crash, fine, *web]]
    items += [WatchItem(kind="event", type="ADDED", object=e) for e in events]
    cluster = cluster_get_or_create(name="inc")
    result = ingest_batch(cluster=cluster, items=items)
    assert not result.rejected, result.rejected
    return Cluster.objects.get(name="inc")


@pytest.fixture
def stored(db):
    return build()


def iso(seconds: float) -> str:
    return at(seconds).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_what_failed_when_how_often_and_why(stored, logged_in_client):
    document = logged_in_client.get(URL, PARAMS).json()
    assert (document["cluster"], document["namespace"], document["workload_kind"], document["workload"]) == (
        "inc", "shop", "Deployment", "api",
    )  # fmt: skip
    assert (document["since"], document["until"], document["bucket_seconds"]) == (iso(0), iso(3600), 60)
    assert len(document["buckets"]) == 60 and document["buckets"][1] == iso(60)
    # db 7 s twice; migrate 2 s four times (failed) and 1 s: [1, 2, 2, 2, 2, 7, 7]
    assert document["summary"] == {
        "pods": 2, "pods_affected": 1, "attempts": 7, "failed": 4, "failure_rate": 0.5714,
        "duration_p50": 2.0, "duration_p95": 7.0, "first_failure_at": iso(22), "last_failure_at": iso(112),
    }  # fmt: skip
    db, migrate = document["containers"]
    assert (db["container"], db["attempts"], db["failed"], db["pods"]) == ("db", 2, 0, 2)
    assert (migrate["container"], migrate["attempts"], migrate["failed"]) == ("migrate", 5, 4)
    # started at 11 (fine), 20, 50 (failed) in the first minute, 80, 110 (failed) in the second
    assert migrate["attempts_per_bucket"][:3] == [3, 2, 0] and migrate["failed_per_bucket"][:3] == [2, 2, 0]
    assert sum(migrate["failed_per_bucket"]) == 4 and len(migrate["failed_per_bucket"]) == 60
    # distinct messages: the builders' restarted statuses repeat lastState without the message, so only
    # the last failure keeps it (the stored attempts say so)
    assert document["reasons"] == [
        {"container": "migrate", "reason": "Error", "exit_code": 1, "message": "", "count": 3, "pods": 1,
         "first_at": iso(22), "last_at": iso(82)},
        {"container": "migrate", "reason": "Error", "exit_code": 1, "message": MESSAGE, "count": 1, "pods": 1,
         "first_at": iso(112), "last_at": iso(112)},
    ]  # fmt: skip
    assert document["events"] == [
        {"container": "migrate", "reason": "BackOff", "message": BACKOFF,
         "count": 4, "pods": 1, "first_at": iso(24), "last_at": iso(112)},
    ]  # fmt: skip


def test_the_pods_affected_and_the_slowest(stored, logged_in_client):
    document = logged_in_client.get(URL, PARAMS).json()
    crash, fine = document["pods"]
    assert (crash["uid"], crash["failed"], crash["warnings"], crash["initialized"]) == (CRASH, 4, 4, False)
    assert (crash["first_failure_at"], crash["last_failure_at"]) == (iso(22), iso(112))
    assert (fine["uid"], fine["failed"], fine["startup_seconds"], fine["initialized"]) == (
        FINE,
        0,
        12.0,
        True,
    )
    # never Initialized: counted to the end of the recording's data (its "now": the workload's newest
    # fact, the last failure and the BackOff Event at 112 s, plus a second)
    assert crash["startup_seconds"] == 113.0
    assert document["slowest"] == [CRASH, FINE]
    assert logged_in_client.get(URL, {**PARAMS, "slowest": "1"}).json()["slowest"] == [CRASH]
    assert WEB not in {p["uid"] for p in document["pods"]}


def test_only_the_period_counts(stored, logged_in_client):
    # 10:01:00-11:00: the attempts started at 80 and 110 s only
    later = logged_in_client.get(URL, {**PARAMS, "since": "2025-06-01T10:01:00Z"}).json()
    assert (later["summary"]["attempts"], later["summary"]["failed"]) == (2, 2)
    assert later["summary"]["first_failure_at"] == iso(82)
    assert [p["uid"] for p in later["pods"]] == [CRASH]  # the Warning Event still overlaps
    before = logged_in_client.get(
        URL, {**PARAMS, "since": "2025-06-01T09:00:00Z", "until": "2025-06-01T10:00:00Z"}
    )
    assert before.json()["pods"] == [] and before.json()["summary"]["attempts"] == 0


def test_the_json_download_is_the_same_document(stored, logged_in_client):
    document = logged_in_client.get(URL, PARAMS).json()
    response = logged_in_client.get(URL, {**PARAMS, "format": "json"})
    assert response.status_code == 200 and response["Content-Type"].startswith("application/json")
    assert response["Content-Disposition"] == 'attachment; filename="incident.json"'
    assert orjson.loads(response.content) == document


def test_defaults_for_a_recording_end_with_its_data(stored, logged_in_client):
    document = logged_in_client.get(URL, {k: PARAMS[k] for k in ("cluster", "namespace", "workload")}).json()
    # the end of the data: the cluster's `observed_until` (the Pod objects' newest time: the end of
    # migrate's last failed run, 112 s), or a later Event of the workload, plus a second
    assert Cluster.objects.get(name="inc").observed_until == at(112)
    end = at(113)
    assert (document["since"], document["until"]) == (iso(113 - 86400), iso(113))
    assert (document["summary"]["attempts"], document["summary"]["failed"]) == (7, 4)
    relative = logged_in_client.get(URL, {**PARAMS, "since": "-1h", "until": ""}).json()
    assert relative["since"] == (end - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.mark.parametrize(
    ("params", "field"),
    [({"since": "yesterday"}, "since"), ({"workload": ""}, "workload"), ({"slowest": "99"}, "slowest")],
)
def test_bad_parameters_are_named(stored, logged_in_client, params, field):
    response = logged_in_client.get(URL, {**PARAMS, **params})
    assert response.status_code == 400 and list(response.json()) == [field]


def test_the_incident_api_needs_a_session_or_a_token(stored, client, user):
    assert client.get(URL, PARAMS).status_code == 401
    assert client.get(URL, {**PARAMS, "format": "json"}).status_code == 401
    token = api_key(user)
    assert client.get(URL, PARAMS, HTTP_AUTHORIZATION=f"Token {token}").json()["slowest"] == [CRASH, FINE]


def test_incident_answers_match_the_schema(stored, api, anonymous):
    document = api.get(URL, PARAMS).json()
    assert document["reasons"] and document["events"] and document["slowest"]
    assert any(p["deleted_at"] is None for p in document["pods"])
    api.get(URL, {**PARAMS, "since": "2025-06-01T09:00:00Z", "until": "2025-06-01T10:00:00Z"})  # nothing
    api.get(URL, {**PARAMS, "since": "yesterday"})
    anonymous.get(URL, PARAMS)
    api.assert_met_every_documented_answer(URL)


# ------------------------------------------------------------------------------------------------ page


def test_the_page_shows_the_content_escaped_with_the_slowest_waterfalls(stored, logged_in_client):
    response = logged_in_client.get("/reports/incident/", PARAMS)
    assert response.status_code == 200
    html = response.content.decode()
    assert XSS not in html and "relation &quot;users&quot; does not exist &lt;script&gt;" in html
    assert "Back-off restarting failed container migrate &lt;script&gt;" in html
    assert response.context["document"] == logged_in_client.get(URL, PARAMS).json()
    # one waterfall per slowest Pod, ids prefixed, each titled with a link to its Pod page
    assert html.count('class="card wf"') == 2 and 'id="p0-waterfall"' in html and 'id="p1-waterfall"' in html
    assert 'id="waterfall"' not in html
    assert f'href="/pods/{CRASH}/?cluster=inc" data-pod-link' in html
    assert f'href="/pods/{FINE}/?cluster=inc" data-pod-link' in html
    assert f'href="/pods/{CRASH}/?cluster=inc#attempts-' in html  # the lane labels
    assert "format=json" in html and "data-print" in html and "Print / Save as PDF" in html
    assert "app/css/incident.css" in html


def test_the_page_asks_for_a_workload_and_needs_a_login(stored, logged_in_client):
    assert Client().get("/reports/incident/", PARAMS).status_code == 302
    empty = logged_in_client.get("/reports/incident/")
    assert empty.status_code == 200 and empty.context["document"] is None
    bad = logged_in_client.get("/reports/incident/", {**PARAMS, "since": "yesterday"})
    assert bad.context["document"] is None and "since" in dict(bad.context["errors"])


def test_the_pod_page_links_to_its_workloads_incident_report(stored, logged_in_client):
    html = logged_in_client.get(f"/pods/{CRASH}/", {"cluster": "inc"}).content.decode()
    assert "/reports/incident/?cluster=inc&amp;namespace=shop&amp;workload=Deployment/api" in html
