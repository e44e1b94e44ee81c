"""A thread-safe in-memory channel layer for the all-in-one mode (`manage.py serve`, no Redis).

Channels' InMemoryChannelLayer keeps asyncio queues that belong to the event loop of the ASGI server, where
the consumers wait on them. In the all-in-one mode, changes are published from the embedded Celery worker's
threads (each `async_to_sync` call runs its own loop): putting into those queues from there would wake the
server's loop late or not at all. This layer remembers the loop that receives (the server's) and runs every
send made from another loop on it, so a change reaches the browser at once. Same process only, like its
parent; production uses channels_redis.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from channels.layers import InMemoryChannelLayer


class ThreadSafeInMemoryChannelLayer(InMemoryChannelLayer):
    """InMemoryChannelLayer whose sends from other threads run on the loop its consumers receive on."""

    _home: asyncio.AbstractEventLoop | None = None

    async def receive(self, channel: str) -> dict:
        self._home = asyncio.get_running_loop()
        return await super().receive(channel)

    async def send(self, channel: str, message: dict) -> None:
        parent = super().send
        await self._on_home(lambda: parent(channel, message))

    async def group_send(self, group: str, message: dict) -> None:
        parent = super().group_send
        await self._on_home(lambda: parent(group, message))

    async def _on_home(self, make: Callable[[], Awaitable[Any]]) -> Any:
        home = self._home
        if home is None or home.is_closed() or home is asyncio.get_running_loop():
            return await make()
        future = asyncio.run_coroutine_threadsafe(_run(make), home)
        return await asyncio.wrap_future(future)


async def _run(make: Callable[[], Awaitable[Any]]) -> Any:
    return await make()
