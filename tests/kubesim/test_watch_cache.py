"""The watch cache against etcd compaction and API server restarts (docs/kubernetes.md §6, "Observed"):
Pod watches are served from the watch cache, core/v1 Event watches straight from etcd."""

from __future__ import annotations

from .helpers import read_watch


def _expired(message: str) -> dict:
    return {
        "type": "ERROR",
        "object": {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": message,
            "reason": "Expired",
            "code": 410,
        },
    }


async def test_compaction_does_not_expire_a_pod_watch_but_expires_an_event_watch(make_sim, http):
    sim = await make_sim("crash-loop")
    sim.advance(5)
    s = http(sim)
    pod_rv = (await (await s.get("/api/v1/pods")).json())["metadata"]["resourceVersion"]
    ev_rv = (await (await s.get("/api/v1/events")).json())["metadata"]["resourceVersion"]
    sim.advance(60)
    expected = [
        (c.type, c.obj["metadata"]["resourceVersion"])
        for c in sim.store.history["pods"]
        if c.rv > int(pod_rv)
    ]
    assert len(expected) > 5
    sim.store.compact()  # etcd compaction at the current revision

    resp = await s.get(
        "/api/v1/pods", params={"watch": "1", "resourceVersion": pod_rv, "timeoutSeconds": "1"}
    )
    events = await read_watch(resp, None)
    # every intermediate state the cache holds is replayed, in order, no 410
    assert [(e["type"], e["object"]["metadata"]["resourceVersion"]) for e in events] == expected

    resp = await s.get(
        "/api/v1/events", params={"watch": "1", "resourceVersion": ev_rv, "timeoutSeconds": "1"}
    )
    assert resp.status == 200
    assert await read_watch(resp, None) == [
        _expired("The resourceVersion for the provided watch is too old.")
    ]
    # events.k8s.io reads the same (uncached) store
    resp = await s.get(
        "/apis/events.k8s.io/v1/events",
        params={"watch": "1", "resourceVersion": ev_rv, "timeoutSeconds": "1"},
    )
    assert [e["type"] for e in await read_watch(resp, None)] == ["ERROR"]
    # an exact list at the old RV reads etcd: 410
    resp = await s.get("/api/v1/pods", params={"resourceVersion": pod_rv, "resourceVersionMatch": "Exact"})
    assert resp.status == 410


async def test_after_a_restart_the_cache_starts_at_the_current_rv(make_sim, http):
    sim = await make_sim("crash-loop")
    sim.advance(5)
    s = http(sim)
    old_rv = (await (await s.get("/api/v1/pods")).json())["metadata"]["resourceVersion"]
    sim.advance(30)
    await s.close()
    await sim.restart()
    restart_rv = sim.store.rv
    s = http(sim)
    resp = await s.get(
        "/api/v1/pods", params={"watch": "1", "resourceVersion": old_rv, "timeoutSeconds": "1"}
    )
    assert resp.status == 200
    assert await read_watch(resp, None) == [_expired(f"too old resource version: {old_rv} ({restart_rv})")]
    # from the cache's start RV (what a list right after the restart returns) the watch works
    sim.advance(20)
    resp = await s.get(
        "/api/v1/pods", params={"watch": "1", "resourceVersion": str(restart_rv), "timeoutSeconds": "1"}
    )
    events = await read_watch(resp, None)
    assert events and all(e["type"] != "ERROR" for e in events)
    # an Event watch from an older RV that etcd still holds is fine after the restart (no cache)
    resp = await s.get(
        "/api/v1/events", params={"watch": "1", "resourceVersion": old_rv, "timeoutSeconds": "1"}
    )
    events = await read_watch(resp, None)
    assert events and all(e["type"] in ("ADDED", "MODIFIED", "DELETED") for e in events)


async def test_no_bookmarks_on_event_watches(make_sim, http):
    sim = await make_sim("crash-loop", bookmark_interval=0.2)
    sim.advance(5)
    s = http(sim)
    rv = (await (await s.get("/api/v1/events")).json())["metadata"]["resourceVersion"]
    for path in ("/api/v1/events", "/apis/events.k8s.io/v1/events"):
        resp = await s.get(
            path,
            params={
                "watch": "1",
                "resourceVersion": rv,
                "allowWatchBookmarks": "true",
                "timeoutSeconds": "1",
            },
        )
        assert not [e for e in await read_watch(resp, None) if e["type"] == "BOOKMARK"]
    # a Pod watch from an RV gets them
    resp = await s.get(
        "/api/v1/pods",
        params={"watch": "1", "resourceVersion": rv, "allowWatchBookmarks": "true", "timeoutSeconds": "1"},
    )
    assert [e for e in await read_watch(resp, None) if e["type"] == "BOOKMARK"]


async def test_injected_expiry_still_works_after_compaction(make_sim, http):
    sim = await make_sim("healthy")
    sim.advance(5)
    s = http(sim)
    rv = (await (await s.get("/api/v1/pods")).json())["metadata"]["resourceVersion"]
    sim.store.compact()
    sim.faults.apply({"expire_next_watches": 1})
    resp = await s.get("/api/v1/pods", params={"watch": "1", "resourceVersion": rv, "timeoutSeconds": "1"})
    assert [e["type"] for e in await read_watch(resp, None)] == ["ERROR"]
    resp = await s.get("/api/v1/pods", params={"watch": "1", "resourceVersion": rv, "timeoutSeconds": "1"})
    assert all(e["type"] != "ERROR" for e in await read_watch(resp, None))
