"""The watch steps in-process against kubesim: failure log tails kept with their attempts, owners
resolved through the API (Job -> CronJob), the Pod logs endpoint (live, then the kept tail when the Pod is
gone or pods/log is forbidden) and the clusters endpoint."""

from __future__ import annotations

import pytest

from pods import selectors, watch
from pods.models import Attempt, Cluster, Pod
from tests.services import settings_for_cluster

pytestmark = [pytest.mark.integration]
ERROR_LINE = 'ERROR: relation "orders" does not exist'


def relist(sim) -> watch.ClusterWatch:
    w = watch.cluster_watch(sim.name)
    for stream in w.streams:
        watch.list_once(w, stream)
    return w


@pytest.fixture
def crash_loop(kubesim_cluster, transactional_db):
    sim = kubesim_cluster("crash-loop", seed=2)
    with settings_for_cluster(sim):
        sim.drive(45)
        relist(sim)
        yield sim


def migrate_attempts(uid: str):
    return Attempt.objects.filter(pod__uid=uid, container__name="migrate").order_by("number")


def test_failed_init_attempts_keep_their_log_tail(crash_loop):
    pod = Pod.objects.filter(cluster__name="sim", deleted_at__isnull=True).first()
    attempts = list(migrate_attempts(pod.uid))
    restart_count = pod.containers.get(name="migrate").restart_count
    kept = [a for a in attempts if a.log_tail]
    assert kept, "the newest failed attempts have their log"
    assert all(a.number >= restart_count - 1 for a in kept), "only attempts the kubelet still keeps"
    assert all(ERROR_LINE in a.log_tail for a in kept)


def test_the_logs_endpoint_reads_live_then_falls_back_to_the_kept_tail(crash_loop, logged_in_client):
    pod = Pod.objects.filter(cluster__name="sim", deleted_at__isnull=True).first()
    live = logged_in_client.get(f"/api/v1/pods/{pod.uid}/logs?container=migrate&tail=5").json()
    assert live["source"] == "live" and ERROR_LINE in live["text"]
    assert len(live["text"].splitlines()) <= 5
    previous = logged_in_client.get(f"/api/v1/pods/{pod.uid}/logs?container=migrate&previous=1").json()
    assert previous["source"] == "live" and previous["previous"] is True

    crash_loop.ks.call(crash_loop.ks.sim.delete_pod, pod.namespace, pod.name, 0)
    crash_loop.drive(2)
    relist(crash_loop)
    assert Pod.objects.get(pk=pod.pk).deleted_at is not None
    gone = logged_in_client.get(f"/api/v1/pods/{pod.uid}/logs?container=migrate").json()
    assert gone["source"] == "stored" and gone["reason"] == "the Pod was deleted"
    assert ERROR_LINE in gone["text"] and gone["attempt"]["exit_code"] == 1


def test_forbidden_pod_logs_fall_back_to_the_kept_tail(crash_loop, logged_in_client):
    crash_loop.ks.call(crash_loop.ks.sim.forbidden.add, ("get", "pods/log"))
    pod = Pod.objects.filter(cluster__name="sim", deleted_at__isnull=True).first()
    body = logged_in_client.get(f"/api/v1/pods/{pod.uid}/logs").json()
    assert body["container"] == "migrate", "defaults to the failing container"
    assert body["source"] == "stored" and body["reason"] == (
        "the cluster does not allow reading this Pod's log (pods/log, HTTP 403)"
    )


def test_log_capture_switches_itself_off_when_rbac_forbids_it(kubesim_cluster, transactional_db, caplog):
    sim = kubesim_cluster("crash-loop", seed=2, forbidden={("get", "pods/log")})
    with settings_for_cluster(sim):
        sim.drive(45)
        w = relist(sim)
    assert w.capture_logs is False
    assert "log capture switched off" in caplog.text
    assert not Attempt.objects.exclude(log_tail="").exists()


def test_the_logs_endpoint_validates_its_parameters(crash_loop, logged_in_client):
    pod = Pod.objects.filter(cluster__name="sim").first()
    assert logged_in_client.get(f"/api/v1/pods/{pod.uid}/logs?container=nope").status_code == 400
    assert logged_in_client.get(f"/api/v1/pods/{pod.uid}/logs?tail=0").status_code == 400
    assert logged_in_client.get("/api/v1/pods/no-such-uid/logs").status_code == 404


def test_the_logs_endpoint_takes_a_token_and_needs_one(crash_loop, user):
    from django.test import Client

    from tests.tokens import api_key

    pod = Pod.objects.filter(cluster__name="sim").first()
    anonymous = Client()
    assert anonymous.get(f"/api/v1/pods/{pod.uid}/logs").status_code in (401, 403)
    token = api_key(user)
    response = anonymous.get(f"/api/v1/pods/{pod.uid}/logs", HTTP_AUTHORIZATION=f"Token {token}")
    assert response.status_code == 200 and response.json()["container"] == "migrate"


def test_owners_are_resolved_through_the_api(kubesim_cluster, transactional_db):
    sim = kubesim_cluster("demo", seed=4)
    with settings_for_cluster(sim):
        sim.drive(400)
        relist(sim)
    owners = set(Pod.objects.filter(name__startswith="report-").values_list("owner_kind", "owner_name"))
    assert owners == {("CronJob", "report")}
    assert ("Deployment", "api") in set(Pod.objects.values_list("owner_kind", "owner_name"))


def test_the_clusters_endpoint_and_page_show_watch_health(crash_loop, logged_in_client):
    with settings_for_cluster(crash_loop):
        body = logged_in_client.get("/api/v1/clusters").json()
        page = logged_in_client.get("/clusters/")
    (row,) = body["results"]
    assert row["name"] == "sim" and row["configured"] and row["last_error"] == ""
    assert {s["resource"] for s in row["streams"]} == {"pods", "events"}
    assert all(s["resource_version"] for s in row["streams"])
    assert page.status_code == 200 and b'data-cluster="sim"' in page.content
    assert Cluster.objects.get(name="sim").cursors.count() == 2


def test_the_clusters_endpoint_needs_a_login(client):
    assert client.get("/api/v1/clusters").status_code in (401, 403)


def test_manage_watch_runs_one_window_through_the_tasks_code(kubesim_cluster, transactional_db):
    import io

    from django.core.management import call_command

    sim = kubesim_cluster("healthy", seed=2)
    sim.drive(20)
    err = io.StringIO()
    with settings_for_cluster(sim, REDIS_URL=""):
        call_command("watch", cluster=sim.name, once=True, seconds=1, stderr=err)
    assert "sim: window" in err.getvalue()
    assert Pod.objects.filter(cluster__name="sim").count() == len(sim.pods())
    assert Cluster.objects.get(name="sim").watched


def test_a_namespaced_clusters_error_is_cleared_by_its_own_streams(db, settings):
    from datetime import UTC, datetime

    from pods.models import WatchCursor

    settings.INITSCOPE_CLUSTERS = ["narrow"]
    settings.INITSCOPE_CLUSTER_NAMESPACES = "narrow=shop"
    watch.record_cluster_error("narrow", "cannot load the configuration")
    cursors = WatchCursor.objects.filter(cluster__name="narrow")
    assert set(cursors.values_list("resource", "namespace")) == {("pods", "shop"), ("events", "shop")}
    assert selectors.cluster_health()[0]["state"] == "error"
    cursors.update(last_ok_at=datetime.now(UTC))  # what the streams' next success saves
    assert selectors.cluster_health()[0]["state"] != "error"
