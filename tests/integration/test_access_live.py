"""Access control on the live sockets: each socket gets only the changes of Pods in its user's scope
(alice: shop only; bob: payments only), and a Pod socket out of scope is refused like an unknown Pod."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from django.db import connections
from django.test import Client

from access.models import Grant
from pods.live import broadcast as live
from tests.sockets import TIMEOUT, connect, disconnect_sockets, hello, ingest, live_pod  # noqa: F401 - disconnect_sockets: a fixture

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.redis]


@pytest.fixture(autouse=True)
async def close_thread_connections():
    yield
    await database_sync_to_async(connections.close_all)()


@sync_to_async
def cookie_of(username: str, namespaces: list[str] | None) -> bytes:
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user(username=username, password="correct-horse-battery")
    if namespaces is not None:
        Grant.objects.create(user=user, cluster="live", namespaces=namespaces)
    client = Client()
    assert client.login(username=username, password="correct-horse-battery")
    return f"sessionid={client.cookies['sessionid'].value}".encode()


async def test_the_overview_socket_gets_only_the_pods_in_scope():
    alice = await connect("/ws/pods/", await cookie_of("alice", ["shop"]))
    bob = await connect("/ws/pods/", await cookie_of("bob", ["payments"]))
    await hello(alice, "overview")
    await hello(bob, "overview")
    await ingest(
        "live",
        live_pod("uid-s", name="api-1", namespace="shop", crash=True),
        live_pod("uid-p", name="pay-1", namespace="payments", crash=True),
    )
    to_alice = await alice.receive_json_from(timeout=TIMEOUT)
    to_bob = await bob.receive_json_from(timeout=TIMEOUT)
    assert [p["uid"] for p in to_alice["pods"]] == ["uid-s"]
    assert [p["uid"] for p in to_bob["pods"]] == ["uid-p"]
    await ingest("live", live_pod("uid-p", name="pay-1", namespace="payments", rv=3))  # bob's only
    assert (await bob.receive_json_from(timeout=TIMEOUT))["pods"][0]["uid"] == "uid-p"
    assert await alice.receive_nothing(timeout=0.3)
    await ingest("elsewhere", live_pod("uid-e", namespace="shop"))  # a cluster neither has a grant on
    assert await alice.receive_nothing(timeout=0.3)
    await alice.disconnect()
    await bob.disconnect()


async def test_a_cluster_health_change_reaches_only_sockets_with_a_grant_on_it():
    alice = await connect("/ws/pods/", await cookie_of("alice", ["shop"]))
    await hello(alice, "overview")
    await sync_to_async(live.publish_clusters_changed)("elsewhere")
    assert await alice.receive_nothing(timeout=0.3)
    await sync_to_async(live.publish_clusters_changed)("live")
    assert await alice.receive_json_from(timeout=TIMEOUT) == {"type": "clusters.changed", "cluster": "live"}
    await alice.disconnect()


async def test_a_pod_socket_out_of_scope_is_refused_or_hears_nothing():
    await ingest("live", live_pod("uid-p", name="pay-1", namespace="payments"))
    cookie = await cookie_of("alice", ["shop"])
    # without the cluster: looked up in alice's scope, where it is unknown
    refused = await connect("/ws/pods/uid-p/", cookie)
    assert await refused.receive_output(timeout=TIMEOUT) == {"type": "websocket.close", "code": 4404}
    # a cluster without a grant: unknown too
    other = await connect("/ws/pods/uid-p/?cluster=elsewhere", cookie)
    assert await other.receive_output(timeout=TIMEOUT) == {"type": "websocket.close", "code": 4404}
    # her cluster named: accepted like any not-yet-seen uid, but the Pod's changes never come
    named = await connect("/ws/pods/uid-p/?cluster=live", cookie)
    await hello(named, "pod")
    await ingest("live", live_pod("uid-p", name="pay-1", namespace="payments", rv=2, crash=True))
    assert await named.receive_nothing(timeout=0.3)
    await named.disconnect()


async def test_a_user_without_grants_hears_nothing():
    socket = await connect("/ws/pods/", await cookie_of("carol", None))
    await hello(socket, "overview")
    await ingest("live", live_pod("uid-s", namespace="shop", crash=True))
    assert await socket.receive_nothing(timeout=0.3)
    await socket.disconnect()
