"""Each run-time fault, switched through the admin endpoint or the Python API."""

from __future__ import annotations

import asyncio
import time

import aiohttp
import orjson
import pytest

from .helpers import read_watch


async def post_faults(s: aiohttp.ClientSession, **faults) -> dict:
    resp = await s.post("/_kubesim/faults", data=orjson.dumps(faults))
    assert resp.status == 200
    return await resp.json()


async def test_admin_endpoint_needs_the_token(make_sim, http):
    sim = await make_sim()
    resp = await http(sim, token="nope").post("/_kubesim/faults", data=b'{"latency": 1}')
    assert resp.status == 401
    assert sim.faults.latency == 0
    resp = await http(sim).post("/_kubesim/faults", data=b'{"bogus": 1}')
    assert resp.status == 400


async def test_close_watches_every(make_sim, http):
    sim = await make_sim()
    s = http(sim)
    await post_faults(s, close_watches_every=0.5)
    started = time.monotonic()
    resp = await s.get("/api/v1/pods", params={"watch": "1", "timeoutSeconds": "30"})
    await read_watch(resp, None, timeout=5)
    assert time.monotonic() - started < 2
    await post_faults(s, close_watches_every=None)
    assert sim.faults.close_watches_every is None


async def test_expire_next_watch_in_stream_and_http(make_sim, http):
    sim = await make_sim()
    s = http(sim)
    await post_faults(s, expire_next_watches=1, expire_next_watches_http=1)
    resp = await s.get("/api/v1/pods", params={"watch": "1", "resourceVersion": "1", "timeoutSeconds": "1"})
    assert resp.status == 410 and (await resp.json())["reason"] == "Expired"
    resp = await s.get("/api/v1/pods", params={"watch": "1", "resourceVersion": "1", "timeoutSeconds": "1"})
    assert resp.status == 200
    [event] = await read_watch(resp, None)
    assert event["type"] == "ERROR" and event["object"]["code"] == 410
    resp = await s.get("/api/v1/pods", params={"watch": "1", "timeoutSeconds": "1"})
    assert all(e["type"] == "ADDED" for e in await read_watch(resp, None))


async def test_error_burst_and_latency(make_sim, http):
    sim = await make_sim()
    s = http(sim)
    await post_faults(s, error_burst={"count": 2, "code": 503})
    codes = [(await s.get("/api/v1/pods")).status for _ in range(3)]
    assert codes == [503, 503, 200]
    sim.faults.apply({"error_burst": {"count": 1, "code": 500}})
    resp = await s.get("/api/v1/pods")
    assert resp.status == 500 and (await resp.json())["reason"] == "InternalError"
    sim.faults.apply({"latency": 0.3})
    started = time.monotonic()
    await s.get("/api/v1/pods")
    assert time.monotonic() - started >= 0.3


async def test_stalled_watch_sends_nothing(make_sim, http):
    sim = await make_sim()
    sim.advance(5)
    s = http(sim)
    await post_faults(s, stall_next_watches=1)
    resp = await s.get("/api/v1/pods", params={"watch": "1", "timeoutSeconds": "1"})
    sim.advance(10)
    assert await read_watch(resp, None, timeout=4) == []


async def test_malformed_line(make_sim, http):
    sim = await make_sim()
    s = http(sim)
    await post_faults(s, malformed_next_watches=1)
    resp = await s.get("/api/v1/pods", params={"watch": "1", "timeoutSeconds": "1"})
    first = await resp.content.readline()
    with pytest.raises(orjson.JSONDecodeError):
        orjson.loads(first)
    assert orjson.loads(await resp.content.readline())["type"] == "ADDED"


async def test_no_bookmarks(make_sim, http):
    sim = await make_sim(bookmark_interval=0.2)
    s = http(sim)
    await post_faults(s, bookmarks=False)
    resp = await s.get(
        "/api/v1/pods",
        params={
            "watch": "1",
            "resourceVersion": str(sim.store.rv),
            "allowWatchBookmarks": "true",
            "timeoutSeconds": "1",
        },
    )
    assert [e for e in await read_watch(resp, None) if e["type"] == "BOOKMARK"] == []


async def test_restart_keeps_state_and_port(make_sim, http):
    sim = await make_sim()
    sim.advance(10)
    port, rv = sim.port, sim.store.rv
    s = http(sim)
    watch = await s.get("/api/v1/pods", params={"watch": "1", "timeoutSeconds": "30"})
    await read_watch(watch, 2)
    await post_faults(s, restart=True)
    rest = await read_watch(watch, None, timeout=5)  # the open watch is cut by the restart
    assert all(e["type"] != "ERROR" for e in rest)
    for _ in range(50):
        try:
            async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {sim.token}"}) as fresh:
                body = await (await fresh.get(f"{sim.url}/api/v1/pods")).json()
            break
        except aiohttp.ClientError:
            await asyncio.sleep(0.05)
    assert sim.port == port and int(body["metadata"]["resourceVersion"]) >= rv and len(body["items"]) == 2


def test_faults_from_sync_helper(threaded):
    with threaded("healthy") as ks:
        state = ks.faults(latency=0.1, error_burst={"count": 1, "code": 503})
        assert state["latency"] == 0.1 and state["error_burst"] == 1 and state["error_code"] == 503
        ks.faults(reset=True)
        ks.restart()
        import urllib.request

        req = urllib.request.Request(ks.url + "/version", headers={"Authorization": f"Bearer {ks.token}"})
        assert urllib.request.urlopen(req, timeout=5).status == 200
