"""The limits on what a live socket's client sends (pods.live.consumers): a message over
INITSCOPE_WS_MAX_MESSAGE_BYTES or a subscription to more than MAX_UIDS Pods closes it with 4413, more than
INITSCOPE_WS_MESSAGES_PER_MINUTE messages in a minute with 4429; each after an `error` message."""

from __future__ import annotations

import json

import pytest
from channels.db import database_sync_to_async
from django.db import connections

from pods.live.consumers import CLOSE_TOO_LARGE, CLOSE_TOO_MANY
from pods.live.subscriptions import MAX_UIDS
from tests.sockets import TIMEOUT, connect, disconnect_sockets, session_cookie  # noqa: F401 - disconnect_sockets: a fixture

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.redis]


@pytest.fixture(autouse=True)
async def close_thread_connections():
    yield
    await database_sync_to_async(connections.close_all)()


async def hello(path: str):
    socket = await connect(path, await session_cookie())
    assert (await socket.receive_json_from(timeout=TIMEOUT))["type"] == "hello"
    return socket


async def refused(socket, code: int) -> str:
    error = await socket.receive_json_from(timeout=TIMEOUT)
    assert error["type"] == "error" and error["code"] == code
    closed = await socket.receive_output(timeout=TIMEOUT)
    assert closed == {"type": "websocket.close", "code": code}
    await socket.disconnect()  # as the browser answers a close: the consumer leaves its groups and ends
    return error["message"]


async def test_a_message_over_the_size_cap_closes_with_4413(settings):
    settings.INITSCOPE_WS_MAX_MESSAGE_BYTES = 1024
    socket = await hello("/ws/pods/")
    await socket.send_json_to({"type": "subscribe", "filters": {"q": "x" * 900}})  # under the cap: kept
    await socket.send_json_to({"type": "subscribe", "filters": {"q": "x" * 1100}})
    assert "at most 1024 bytes" in await refused(socket, CLOSE_TOO_LARGE)


async def test_a_pod_socket_has_the_same_cap(settings):
    settings.INITSCOPE_WS_MAX_MESSAGE_BYTES = 256
    socket = await hello("/ws/pods/some-uid/?cluster=test")
    await socket.send_to(text_data=json.dumps({"type": "x", "pad": "é" * 200}))  # 400+ bytes, 200 chars
    await refused(socket, CLOSE_TOO_LARGE)


async def test_more_messages_than_the_rate_closes_with_4429(settings):
    settings.INITSCOPE_WS_MESSAGES_PER_MINUTE = 3
    socket = await hello("/ws/pods/")
    for _ in range(3):
        await socket.send_json_to({"type": "subscribe", "filters": {}})
    assert await socket.receive_nothing(timeout=0.3)
    await socket.send_json_to({"type": "subscribe", "filters": {}})
    assert "too many messages" in await refused(socket, CLOSE_TOO_MANY)


async def test_subscribing_to_more_pods_than_the_cap_closes_with_4413():
    socket = await hello("/ws/pods/")
    await socket.send_json_to({"type": "subscribe", "uids": [f"u{i}" for i in range(MAX_UIDS)]})
    assert await socket.receive_nothing(timeout=0.3)
    await socket.send_json_to({"type": "subscribe", "uids": [f"u{i}" for i in range(MAX_UIDS + 1)]})
    assert f"at most {MAX_UIDS} Pods" in await refused(socket, CLOSE_TOO_LARGE)
