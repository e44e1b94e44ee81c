"""The logs endpoint behind the Pod page's log panel: clean reasons (never an exception's text), the
previous attempt never passed off as the current one, which attempt and how many lines, timestamps on
demand, and one attempt by its number."""

from __future__ import annotations

import re

import pytest

from pods import kube, watch
from pods.api.logs import NO_PREVIOUS, NOT_KEPT, live_failure
from pods.models import Attempt, Pod
from tests.services import settings_for_cluster

pytestmark = [pytest.mark.integration]
RAW = "HTTPSConnectionPool(host='10.0.0.1', port=6443): Max retries exceeded <Traceback>"


@pytest.fixture
def crash_loop(kubesim_cluster, transactional_db):
    sim = kubesim_cluster("crash-loop", seed=2)
    with settings_for_cluster(sim):
        sim.drive(45)
        w = watch.cluster_watch(sim.name)
        for stream in w.streams:
            watch.list_once(w, stream)
        yield sim


def logs(client, pod, **params):
    response = client.get(f"/api/v1/pods/{pod.uid}/logs", params)
    assert response.status_code == 200, response.content
    return response.json()


def newest_migrate(pod):
    return Attempt.objects.filter(pod=pod, container__name="migrate").order_by("-generation", "-number")


def the_pod():
    return Pod.objects.filter(cluster__name="sim", deleted_at__isnull=True).first()


def test_current_and_previous_say_which_attempt_and_how_many_lines(crash_loop, logged_in_client):
    pod = the_pod()
    newest = newest_migrate(pod).first()
    current = logs(logged_in_client, pod, container="migrate")
    previous = logs(logged_in_client, pod, container="migrate", previous="1")
    assert current["source"] == previous["source"] == "live"
    assert current["attempt"]["number"] == newest.number and current["previous"] is False
    assert previous["attempt"]["number"] == newest.number - 1 and previous["previous"] is True
    assert current["lines"] == len(current["text"].splitlines()) > 0
    assert current["same_as_current"] is False
    # The simulated migration prints the same lines every attempt: the answer says so.
    assert previous["same_as_current"] is (previous["text"] == current["text"])


def test_timestamps_are_passed_to_the_kubelet(crash_loop, logged_in_client):
    body = logs(logged_in_client, the_pod(), container="migrate", timestamps="1", tail=3)
    assert body["timestamps"] is True and 0 < body["lines"] <= 3
    assert all(re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", line) for line in body["text"].splitlines())
    plain = logs(logged_in_client, the_pod(), container="migrate", tail=3)
    assert plain["timestamps"] is False and not re.match(r"\d{4}-", plain["text"])


def test_a_container_without_a_previous_attempt_says_so(crash_loop, logged_in_client):
    body = logs(logged_in_client, the_pod(), container="wait-for-db", previous="1")
    assert body["source"] == "none" and body["reason"] == NO_PREVIOUS
    assert body["text"] == "" and body["same_as_current"] is False


def test_one_attempt_by_number(crash_loop, logged_in_client):
    pod = the_pod()
    newest = newest_migrate(pod).first().number
    assert newest >= 2, "three attempts at least"
    assert logs(logged_in_client, pod, container="migrate", attempt=newest)["previous"] is False
    by_number = logs(logged_in_client, pod, container="migrate", attempt=newest - 1)
    assert by_number["previous"] is True and by_number["attempt"]["number"] == newest - 1
    old = logs(logged_in_client, pod, container="migrate", attempt=newest - 2)
    assert old["source"] in ("stored", "none") and old["reason"] == NOT_KEPT
    assert old["source"] == "none" or old["attempt"]["number"] == newest - 2
    missing = logged_in_client.get(f"/api/v1/pods/{pod.uid}/logs?container=migrate&attempt=999")
    assert missing.status_code == 400 and missing.json() == {"attempt": ["the container has no attempt #999"]}
    bad = logged_in_client.get(f"/api/v1/pods/{pod.uid}/logs?attempt=x")
    assert bad.status_code == 400 and bad.json() == {"attempt": ["must be a whole number"]}


class Failing:
    def __init__(self, exc):
        self.exc = exc

    def pod_log(self, **kwargs):
        raise self.exc


@pytest.mark.parametrize(
    ("exc", "reason"),
    [
        (
            kube.ConnectionFailed(f"GET /api/v1/namespaces/x/pods/y/log: {RAW}"),
            "the cluster could not be reached",
        ),
        (kube.ApiError(500, "InternalError", RAW), "the cluster failed to serve the log (HTTP 500)"),
        (
            kube.ApiError(403, "Forbidden", RAW),
            "the cluster does not allow reading this Pod's log (pods/log, HTTP 403)",
        ),
        (kube.ApiError(404, "NotFound", RAW), "the cluster no longer has this Pod"),
        (kube.ApiError(422, "Invalid", RAW), "the cluster refused the log request (HTTP 422)"),
        (kube.KubeError(RAW), "the cluster could not be asked"),
    ],
)
def test_live_failures_are_said_in_plain_words(crash_loop, logged_in_client, monkeypatch, exc, reason):
    monkeypatch.setattr(kube, "shared_client", lambda name: Failing(exc))
    response = logged_in_client.get(f"/api/v1/pods/{the_pod().uid}/logs?container=migrate")
    assert response.status_code == 200
    assert response.json()["reason"] == reason
    assert b"Max retries" not in response.content and b"Traceback" not in response.content
    assert response.json()["source"] == "stored", "the kept tail stands in"


def test_the_kubelets_400s_become_plain_words():
    gone = kube.ApiError(400, "BadRequest", 'previous terminated container "x" in pod "y" not found')
    assert live_failure(gone, previous=True) == NO_PREVIOUS
    waiting = kube.ApiError(
        400, "BadRequest", 'container "x" in pod "y" is waiting to start: PodInitializing'
    )
    assert live_failure(waiting) == "the container has not started yet"


def test_error_answers_carry_no_exception_text(crash_loop, logged_in_client):
    pod = the_pod()
    for url, status in [
        ("/api/v1/pods/no-such-uid/logs", 404),
        (f"/api/v1/pods/{pod.uid}/logs?container=nope", 400),
        (f"/api/v1/pods/{pod.uid}/logs?tail=x", 400),
        (f"/api/v1/pods/{pod.uid}/logs?generation=-1&attempt=1", 400),
    ]:
        response = logged_in_client.get(url)
        assert response.status_code == status
        assert response["Content-Type"] == "application/json"
        assert b"Traceback" not in response.content and b"Exception" not in response.content
