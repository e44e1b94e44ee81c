"""A live socket that receives nothing for a while stays open (found by `make soak`: with redis-py 8's
default read timeout of 5 s, the Redis channel layer's blocking read of 5 s failed on every quiet socket,
which the server then closed with 1011 every few seconds; dashboard/settings.py's CHANNEL_LAYERS)."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.db import connections

from tests.sockets import TIMEOUT, connect, disconnect_sockets, hello, ingest, live_pod, session_cookie  # noqa: F401 - disconnect_sockets: a fixture

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.redis]


@pytest.fixture(autouse=True)
async def close_thread_connections():
    yield
    await database_sync_to_async(connections.close_all)()


async def test_a_quiet_overview_socket_stays_open_and_gets_the_next_change():
    quiet = get_channel_layer().brpop_timeout + 3  # longer than one blocking read of the layer
    communicator = await connect("/ws/pods/", await session_cookie())
    await hello(communicator, "overview")
    assert await communicator.receive_nothing(timeout=quiet, interval=0.5)
    await ingest("quiet", live_pod("quiet-uid"))
    message = await communicator.receive_json_from(timeout=TIMEOUT)
    assert message["type"] == "pods.changed" and [p["uid"] for p in message["pods"]] == ["quiet-uid"]
    await communicator.disconnect()


async def test_a_redis_restart_closes_the_socket_and_a_reconnecting_page_resumes(
    tmp_path, settings, monkeypatch
):
    """The restarted Redis has lost the socket's groups: the socket must not read on, silently out of them,
    but close (4503), so that the page reconnects (hello, then it resynchronises) and gets changes again."""
    from channels.layers import channel_layers

    from pods.live import consumers
    from tests.soak.runner import PrivateRedis

    monkeypatch.setattr(consumers, "GROUP_CHECK_SECONDS", 0.5)
    server = PrivateRedis(tmp_path)
    server.start()
    host = {**settings.CHANNEL_LAYERS["default"]["CONFIG"]["hosts"][0], "address": server.url}
    settings.CHANNEL_LAYERS = {"default": {**settings.CHANNEL_LAYERS["default"], "CONFIG": {"hosts": [host]}}}
    channel_layers.backends.clear()
    try:
        cookie = await session_cookie()
        first = await connect("/ws/pods/", cookie)
        await hello(first, "overview")
        server.restart()
        assert await first.receive_output(timeout=10) == {"type": "websocket.close", "code": 4503}

        page = await connect("/ws/pods/", cookie)  # the page reconnects at once
        await hello(page, "overview")
        await ingest("restarted", live_pod("after-restart"))
        message = await page.receive_json_from(timeout=TIMEOUT)
        assert [p["uid"] for p in message["pods"]] == ["after-restart"]
        assert await page.receive_nothing(timeout=2), "still in its groups: it stays open"
        await page.disconnect()
    finally:
        server.kill()
        channel_layers.backends.clear()
