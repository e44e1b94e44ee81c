"""The live dashboard's WebSocket consumers, through the real ASGI application (`dashboard.asgi`).

Sessions come from a real login; changes come from `pods.ingest.ingest_batch`, the one broadcast path.
Transactional database: the auth middleware and the consumers read it from other threads.
"""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import connections
from django.test import Client

from dashboard.asgi import application
from tests.sockets import HOST, TIMEOUT, connect, disconnect_sockets, hello, ingest, live_pod, session_cookie  # noqa: F401 - disconnect_sockets: a fixture

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.redis]


@pytest.fixture(autouse=True)
async def close_thread_connections():
    """The consumers' database thread keeps a connection; close it so the test database can be dropped."""
    yield
    await database_sync_to_async(connections.close_all)()


@pytest.mark.parametrize("path", ["/ws/pods/", "/ws/pods/some-uid/?cluster=live"])
async def test_an_anonymous_socket_is_closed_with_4401(path):
    communicator = await connect(path, cookie=None)
    output = await communicator.receive_output(timeout=TIMEOUT)
    assert output == {"type": "websocket.close", "code": 4401}
    await communicator.disconnect()


@pytest.mark.parametrize("path", ["/ws/pods/", "/ws/pods/some-uid/?cluster=live"])
async def test_logging_out_closes_the_sessions_open_sockets(path):
    cookie = await session_cookie()
    if "some-uid" in path:
        await ingest("live", live_pod("some-uid"))
    communicator = await connect(path, cookie)
    await hello(communicator, "pod" if "some-uid" in path else "overview")

    @sync_to_async
    def log_out() -> None:
        client = Client()
        client.cookies["sessionid"] = cookie.decode().split("=", 1)[1]
        assert client.post("/logout/").status_code == 302

    await log_out()
    output = await communicator.receive_output(timeout=TIMEOUT)
    assert output == {"type": "websocket.close", "code": 4401}
    await communicator.disconnect()


async def test_a_socket_from_another_origin_is_refused():
    cookie = await session_cookie()
    communicator = WebsocketCommunicator(
        application, "/ws/pods/", headers=[HOST, (b"origin", b"https://evil.example"), (b"cookie", cookie)]
    )
    connected, _ = await communicator.connect(timeout=TIMEOUT)
    assert not connected
    await communicator.disconnect()  # end the denied instance here, not in the event loop's shutdown


async def test_the_overview_gets_what_changed_after_an_ingest():
    cookie = await session_cookie()
    overview = await connect("/ws/pods/", cookie)
    await hello(overview, "overview")
    await ingest("live", live_pod("uid-a", crash=True))
    message = await overview.receive_json_from(timeout=TIMEOUT)
    assert message["type"] == "pods.changed" and message["cluster"] == "live"
    (pod,) = message["pods"]
    assert pod["uid"] == "uid-a"
    assert pod["status"] == "Init:CrashLoopBackOff"
    assert pod["tone"] == "bad"
    assert pod["restarts"] == 1
    assert pod["failure_code"] == "crash-loop"
    # The server's verdicts the page compares with the row's to tell whether it may move.
    assert pod["stuck"] is True and pod["failed"] is False
    assert "node" in pod
    await overview.disconnect()


async def test_the_overview_forwards_only_pods_matching_its_subscription():
    cookie = await session_cookie()
    overview = await connect("/ws/pods/", cookie)
    await hello(overview, "overview")
    await overview.send_json_to({"type": "subscribe", "filters": {"namespace": "payments", "stuck": "1"}})
    await ingest("live", live_pod("uid-shop", namespace="shop", crash=True))
    await ingest("live", live_pod("uid-pay-ok", name="ok", namespace="payments"))
    await ingest("live", live_pod("uid-pay-stuck", name="stuck", namespace="payments", crash=True))
    message = await overview.receive_json_from(timeout=TIMEOUT)
    assert [p["uid"] for p in message["pods"]] == ["uid-pay-stuck"]
    assert await overview.receive_nothing(timeout=0.3)
    await overview.disconnect()


async def test_the_overview_still_hears_about_the_pods_it_shows():
    """A stuck Pod that recovers no longer matches `stuck`, but the page showing it must learn that."""
    cookie = await session_cookie()
    overview = await connect("/ws/pods/", cookie)
    await hello(overview, "overview")
    subscribe = {"type": "subscribe", "filters": {"stuck": "1"}, "uids": ["uid-a"]}
    await overview.send_json_to(subscribe)
    await ingest("live", live_pod("uid-a", rv=2))  # running again: not stuck
    message = await overview.receive_json_from(timeout=TIMEOUT)
    assert [p["uid"] for p in message["pods"]] == ["uid-a"]
    assert message["pods"][0]["stuck"] is False  # the page's stuck row must move: it re-reads the rows
    await overview.disconnect()


async def test_a_pod_socket_gets_only_its_pod():
    cookie = await session_cookie()
    pod_socket = await connect("/ws/pods/uid-b/?cluster=live", cookie)
    await hello(pod_socket, "pod")
    await ingest("live", live_pod("uid-a", crash=True), live_pod("uid-b", name="api-2", crash=True))
    message = await pod_socket.receive_json_from(timeout=TIMEOUT)
    assert [p["uid"] for p in message["pods"]] == ["uid-b"]
    await ingest("other", live_pod("uid-b", name="api-2", rv=5))  # same uid, another cluster: not ours
    await ingest("live", live_pod("uid-a", rv=3))
    assert await pod_socket.receive_nothing(timeout=0.3)
    await pod_socket.disconnect()


async def test_a_pod_socket_finds_the_cluster_when_the_url_has_none():
    cookie = await session_cookie()
    await ingest("live", live_pod("uid-c"))
    pod_socket = await connect("/ws/pods/uid-c/", cookie)
    await hello(pod_socket, "pod")
    await ingest("live", live_pod("uid-c", rv=2, crash=True))
    message = await pod_socket.receive_json_from(timeout=TIMEOUT)
    assert message["pods"][0]["status"] == "Init:CrashLoopBackOff"
    await pod_socket.disconnect()


async def test_a_pod_socket_for_an_unknown_pod_is_closed_with_4404():
    cookie = await session_cookie()
    communicator = await connect("/ws/pods/nobody/", cookie)
    assert await communicator.receive_output(timeout=TIMEOUT) == {"type": "websocket.close", "code": 4404}


async def test_a_reconnected_socket_says_hello_and_the_fragment_holds_what_it_missed():
    """While a page is disconnected it misses messages; on reconnect the server says hello and the page
    re-fetches its fragment, which reflects everything committed meanwhile."""
    cookie = await session_cookie()
    first = await connect("/ws/pods/uid-d/?cluster=live", cookie)
    await hello(first, "pod")
    await first.disconnect()
    await ingest("live", live_pod("uid-d", crash=True))  # missed: nobody listening
    second = await connect("/ws/pods/uid-d/?cluster=live", cookie)
    await hello(second, "pod")
    fragment = await sync_to_async(_get)(cookie, "/pods/uid-d/fragment/?cluster=live")
    assert fragment.status_code == 200
    assert "Init:CrashLoopBackOff" in fragment.content.decode()
    rows = await sync_to_async(_get)(cookie, "/fragments/pods/?stuck=1")
    assert 'id="pod-uid-d"' in rows.content.decode()
    await second.disconnect()


def _get(cookie: bytes, path: str):
    client = Client()
    client.cookies["sessionid"] = cookie.decode().split("=", 1)[1]
    return client.get(path)


def test_fragments_need_a_login(client):
    assert client.get("/fragments/pods/").status_code == 302
    assert client.get("/pods/x/fragment/").status_code == 302
