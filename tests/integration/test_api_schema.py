"""Real answers of every API endpoint, validated against the OpenAPI schema the API serves.

Every object in the schema is closed (`additionalProperties: false`) and lists its fields as required, so
a field the API returns and the schema lacks fails here, and so does a field the schema promises and the
API does not return. The data is realistic: every bundled sample recording (failures, sidecars, a
recreated sandbox, deleted Pods), log tails kept with failed attempts, a Pod known only from an Event (not
served), and a kubesim cluster for live logs and watch health. Each test also checks that it met every
answer (status code) the schema documents for its endpoint, and one test that the schema documents every
API route.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from openapi_core.contrib.django import DjangoOpenAPIRequest

from pods.api.reference import docs_path, render_reference, with_reference
from pods.ingest import WatchItem, attempt_set_log_tail, ingest_batch
from pods.models import Attempt, Cluster, Pod, WatchCursor
from tests.samples import import_files
from tests.services import settings_for_cluster

pytestmark = pytest.mark.django_db

LOG_TAIL = 'ERROR: relation "orders" does not exist\n<script>alert(1)</script>\n'
PLACEHOLDER_UID = "uid-known-only-from-an-event"
# An Event about a Pod whose object never arrived: stored as a placeholder, which the API must not serve.
EARLY_EVENT = {
    "apiVersion": "v1",
    "kind": "Event",
    "metadata": {"name": "ghost.18a1", "namespace": "shop", "uid": "ev-ghost", "resourceVersion": "900"},
    "involvedObject": {"kind": "Pod", "namespace": "shop", "name": "ghost", "uid": PLACEHOLDER_UID},
    "reason": "Scheduled",
    "message": "Successfully assigned shop/ghost to node-1",
    "type": "Normal",
    "count": 1,
    "firstTimestamp": "2025-06-02T09:00:00Z",
    "lastTimestamp": "2025-06-02T09:00:00Z",
    "source": {"component": "default-scheduler"},
}


@pytest.fixture
def samples_with_log_tails(imported_samples) -> list[Attempt]:
    """The samples, with a log tail kept on the newest failed attempt of each failed container."""
    cluster = Cluster.objects.get(name="samples")
    kept = []
    failed = Attempt.objects.filter(pod__cluster=cluster, pod__seen=True, exit_code__gt=0)
    for attempt in failed.select_related("pod", "container").order_by("-generation", "-number"):
        if any(k.container_id == attempt.container_id for k in kept):  # the FK: one per container
            continue
        assert attempt_set_log_tail(
            cluster=cluster,
            uid=attempt.pod.uid,
            container=attempt.container.name,
            generation=attempt.generation,
            number=attempt.number,
            text=LOG_TAIL,
        )
        kept.append(attempt)
    assert kept, "the samples have failed attempts"
    ingest_batch(cluster=cluster, items=[WatchItem(kind="event", type="ADDED", object=EARLY_EVENT)])
    assert Pod.objects.filter(uid=PLACEHOLDER_UID, seen=False).exists()
    return kept


def test_the_schema_documents_every_api_route_and_nothing_else(schema):
    routes = set()

    def walk(patterns, prefix):
        for p in patterns:
            if isinstance(p, URLResolver):
                walk(p.url_patterns, prefix + str(p.pattern))
            elif isinstance(p, URLPattern) and getattr(p.callback, "cls", None):
                routes.add(DjangoOpenAPIRequest.path_regex.sub(r"{\1}", "/" + prefix + str(p.pattern)))

    walk(get_resolver().url_patterns, "")
    api_routes = {r for r in routes if r.startswith("/api/v1/")}
    assert api_routes == set(schema["paths"])
    assert api_routes == {
        "/api/v1/pods", "/api/v1/pods/{uid}", "/api/v1/pods/{uid}/logs", "/api/v1/clusters",
        "/api/v1/workloads", "/api/v1/reports/init-containers", "/api/v1/reports/pod-startup",
        "/api/v1/reports/init-containers/trend", "/api/v1/reports/init-containers/pods",
        "/api/v1/reports/init-containers/compare", "/api/v1/reports/incident",
        "/api/v1/reports/nodes", "/api/v1/reports/resources", "/api/v1/alerts",
    }  # fmt: skip


def test_the_served_schema_is_the_generated_one(logged_in_client, schema):
    response = logged_in_client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    assert response.json() == schema


def test_docs_api_md_holds_the_reference_rendered_from_the_schema(schema):
    committed = docs_path().read_text(encoding="utf-8")
    rendered = with_reference(committed, render_reference(schema))
    assert committed == rendered, "docs/api.md is out of date: run `python manage.py api_docs`"
    for name, component in schema["components"]["schemas"].items():
        for field in component.get("properties", {}):
            assert f"| `{field}` |" in committed, f"{name}.{field} is documented"


def test_pod_list_answers_match_the_schema(api, anonymous, samples_with_log_tails):
    everything = api.get("/api/v1/pods", {"page_size": 500}).json()
    rows = everything["results"]
    assert len(rows) == Pod.objects.filter(seen=True).count()
    assert PLACEHOLDER_UID not in {r["uid"] for r in rows}
    assert any(r["deleted_at"] for r in rows) and any(r["diagnosis"] for r in rows)
    middle = api.get("/api/v1/pods", {"page_size": 3, "page": 2}).json()
    assert middle["next"] and middle["previous"]
    api.get("/api/v1/pods", {"stuck": "true", "namespace": rows[0]["namespace"], "search": "a"})
    api.get("/api/v1/pods", {"page_size": 0})
    anonymous.get("/api/v1/pods")
    api.assert_met_every_documented_answer("/api/v1/pods")


def test_every_pod_document_matches_the_schema(api, anonymous, samples_with_log_tails):
    tails = {(a.pod.uid, a.container.name) for a in samples_with_log_tails}
    documents = [api.get("/api/v1/pods/{uid}", uid=pod.uid).json() for pod in Pod.objects.filter(seen=True)]
    containers = [c for d in documents for c in d["containers"]]
    attempts = [a for c in containers for a in c["attempts"]]
    assert {c["kind"] for c in containers} == {"init", "sidecar", "app"}
    assert any(a["log_tail"] == LOG_TAIL for a in attempts) and len(tails) > 1
    assert any(not a["known"] for a in attempts), "a restartCount-proven attempt without details"
    assert any(a["generation"] > 0 for a in attempts), "a recreated sandbox"
    assert any(d["deleted_at"] for d in documents) and any(d["signals"] for d in documents)
    assert any(c["pull"] and c["pull"]["failures"] for c in containers)
    assert any(c["pull"] is None for c in containers) and any(d["events"] for d in documents)
    uid = documents[0]["uid"]
    api.get("/api/v1/pods/{uid}", {"cluster": "samples"}, uid=uid)
    api.get("/api/v1/pods/{uid}", uid="no-such-uid")
    assert api.get("/api/v1/pods/{uid}", uid=PLACEHOLDER_UID).status_code == 404
    anonymous.get("/api/v1/pods/{uid}", uid=uid)
    api.assert_met_every_documented_answer("/api/v1/pods/{uid}")


def test_workload_list_and_related_events_match_the_schema(api, anonymous, tmp_path):
    """Workloads with and without a diagnosis (a kubesim `quota-exceeded` capture), and Pod documents and
    rows whose Events and diagnosis include the ones about their PersistentVolumeClaim or Node."""
    from tests.captures import capture

    for scenario, seconds in (("quota-exceeded", 200), ("pvc-pending", 90), ("disk-pressure", 60)):
        import_files(scenario, capture(scenario, seconds, tmp_path / f"{scenario}.json"))
    rows = api.get("/api/v1/workloads", {"page_size": 500}).json()["results"]
    assert any(r["diagnosis"] for r in rows) and any(r["diagnosis"] is None and r["pods"] for r in rows)
    middle = api.get("/api/v1/workloads", {"page_size": 1, "page": 2}).json()
    assert middle["next"] and middle["previous"]
    api.get("/api/v1/workloads", {"stuck": "true", "cluster": "quota-exceeded", "namespace": "default"})
    api.get("/api/v1/workloads", {"page_size": 0})
    anonymous.get("/api/v1/workloads")
    api.assert_met_every_documented_answer("/api/v1/workloads")
    documents = [api.get("/api/v1/pods/{uid}", uid=pod.uid).json() for pod in Pod.objects.filter(seen=True)]
    assert {e["about"]["kind"] for d in documents for e in d["events"] if e["about"]} == {
        "PersistentVolumeClaim", "Node",
    }  # fmt: skip
    api.get("/api/v1/pods", {"page_size": 500})


@pytest.mark.parametrize("report", ["init-containers", "pod-startup", "nodes", "resources"])
def test_reports_match_the_schema(api, anonymous, samples_with_log_tails, report):
    """Every report over the samples (failures, sidecars, placeholders, pulls) and over nothing."""
    from tests.integration import report_table

    report_table.build()
    template = f"/api/v1/reports/{report}"
    everything = api.get(template, {"since": "2000-01-01", "until": "2100-01-01", "source": "raw"}).json()
    assert everything["source"] == "raw" and len(everything["rows"]) > 1
    if report != "resources":  # from hourly rollups (before the raw horizon), with their bound
        from pods.reports import rollup_build

        rollup_build.rebuild(None, None)
        rolled = api.get(template, {"since": "2000-01-01", "until": "2100-01-01"}).json()
        assert rolled["source"] == "rollup" and rolled["bound"] and len(rolled["rows"]) > 1
    if report == "init-containers":
        rows = everything["rows"]
        assert any(r["pull_p50"] is None for r in rows), "null where nothing was measured"
        assert any(r["top_reasons"] for r in rows) and {r["kind"] for r in rows} == {"init", "sidecar"}
    api.get(template, {"cluster": "c1", "namespace": "shop", "workload": "Deployment/api", "since": "-7d"})
    api.get(template, {"container": "migrate", "since": "2025-06-01T00:00:00Z", "until": "2025-06-02"})
    api.get(template, {"since": "last tuesday"})
    anonymous.get(template)
    api.assert_met_every_documented_answer(template)


def test_report_row_trend_and_pods_match_the_schema(api, anonymous, samples_with_log_tails):
    """A row's trend (hours, days) and its slowest and failed Pods over the samples and the table."""
    from tests.integration import report_table

    report_table.build()
    row = {"cluster": "c1", "namespace": "shop", "workload": "Deployment/api", "container": "migrate"}
    day = {"since": "2025-06-01T00:00:00Z", "until": "2025-06-02"}
    template = "/api/v1/reports/init-containers/trend"
    hours = api.get(template, {**row, **day}).json()
    assert hours["bucket"] == "hour" and any(b["duration_p50"] is None for b in hours["buckets"])
    api.get(template, {"since": "2000-01-01", "until": "2100-01-01", "bucket": "day"})  # too many days
    api.get(template, {**row, "since": "2025-05-01", "until": "2025-06-30", "bucket": "day"})
    anonymous.get(template)
    api.assert_met_every_documented_answer(template)
    template = "/api/v1/reports/init-containers/pods"
    failed = api.get(template, {**row, **day, "order": "failed"}).json()["pods"]
    assert any(not f["known"] for p in failed for f in p["failures"])
    slowest = api.get(template, {"since": "2000-01-01", "until": "2100-01-01", "limit": 100}).json()["pods"]
    assert {p["kind"] for p in slowest} == {"init", "sidecar"} and any(p["deleted_at"] for p in slowest)
    api.get(template, {"order": "newest"})
    anonymous.get(template)
    api.assert_met_every_documented_answer(template)


def test_stored_logs_match_the_schema(api, anonymous, without_logs, samples_with_log_tails):
    kept = samples_with_log_tails[0]
    stored = api.get("/api/v1/pods/{uid}/logs", {"container": kept.container.name}, uid=kept.pod.uid).json()
    assert stored["source"] == "stored" and stored["attempt"]["number"] == kept.number
    without = Pod.objects.filter(seen=True).exclude(uid__in=[a.pod.uid for a in samples_with_log_tails])
    nothing = api.get("/api/v1/pods/{uid}/logs", {"tail": 5}, uid=without.first().uid).json()
    assert nothing["source"] == "none" and nothing["text"] == "" and nothing["lines"] == 0
    api.get("/api/v1/pods/{uid}/logs", {"container": "nope"}, uid=kept.pod.uid)
    api.get("/api/v1/pods/{uid}/logs", {"tail": "x"}, uid=kept.pod.uid)
    api.get("/api/v1/pods/{uid}/logs", uid="no-such-uid")
    anonymous.get("/api/v1/pods/{uid}/logs", uid=kept.pod.uid)
    denied = without_logs.get("/api/v1/pods/{uid}/logs", {"container": kept.container.name}, uid=kept.pod.uid)
    assert denied.status_code == 403
    api.assert_met_every_documented_answer("/api/v1/pods/{uid}/logs")


@pytest.mark.integration
def test_live_logs_and_watch_health_match_the_schema(kubesim_cluster, transactional_db, api, anonymous):
    from pods import watch

    sim = kubesim_cluster("crash-loop", seed=2)
    retired = Cluster.objects.create(name="retired", watched=True, watch_failures=3)
    WatchCursor.objects.create(
        cluster=retired,
        resource="pods",
        namespace="",
        resource_version="42",
        last_error="410 Gone",
        last_error_at=datetime(2025, 6, 1, tzinfo=UTC),
    )
    with settings_for_cluster(sim):
        sim.drive(45)
        w = watch.cluster_watch(sim.name)
        for stream in w.streams:
            watch.list_once(w, stream)
        pod = Pod.objects.filter(cluster__name="sim", deleted_at__isnull=True).first()
        live = api.get("/api/v1/pods/{uid}/logs", {"previous": "1", "tail": 3}, uid=pod.uid).json()
        assert live["source"] == "live" and live["previous"] is True
        api.get("/api/v1/pods/{uid}", uid=pod.uid)
        health = api.get("/api/v1/clusters").json()["results"]
        anonymous.get("/api/v1/clusters")
    assert {row["state"] for row in health} >= {"not-configured"}
    assert {s["resource"] for row in health for s in row["streams"]} == {"pods", "events"}
    api.assert_met_every_documented_answer("/api/v1/clusters")
