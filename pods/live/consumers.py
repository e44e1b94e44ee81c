"""WebSocket consumers of the live dashboard: the overview and one Pod.

Thin by design: authenticate, join the groups named by `pods.live`, and forward the `pods.changed`
messages of the one broadcast path, narrowed to what the socket asked for. The matching rules live in
`pods.subscriptions` (pure). Anonymous sockets are accepted only to be closed with code 4401, so the page
can tell "log in again" from "the network dropped" and stop reconnecting.

Messages to the browser (JSON):
- `{"type": "hello", "scope": "overview"|"pod"}` once connected; the page resynchronises from the server on
  every hello, since it cannot know what it missed while disconnected.
- `{"type": "pods.changed", "cluster": C, "pods": [summary, ...]}`: the changed Pods (see
  `pods.ingest.change_summary`) the socket cares about; nothing is sent when none is left.
- `{"type": "clusters.changed", "cluster": C}`: cluster C's watch health changed (a stream started or
  stopped failing, a run started or ended); the page re-reads its freshness from the server.
"""

from __future__ import annotations

from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from pods import selectors
from pods.live import broadcast as live
from pods.live.subscriptions import OverviewSubscription

CLOSE_UNAUTHENTICATED = 4401
CLOSE_NOT_FOUND = 4404
MAX_NAME = 253


class _LiveConsumer(AsyncJsonWebsocketConsumer):
    """Accept, refuse anonymous users with 4401, and leave the joined groups on disconnect."""

    scope_name = ""

    async def connect(self) -> None:
        self.groups_joined: list[str] = []
        await self.accept()
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
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

    async def disconnect(self, code: int) -> None:
        for group in getattr(self, "groups_joined", []):
            await self.channel_layer.group_discard(group, self.channel_name)

    async def clusters_changed(self, message: dict) -> None:
        """Forwarded as it is: only a cluster's name, the page asks the server what it means."""
        await self.send_json({"type": live.CLUSTERS_CHANGED, "cluster": str(message.get("cluster", ""))})

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
            self.subscription = OverviewSubscription.from_message(content)

    async def pods_changed(self, message: dict) -> None:
        pods = self.subscription.select(message.get("pods", ()), threshold=selectors.stuck_threshold())
        if pods:
            await self.send_json({"type": live.MESSAGE_TYPE, "cluster": message.get("cluster"), "pods": pods})


class PodConsumer(_LiveConsumer):
    """`/ws/pods/<uid>/?cluster=C`: the changes of one Pod (its cluster's batches, filtered by uid)."""

    scope_name = "pod"

    async def groups_to_join(self) -> list[str] | None:
        self.uid = self.scope["url_route"]["kwargs"]["uid"]
        query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        cluster = (query.get("cluster") or [""])[0][:MAX_NAME]
        if not cluster:
            cluster = await _cluster_of(self.uid)
        return [live.group_for_cluster(cluster)] if cluster else None

    async def pods_changed(self, message: dict) -> None:
        pods = [p for p in message.get("pods", ()) if p.get("uid") == self.uid]
        if pods:
            await self.send_json({"type": live.MESSAGE_TYPE, "cluster": message.get("cluster"), "pods": pods})


@database_sync_to_async
def _cluster_of(uid: str) -> str:
    pod = selectors.pod_get(uid=uid)
    return pod.cluster.name if pod else ""
