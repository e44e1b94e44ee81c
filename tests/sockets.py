"""What the WebSocket tests share: changes stored through the one broadcast path (`pods.ingest`), and
sockets opened on the real ASGI application (`dashboard.asgi`) with a session cookie."""

from __future__ import annotations

import contextlib

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client

from dashboard.asgi import application
from pods.ingest import WatchItem, cluster_get_or_create, ingest_batch
from tests.builders import ago, cond, last, pod, rebased, running, waiting

ORIGIN = (b"origin", b"http://127.0.0.1:8000")
HOST = (b"host", b"127.0.0.1:8000")
TIMEOUT = 3
OPEN: list[WebsocketCommunicator] = []  # the sockets `connect` opened in the running test


@pytest.fixture(autouse=True)
async def disconnect_sockets():
    """End every socket the test opened, the ones the server closed too (import this fixture into a test
    module that opens sockets). A consumer left running is only cancelled when the test's event loop shuts
    down, and there its channel layer's pending Redis read can keep the loop from ever closing."""
    yield
    while OPEN:
        communicator = OPEN.pop()
        with contextlib.suppress(Exception):
            await communicator.disconnect(timeout=TIMEOUT)


def live_pod(
    uid: str, *, name: str = "api-1", namespace: str = "shop", rv: int = 1, crash: bool = False, age: int = 30
) -> dict:
    """A Pod with one init container, started `age` seconds ago: running, or crash-looping (exit 1,
    back-off)."""
    failed = last(1, 0, 0, name="migrate", n=0)
    back_off = waiting(
        "migrate", "CrashLoopBackOff", "back-off 10s restarting failed container", rc=1, last=failed
    )
    migrate = back_off if crash else running("migrate", 0)
    obj = pod(
        rv=rv,
        uid=uid,
        name=name,
        namespace=namespace,
        init=["migrate"],
        conditions=[cond("PodScheduled", True, 0)],
        init_statuses=[migrate],
        statuses=[waiting("app")],
    )
    return rebased(obj, ago(age))


def ingest_pods(cluster_name: str, *pods: dict) -> None:
    """Store `pods` in cluster `cluster_name` through ingest (one batch of MODIFIED events)."""
    cluster = cluster_get_or_create(name=cluster_name)
    ingest_batch(cluster=cluster, items=[WatchItem(kind="pod", type="MODIFIED", object=p) for p in pods])


ingest = sync_to_async(ingest_pods)  # the same, awaited from a socket test


async def connect(
    path: str, cookie: bytes | None, origin: tuple[bytes, bytes] = ORIGIN
) -> WebsocketCommunicator:
    headers = [HOST, origin] + ([(b"cookie", cookie)] if cookie else [])
    communicator = WebsocketCommunicator(application, path, headers=headers)
    OPEN.append(communicator)
    connected, _ = await communicator.connect(timeout=TIMEOUT)
    assert connected
    return communicator


async def hello(communicator: WebsocketCommunicator, scope: str) -> None:
    assert await communicator.receive_json_from(timeout=TIMEOUT) == {"type": "hello", "scope": scope}


@sync_to_async
def session_cookie() -> bytes:
    from django.contrib.auth import get_user_model

    get_user_model().objects.create_user(username="sre", password="correct-horse-battery", is_superuser=True)
    client = Client()
    assert client.login(username="sre", password="correct-horse-battery")
    return f"sessionid={client.cookies['sessionid'].value}".encode()
