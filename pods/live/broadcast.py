"""The one broadcast path: after a batch commits, its changed Pods go to the channel layer.

Domain code calls `publish_pod_changes`; consumers (the live dashboard) subscribe to the groups named by
`group_for_cluster` and `OVERVIEW_GROUP`. A batch is one `pods.changed` message per group (not one per Pod:
at thousands of events per second, per-Pod sends to Redis would cost more than the ingest itself); a
consumer showing one Pod filters the batch by uid. Nothing else in the app talks to the channel layer.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import os
import re
import threading
from collections.abc import Coroutine, Iterable
from typing import Any

from channels.layers import get_channel_layer
from django.contrib.auth.signals import user_logged_out
from django.dispatch import receiver

log = logging.getLogger(__name__)

_UNSAFE = re.compile(r"[^a-zA-Z0-9_.-]")

OVERVIEW_GROUP = "pods.overview"
MESSAGE_TYPE = "pods.changed"
CLUSTERS_CHANGED = "clusters.changed"
SESSION_ENDED = "session.ended"
# How long a send may take before the caller gives up on it (the layer retries a lost Redis meanwhile).
SEND_TIMEOUT_SECONDS = 30.0


def group_for_cluster(cluster: str) -> str:
    # Group names allow only ASCII alphanumerics, hyphens, underscores and periods, under 100 characters.
    return f"cluster.{_UNSAFE.sub('_', cluster)[:80]}"


def publish_pod_changes(cluster: str, changes: Iterable[dict]) -> None:
    """Send the batch's Pod summaries to its cluster's group and to the overview group.

    Failures are logged and never break ingest: browsers resynchronise from the API when they reconnect.
    """
    changes = list(changes)
    layer = get_channel_layer()
    if layer is None or not changes:
        return
    message = {"type": MESSAGE_TYPE, "cluster": cluster, "pods": changes}
    try:
        _sends.run(_send(layer, message, [group_for_cluster(cluster), OVERVIEW_GROUP]))
    except Exception:
        log.exception("could not publish %d Pod changes for cluster %s", len(changes), cluster)


def publish_clusters_changed(cluster: str) -> None:
    """Tell the pages showing cluster `cluster` (its group and the overview) that its watch health changed:
    `{"type": "clusters.changed", "cluster": C}`; they re-read its freshness from the server. Failures are
    logged and never break the watch (the pages also re-read it every few seconds)."""
    layer = get_channel_layer()
    if layer is None:
        return
    message = {"type": CLUSTERS_CHANGED, "cluster": cluster}
    try:
        _sends.run(_send(layer, message, [group_for_cluster(cluster), OVERVIEW_GROUP]))
    except Exception:
        log.exception("could not publish the health change of cluster %s", cluster)


async def still_in_groups(layer, groups: list[str], channel: str) -> bool:
    """Whether `channel` is still a member of every group in the Redis channel layer. A Redis restart
    loses the memberships (so does channels_redis' group expiry, a day): such a socket would read on
    and never receive again. False when Redis cannot be asked either; True for the in-process layer."""
    if not hasattr(layer, "_group_key"):
        return True
    try:
        for group in groups:
            connection = layer.connection(layer.consistent_hash(group))
            if await connection.zscore(layer._group_key(group), channel) is None:
                return False
    except Exception:  # noqa: BLE001 - Redis unreachable: the socket cannot know what it misses either
        log.warning("could not check the channel layer's groups of %s", channel, exc_info=True)
        return False
    return True


def group_for_session(session_key: str) -> str:
    """Every socket opened with a login session joins this group, so logging out can close them."""
    return f"session.{_UNSAFE.sub('_', session_key)[:80]}"


@receiver(user_logged_out)
def close_sockets_of_ended_session(sender, request=None, **kwargs) -> None:
    """Logging out closes that session's open sockets (the signal comes before the session is flushed)."""
    session_key = getattr(getattr(request, "session", None), "session_key", None)
    layer = get_channel_layer()
    if not session_key or layer is None:
        return
    try:
        _sends.run(layer.group_send(group_for_session(session_key), {"type": SESSION_ENDED}))
    except Exception:
        log.exception("could not close the sockets of an ended session")


async def _send(layer, message: dict, groups: list[str]) -> None:
    for group in groups:
        await layer.group_send(group, message)


class _SendLoop:
    """One event loop per process, on a daemon thread, that runs every send to the channel layer.

    `async_to_sync` called from a plain thread (a Celery worker's, the ingest writer's) makes a new event
    loop for each call, and channels_redis keeps one connection pool per event loop: each batch's broadcast
    opened a Redis connection and dropped it again, which cost a round trip and churned the worker's memory.
    Sends made here share one loop, so one pool. The loop starts on first use in each process (a prefork
    worker's included: a forked child starts its own).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._pid = 0

    def run(self, coroutine: Coroutine[Any, Any, None], timeout: float = SEND_TIMEOUT_SECONDS) -> None:
        future = asyncio.run_coroutine_threadsafe(coroutine, self._running())
        try:
            future.result(timeout)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise

    def _running(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            thread = self._thread
            if self._loop is None or self._pid != os.getpid() or thread is None or not thread.is_alive():
                loop = asyncio.new_event_loop()
                thread = threading.Thread(target=loop.run_forever, name="channel-layer-sends", daemon=True)
                thread.start()
                self._loop, self._thread, self._pid = loop, thread, os.getpid()
            return self._loop


_sends = _SendLoop()
