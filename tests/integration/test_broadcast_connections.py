"""Broadcasts from a worker's threads share one Redis connection (pods/live/broadcast.py).

Found by `make soak`: `async_to_sync` made a new event loop for each batch, and channels_redis keeps a
connection pool per event loop, so every broadcast opened a Redis connection and dropped it again.
"""

from __future__ import annotations

import asyncio
import threading
from unittest import mock

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from redis.asyncio.connection import AbstractConnection

from pods.live.broadcast import publish_clusters_changed, publish_pod_changes

pytestmark = pytest.mark.redis

BATCHES = 20


def test_broadcasts_from_plain_threads_reuse_one_connection():
    layer = get_channel_layer()
    assert type(layer).__name__ == "RedisChannelLayer", "the integration tests run with REDIS_URL"
    connects: list[int] = []
    original = AbstractConnection.connect

    async def counting_connect(self):
        if not self.is_connected:
            connects.append(id(self))
        return await original(self)

    def publish_from_a_thread(i: int) -> None:
        thread = threading.Thread(target=publish_pod_changes, args=("one-pool", [{"uid": f"uid-{i}"}]))
        thread.start()
        thread.join()

    with mock.patch.object(AbstractConnection, "connect", counting_connect):
        for i in range(BATCHES):
            publish_from_a_thread(i)
            publish_clusters_changed("one-pool")
    assert len(connects) <= 1, f"{len(connects)} Redis connections opened for {2 * BATCHES} broadcasts"


def test_a_broadcast_from_a_plain_thread_reaches_a_member_of_the_group():
    layer = get_channel_layer()

    async def join_and_receive_after(publish) -> dict:
        channel = await layer.new_channel()
        await layer.group_add("pods.overview", channel)
        try:
            await asyncio.to_thread(publish)  # a plain thread, as a worker's
            return await layer.receive(channel)
        finally:
            await layer.group_discard("pods.overview", channel)

    message = async_to_sync(join_and_receive_after)(lambda: publish_pod_changes("reach", [{"uid": "uid-r"}]))
    assert message["type"] == "pods.changed" and message["cluster"] == "reach"
    assert [p["uid"] for p in message["pods"]] == ["uid-r"]
