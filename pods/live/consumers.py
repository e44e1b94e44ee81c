"""WebSocket consumers of the live dashboard: the overview and one Pod.

Thin by design: authenticate, join the groups named by `pods.live`, and forward the `pods.changed`
messages of the one broadcast path, narrowed to what the socket asked for. The matching rules live in
`pods.subscriptions` (pure). Every message is first narrowed to the user's access scope
(`access.scope`, computed once when the socket connects): a change of a Pod out of scope never reaches
the socket, nor the health change of a cluster without a grant. Anonymous sockets are accepted only to
be closed with code 4401, so the page can tell "log in again" from "the network dropped" and stop
reconnecting.

Messages to the browser (JSON):
- `{"type": "hello", "scope": "overview"|"pod"}` once connected; the page resynchronises from the server on
  every hello, since it cannot know what it missed while disconnected.
- `{"type": "pods.changed", "cluster": C, "pods": [summary, ...]}`: the changed Pods (see
  `pods.ingest.change_summary`) the socket cares about; nothing is sent when none is left. The overview's
  summaries also carry `stuck`, the stuck verdict when the message was forwarded.
- `{"type": "clusters.changed", "cluster": C}`: cluster C's watch health changed (a stream started or
  stopped failing, a run started or ended); the page re-reads its freshness from the server.
- `{"type": "error", "code": N, "message": M}` just before the server closes the socket with code N for a
  client's fault (docs/operations.md "Limits"): 4413 a message larger than INITSCOPE_WS_MAX_MESSAGE_BYTES
  or subscribing to more than `subscriptions.MAX_UIDS` Pods, 4429 more than
  INITSCOPE_WS_MESSAGES_PER_MINUTE messages in a minute.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from datetime import UTC, datetime
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings

from access.grants import scope_for
from access.scope import NOTHING, Scope
from pods import selectors
from pods.live import broadcast as live
from pods.live.subscriptions import MAX_UIDS, OverviewSubscription, summary_is_stuck

CLOSE_UNAUTHENTICATED = 4401
CLOSE_NOT_FOUND = 4404
CLOSE_TOO_LARGE = 4413
CLOSE_TOO_MANY = 4429
RATE_WINDOW = 60.0
CLOSE_LAYER_LOST = 4503  # the socket lost its channel-layer groups (Redis restarted): reconnect
GROUP_CHECK_SECONDS = 30.0  # how often a socket checks it is still in its groups
MAX_NAME = 253


class _LiveConsumer(AsyncJsonWebsocketConsumer):
    """Accept, refuse anonymous users with 4401, and leave the joined groups on disconnect."""

    scope_name = ""

    async def connect(self) -> None:
        self.groups_joined: list[str] = []
        self.received: deque[float] = deque()  # when the messages of the last minute came
        await self.accept()
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        # What the user may see (`self.scope` is the ASGI connection's), once per socket.
        self.access: Scope = await database_sync_to_async(scope_for)(user)
        groups = await self.groups_to_join()
        if groups is None:
            await self.close(code=CLOSE_NOT_FOUND)
            return
        session_key = getattr(self.scope.get("session"), "session_key", None)
        if session_key:
            groups = [*groups, live.group_for_session(session_key)]
        for group in groups:
            await self.channel_layer.group_add(group, self.channel_name)
            self.groups_joined.append(group)
        await self.send_json({"type": "hello", "scope": self.scope_name})
        self.group_check = asyncio.ensure_future(self.check_groups())

    async def check_groups(self) -> None:
        """A Redis restart loses the layer's groups and this socket would never receive again, silently
        (found by `make soak`): every GROUP_CHECK_SECONDS it checks its memberships and, when they are
        gone, closes with 4503 so that the page reconnects (hello, joins again) and resynchronises."""
        while await asyncio.sleep(GROUP_CHECK_SECONDS, True):
            if not await live.still_in_groups(self.channel_layer, self.groups_joined, self.channel_name):
                await self.close(code=CLOSE_LAYER_LOST)
                return

    async def disconnect(self, code: int) -> None:
        check = getattr(self, "group_check", None)
        if check is not None:
            check.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await check
        for group in getattr(self, "groups_joined", []):
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None, **kwargs) -> None:
        """The limits on what a client sends, before it is read: size, then rate (the messages of the
        last minute)."""
        size = len(text_data.encode()) if text_data is not None else len(bytes_data or b"")
        cap = settings.INITSCOPE_WS_MAX_MESSAGE_BYTES
        if size > cap:
            await self.refuse(CLOSE_TOO_LARGE, f"a message may have at most {cap} bytes")
            return
        now = time.monotonic()
        while self.received and self.received[0] <= now - RATE_WINDOW:
            self.received.popleft()
        if len(self.received) >= settings.INITSCOPE_WS_MESSAGES_PER_MINUTE:
            await self.refuse(CLOSE_TOO_MANY, "too many messages: wait a minute before reconnecting")
            return
        self.received.append(now)
        await super().receive(text_data, bytes_data, **kwargs)

    async def refuse(self, code: int, message: str) -> None:
        await self.send_json({"type": "error", "code": code, "message": message})
        await self.close(code=code)

    async def clusters_changed(self, message: dict) -> None:
        """Forwarded as it is (only a cluster's name, the page asks the server what it means), for a
        cluster the user has a grant on."""
        cluster = str(message.get("cluster", ""))
        if self.access.allows_cluster(cluster):
            await self.send_json({"type": live.CLUSTERS_CHANGED, "cluster": cluster})

    def in_scope(self, message: dict) -> list[dict]:
        """The changed Pods of a `pods.changed` message that the user may see."""
        cluster = str(message.get("cluster", ""))
        access = getattr(self, "access", NOTHING)
        return [p for p in message.get("pods", ()) if access.allows(cluster, str(p.get("namespace", "")))]

    async def session_ended(self, message: dict) -> None:
        """The user logged out: the socket goes too (4401, so the page stops reconnecting)."""
        await self.close(code=CLOSE_UNAUTHENTICATED)

    async def groups_to_join(self) -> list[str] | None:
        """The groups to receive from, or None to refuse the socket."""
        raise NotImplementedError


class OverviewConsumer(_LiveConsumer):
    """`/ws/pods/`: changes across clusters, narrowed by the page's `subscribe` message (default: all)."""

    scope_name = "overview"

    async def groups_to_join(self) -> list[str]:
        self.subscription = OverviewSubscription()
        return [live.OVERVIEW_GROUP]

    async def receive_json(self, content: object, **kwargs) -> None:
        if isinstance(content, dict) and content.get("type") == "subscribe":
            uids = content.get("uids")
            if isinstance(uids, list) and len(uids) > MAX_UIDS:
                await self.refuse(CLOSE_TOO_LARGE, f"a socket may subscribe to at most {MAX_UIDS} Pods")
                return
            self.subscription = OverviewSubscription.from_message(content)

    async def pods_changed(self, message: dict) -> None:
        """The summaries this socket may see and asked for, each with `stuck`: the stuck verdict
        (`pods.timeline.stuck_rule`) at this moment, so the page can tell whether a shown row changed
        rank (stuck, failed) and must be re-read in order, or is patched where it stands."""
        now, threshold = datetime.now(UTC), selectors.stuck_threshold()
        pods = self.subscription.select(self.in_scope(message), now=now, threshold=threshold)
        if pods:
            judged = [{**p, "stuck": summary_is_stuck(p, now=now, threshold=threshold)} for p in pods]
            cluster = message.get("cluster")
            await self.send_json({"type": live.MESSAGE_TYPE, "cluster": cluster, "pods": judged})


class PodConsumer(_LiveConsumer):
    """`/ws/pods/<uid>/?cluster=C`: the changes of one Pod (its cluster's batches, filtered by uid)."""

    scope_name = "pod"

    async def groups_to_join(self) -> list[str] | None:
        self.uid = self.scope["url_route"]["kwargs"]["uid"]
        query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        cluster = (query.get("cluster") or [""])[0][:MAX_NAME]
        if not cluster:
            cluster = await _cluster_of(self.uid, self.access)
        # A cluster without a grant reads as an unknown Pod: 4404 (its Pods' changes are narrowed to the
        # namespaces in scope as they come).
        return [live.group_for_cluster(cluster)] if cluster and self.access.allows_cluster(cluster) else None

    async def pods_changed(self, message: dict) -> None:
        pods = [p for p in self.in_scope(message) if p.get("uid") == self.uid]
        if pods:
            await self.send_json({"type": live.MESSAGE_TYPE, "cluster": message.get("cluster"), "pods": pods})


@database_sync_to_async
def _cluster_of(uid: str, scope: Scope) -> str:
    pod = selectors.pod_get(uid=uid, scope=scope)
    return pod.cluster.name if pod else ""
