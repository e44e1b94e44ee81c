"""Issue 11, "Truth about freshness": the one staleness rule (`pods.selectors.clusters._freshness`, read
through `cluster_health`, `cluster_freshness` and `page_freshness`), what the API says about it (`stale`,
`known_at`, and a `failures` count that counts a refused connection), the watcher's honest failure count
and its `clusters.changed` message, and what the pages render from it (the stale banner naming the
cluster and its escaped error, the recorded banner and wording)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import connections
from django.test import Client

from dashboard.asgi import application
from pods import selectors
from pods.ingest import WatchItem, cluster_get_or_create, cluster_health_changed, ingest_batch
from pods.models import Cluster, Pod, WatchCursor
from pods.watch import state as watch_state
from tests.builders import ago, cond, pod, rebased, running, waiting

XSS = '<script>window.__xss = 1</script><img src=x onerror="window.__xss = 2">'
REFUSED = f"watch failed: connection refused {XSS}"


def _now() -> datetime:
    return datetime.now(UTC)


def watched(name: str = "prod", *, heartbeat_age: float = 1.0, **fields) -> Cluster:
    return Cluster.objects.create(
        name=name, watched=True, watch_heartbeat_at=_now() - timedelta(seconds=heartbeat_age), **fields
    )


def cursor(cluster: Cluster, resource: str, *, ok_age: float | None = 2.0, error_age: float | None = None):
    now = _now()
    return WatchCursor.objects.create(
        cluster=cluster,
        resource=resource,
        resource_version="10",
        last_ok_at=None if ok_age is None else now - timedelta(seconds=ok_age),
        last_error=REFUSED if error_age is not None else "",
        last_error_at=None if error_age is None else now - timedelta(seconds=error_age),
    )


def health(name: str) -> dict:
    (row,) = [r for r in selectors.cluster_health() if r["name"] == name]
    return row


def live_pod(uid: str, name: str = "api-1") -> dict:
    obj = pod(
        rv=1,
        uid=uid,
        name=name,
        namespace="shop",
        init=["migrate"],
        conditions=[cond("PodScheduled", True, 0)],
        init_statuses=[running("migrate", 0)],
        statuses=[waiting("app")],
    )
    return rebased(obj, ago(30))


def ingest(cluster_name: str, *pods: dict) -> None:
    cluster = cluster_get_or_create(name=cluster_name)
    ingest_batch(cluster=cluster, items=[WatchItem(kind="pod", type="MODIFIED", object=p) for p in pods])


# ------------------------------------------------------------------------------------ the rule


@pytest.mark.django_db
def test_a_running_watch_whose_streams_were_heard_from_lately_is_live():
    cluster = watched()
    cursor(cluster, "pods")
    cursor(cluster, "events", ok_age=30)
    row = health("prod")
    assert (row["state"], row["stale"], row["stale_reason"]) == ("watching", False, "")
    assert row["known_at"] == WatchCursor.objects.get(resource="events").last_ok_at
    (entry,) = selectors.cluster_freshness(names=["prod"])
    assert entry["state"] == "live" and entry["error"] == ""


@pytest.mark.django_db
def test_a_failing_stream_makes_the_cluster_stale_with_its_error_and_the_time_its_data_is_known_up_to():
    cluster = watched()
    cursor(cluster, "pods", ok_age=90, error_age=1)
    cursor(cluster, "events", ok_age=2)
    row = health("prod")
    assert row["stale"] and row["stale_reason"] == "watch failing (pods)"
    assert row["known_at"] == WatchCursor.objects.get(resource="pods").last_ok_at  # the stalest stream's
    page = selectors.page_freshness(names=["prod"])
    assert page["state"] == "stale"
    assert page["stale"][0]["error"] == REFUSED
    assert page["stale"][0]["known_at"] == row["known_at"]


@pytest.mark.django_db
def test_a_watch_that_stopped_heartbeating_is_stale_even_without_an_error():
    cluster = watched(heartbeat_age=120)
    cursor(cluster, "pods")
    cursor(cluster, "events")
    row = health("prod")
    assert row["stale"] and row["stale_reason"].startswith("watch not running")


@pytest.mark.django_db
def test_a_cluster_that_never_connected_is_stale_with_no_known_time():
    cluster = watched()
    cursor(cluster, "pods", ok_age=None)
    row = health("prod")
    assert row["stale"] and row["stale_reason"] == "never connected" and row["known_at"] is None
    watched("empty")  # no stream at all yet
    assert health("empty")["stale_reason"] == "never connected"


@pytest.mark.django_db
def test_a_stream_silent_for_longer_than_the_bound_is_lagging(settings):
    settings.INITSCOPE_STALE_AFTER_SECONDS = 60
    cluster = watched()
    cursor(cluster, "pods", ok_age=5)
    cursor(cluster, "events", ok_age=75)
    row = health("prod")
    assert row["stale"] and row["stale_reason"].startswith("lagging: no word from the API server for 1m")
    settings.INITSCOPE_STALE_AFTER_SECONDS = 120
    assert not health("prod")["stale"]


@pytest.mark.django_db
def test_a_recording_is_recorded_up_to_the_end_of_its_data(imported_samples):
    samples = Cluster.objects.get(name="samples")
    entries = {e["name"]: e for e in selectors.cluster_freshness()}
    assert entries["samples"]["state"] == "recorded"
    assert entries["samples"]["known_at"] == samples.observed_until
    assert selectors.page_freshness(names=["samples"])["state"] == "recorded"
    assert "samples" not in {r["name"] for r in selectors.cluster_health()}  # not a watch


@pytest.mark.django_db
def test_one_stale_cluster_makes_a_page_of_several_stale_and_a_live_one_beside_a_recording_is_live(
    imported_samples,
):
    cluster = watched()
    cursor(cluster, "pods")
    cursor(cluster, "events")
    assert selectors.page_freshness()["state"] == "live"
    WatchCursor.objects.filter(resource="pods").update(last_error="refused", last_error_at=_now())
    page = selectors.page_freshness()
    assert page["state"] == "stale"
    assert [e["name"] for e in page["stale"]] == ["prod"]
    assert [e["name"] for e in page["recorded"]] == ["samples"]


# ------------------------------------------------------------------------------------- the API


@pytest.mark.django_db
def test_the_clusters_api_says_stale_and_counts_failures(logged_in_client):
    cluster = watched(watch_failures=7)
    cursor(cluster, "pods", ok_age=60, error_age=1)
    body = logged_in_client.get("/api/v1/clusters").json()
    (row,) = [r for r in body["results"] if r["name"] == "prod"]
    assert row["stale"] is True and row["failures"] == 7
    assert row["stale_reason"] == "watch failing (pods)" and row["last_error"] == REFUSED
    assert row["known_at"].endswith("Z")


# ------------------------------------------------------------------------------------ the watcher


class _Kube:
    def watch(self, *args, **kwargs):  # never called: the test drives the stream states
        raise AssertionError


@pytest.fixture
def health_calls(monkeypatch) -> list[str]:
    calls: list[str] = []
    monkeypatch.setattr(watch_state, "cluster_health_changed", lambda *, name: calls.append(name))
    return calls


@pytest.mark.django_db
def test_refused_connections_count_as_failures_and_a_recovery_clears_them(health_calls):
    """`failures: 0` while every reconnect was refused for minutes: the count is now the watcher's."""
    cluster = watched(watch_failures=2)  # two failed runs before this one
    w = watch_state.ClusterWatch(cluster, _Kube(), watch_state.streams_for(()))  # type: ignore[arg-type]
    w.failures_before = w.failures_saved = cluster.watch_failures
    pods, events = (w.state[s] for s in w.streams)
    for s in (pods, events):
        s.mark_ok()
    watch_state.save_cursors(w, force=True)
    assert Cluster.objects.get(pk=cluster.pk).watch_failures == 0, "every stream succeeded in this run"
    assert health_calls == ["prod"]

    for attempt in range(1, 4):  # the API server refuses every reconnect of the Pods stream
        watch_state.record_error(w, pods.stream, "watch failed: connection refused")
        pods.failures = attempt
        watch_state.save_cursors(w)
        assert Cluster.objects.get(pk=cluster.pk).watch_failures == attempt
    assert health_calls == ["prod", "prod"], "one message when the stream started failing"
    assert health("prod")["failures"] == 3 and health("prod")["stale"]

    pods.mark_ok()
    pods.failures = 0
    watch_state.save_cursors(w)
    assert Cluster.objects.get(pk=cluster.pk).watch_failures == 0
    assert health_calls == ["prod", "prod", "prod"], "and one when it recovered"
    assert not health("prod")["stale"], health("prod")


@pytest.mark.django_db(transaction=True)
@pytest.mark.redis
async def test_a_health_change_reaches_both_sockets_as_a_clusters_changed_message():
    @sync_to_async
    def setup() -> bytes:
        from django.contrib.auth import get_user_model

        ingest("prod", live_pod("uid-f"))
        get_user_model().objects.create_user(
            username="sre", password="correct-horse-battery", is_superuser=True
        )
        client = Client()
        assert client.login(username="sre", password="correct-horse-battery")
        return f"sessionid={client.cookies['sessionid'].value}".encode()

    cookie = await setup()
    headers = [(b"host", b"127.0.0.1:8000"), (b"origin", b"http://127.0.0.1:8000"), (b"cookie", cookie)]
    sockets = []
    try:
        for path, scope in (("/ws/pods/", "overview"), ("/ws/pods/uid-f/?cluster=prod", "pod")):
            communicator = WebsocketCommunicator(application, path, headers=headers)
            assert (await communicator.connect(timeout=3))[0]
            assert await communicator.receive_json_from(timeout=3) == {"type": "hello", "scope": scope}
            sockets.append(communicator)
        await sync_to_async(cluster_health_changed)(name="prod")  # autocommit: published at once
        for communicator in sockets:
            assert await communicator.receive_json_from(timeout=3) == {
                "type": "clusters.changed",
                "cluster": "prod",
            }
    finally:
        for communicator in sockets:
            await communicator.disconnect()
        await database_sync_to_async(connections.close_all)()


# ------------------------------------------------------------------------------------- the pages


@pytest.mark.django_db
def test_the_list_and_the_pod_page_name_the_stale_cluster_and_its_escaped_error(logged_in_client):
    ingest("prod", live_pod("uid-s"))
    cluster = Cluster.objects.get(name="prod")
    Cluster.objects.filter(pk=cluster.pk).update(watched=True, watch_heartbeat_at=_now())
    cursor(cluster, "pods", ok_age=60, error_age=1)
    cursor(cluster, "events", ok_age=2)
    known_at = WatchCursor.objects.get(resource="pods").last_ok_at
    for url in ("/", "/fragments/pods/", "/pods/uid-s/?cluster=prod", "/pods/uid-s/fragment/?cluster=prod"):
        html = logged_in_client.get(url).content.decode()
        assert 'data-freshness="stale"' in html, url
        assert 'data-cluster-freshness="prod" data-state="stale"' in html, url
        assert "Not current: cluster prod" in html
        assert XSS not in html and "&lt;script&gt;window.__xss = 1&lt;/script&gt;" in html
        assert f'data-known-at="{known_at.isoformat().replace("+00:00", "Z")[:19]}' in html
    fragment = logged_in_client.get("/fragments/freshness/?cluster=prod").content.decode()
    assert fragment.lstrip().startswith('<div id="freshness"') and 'data-freshness="stale"' in fragment
    assert 'data-url="/fragments/freshness/?cluster=prod"' in fragment


@pytest.mark.django_db
def test_a_stale_pod_page_is_drawn_as_of_when_its_data_was_last_known(logged_in_client):
    ingest("prod", live_pod("uid-t"))
    cluster = Cluster.objects.get(name="prod")
    Cluster.objects.filter(pk=cluster.pk).update(watched=True, watch_heartbeat_at=_now())
    cursor(cluster, "pods", ok_age=20, error_age=1)
    cursor(cluster, "events", ok_age=20)
    Pod.objects.filter(uid="uid-t").update(observed_at=_now() - timedelta(seconds=25))
    response = logged_in_client.get("/pods/uid-t/?cluster=prod")
    assert response.context["now"] == WatchCursor.objects.get(resource="pods").last_ok_at


@pytest.mark.django_db
def test_a_stale_pod_page_with_newer_news_of_its_own_says_which_clock_its_durations_tick_to(logged_in_client):
    """The Pod was heard from after the stalest stream's last success: the page is drawn as of the Pod's
    own news, and its live part carries that time (`data-clock`), which pod.js ticks to while stale (its
    durations would otherwise jump between the server's figure and the known-at time at each reload)."""
    ingest("prod", live_pod("uid-n"))
    cluster = Cluster.objects.get(name="prod")
    Cluster.objects.filter(pk=cluster.pk).update(watched=True, watch_heartbeat_at=_now())
    cursor(cluster, "pods", ok_age=5, error_age=1)
    cursor(cluster, "events", ok_age=20)
    observed = _now() - timedelta(seconds=4)
    Pod.objects.filter(uid="uid-n").update(observed_at=observed)
    fragment = logged_in_client.get("/pods/uid-n/fragment/?cluster=prod")
    assert fragment.context["now"] == observed
    drawn_at = observed.isoformat().replace("+00:00", "Z")[:19]
    assert f'<div id="pod-live" data-live="1" data-clock="{drawn_at}' in fragment.content.decode()
    # live again: no drawn clock, the durations run on
    WatchCursor.objects.filter(cluster=cluster).update(last_ok_at=_now(), last_error="", last_error_at=None)
    assert "data-clock" not in logged_in_client.get("/pods/uid-n/fragment/?cluster=prod").content.decode()


@pytest.mark.django_db
def test_the_freshness_fragment_needs_a_login(client):
    response = client.get("/fragments/freshness/")
    assert response.status_code == 302 and "/login/" in response["Location"]


@pytest.mark.django_db
def test_a_recorded_pod_page_says_recorded_and_counts_back_from_the_end_of_the_recording(
    imported_samples, logged_in_client
):
    samples = Cluster.objects.get(name="samples")
    restarted = Pod.objects.filter(cluster=samples, restarts__gt=0).first()
    assert restarted is not None
    html = logged_in_client.get(f"/pods/{restarted.uid}/?cluster=samples").content.decode()
    assert 'data-freshness="recorded"' in html
    assert "(judged at the end of the recording), from cluster samples" in html
    assert "before the recording ended" in html and " ago)" not in html
    listing = logged_in_client.get("/?cluster=samples").content.decode()
    assert 'data-freshness="recorded"' in listing and "<strong>Recorded</strong>: data up to" in listing


@pytest.mark.integration
def test_a_quiet_event_stream_hears_from_the_api_server_within_the_stale_bound(
    kubesim_cluster, transactional_db
):
    """An Event watch gets no bookmarks (etcd serves it), so on a quiet cluster it hears nothing while its
    watch is open: it asks for a watch that ends after half the stale bound, and each clean end is word
    from the API server. Without it a healthy, quiet namespace made its cluster stale two minutes into
    every watch window."""
    from pods import watch
    from tests.services import settings_for_cluster

    sim = kubesim_cluster({"workloads": []}, name="quiet-events")
    with settings_for_cluster(sim, REDIS_URL="", INITSCOPE_STALE_AFTER_SECONDS=6):
        w = watch.cluster_watch(sim.name)
        assert w.settings.watch_seconds(watch.Stream("events"), 300) == 3
        assert w.settings.watch_seconds(watch.Stream("pods"), 300) == 300
        assert w.settings.watch_seconds(watch.Stream("events"), 1.5) == 2
        watch.watch_window(w, seconds=10)
        ended = _now()
    events = WatchCursor.objects.get(cluster__name=sim.name, resource="events")
    pods = WatchCursor.objects.get(cluster__name=sim.name, resource="pods")
    assert events.listed_at is not None and events.last_ok_at is not None
    # Listed at the start of the window, then heard from at each end of its 3-second watches.
    assert (ended - events.last_ok_at).total_seconds() < 4.5, (events.listed_at, events.last_ok_at, ended)
    assert events.last_ok_at - events.listed_at > timedelta(seconds=5)
    assert events.last_error == "" and pods.last_error == ""
