"""Raw HTTP conformance: discovery, pagination snapshots, watch semantics, errors, Table output."""

from __future__ import annotations

import asyncio
import ssl
import time

import orjson

from .helpers import read_watch


async def test_discovery(make_sim, http):
    sim = await make_sim()
    s = http(sim)
    version = await (await s.get("/version")).json()
    assert version["major"] == "1" and version["minor"] == "35"
    assert (await (await s.get("/api")).json())["versions"] == ["v1"]
    core = await (await s.get("/api/v1")).json()
    names = {r["name"] for r in core["resources"]}
    assert {"pods", "pods/log", "namespaces", "events"} <= names
    groups = await (await s.get("/apis")).json()
    assert {g["preferredVersion"]["groupVersion"] for g in groups["groups"]} == {
        "apps/v1",
        "batch/v1",
        "events.k8s.io/v1",
    }
    for gv in ("events.k8s.io/v1", "apps/v1", "batch/v1"):
        body = await (await s.get(f"/apis/{gv}")).json()
        assert body["kind"] == "APIResourceList" and body["groupVersion"] == gv
    resp = await s.get("/openapi/v2")
    assert resp.status == 404 and (await resp.json())["kind"] == "Status"


async def test_auth_and_error_statuses(make_sim, http):
    sim = await make_sim(forbidden={("list", "pods")})
    resp = await http(sim, token="wrong").get("/api/v1/pods")
    assert resp.status == 401
    assert await resp.json() == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": "Unauthorized",
        "reason": "Unauthorized",
        "code": 401,
    }
    s = http(sim)
    resp = await s.get("/api/v1/namespaces/default/pods")
    assert resp.status == 403
    body = await resp.json()
    assert body["reason"] == "Forbidden" and body["message"] == (
        'pods is forbidden: User "system:serviceaccount:initscope:initscope" '
        'cannot list resource "pods" in API '
        'group "" in the namespace "default"'
    )
    resp = await s.get("/api/v1/namespaces/default/pods/missing")
    body = await resp.json()
    assert (
        resp.status == 404 and body["message"] == 'pods "missing" not found' and body["reason"] == "NotFound"
    )


async def test_a_namespaced_forbidden_entry_denies_only_that_namespace(make_sim, http):
    sim = await make_sim(forbidden={("*", "*", "payments")})
    s = http(sim)
    resp = await s.get("/api/v1/namespaces/payments/events", params={"watch": "1", "timeoutSeconds": "1"})
    assert resp.status == 403 and (await resp.json())["message"] == (
        'events is forbidden: User "system:serviceaccount:initscope:initscope" cannot watch resource '
        '"events" in API group "" in the namespace "payments"'
    )
    assert (await s.get("/api/v1/namespaces/shop/pods")).status == 200
    assert (await s.get("/api/v1/pods")).status == 200, "an entry with a namespace leaves other scopes alone"
    sim.forbidden.discard(("*", "*", "payments"))  # the RoleBinding arrives
    assert (await s.get("/api/v1/namespaces/payments/pods")).status == 200


async def test_pagination_is_one_snapshot(make_sim, http):
    sim = await make_sim("healthy", scenario_options=None)
    for i in range(5):
        sim.create_pod(
            {
                "metadata": {"name": f"p{i}", "namespace": "default"},
                "spec": {"containers": [{"name": "c", "image": "nginx:1.27"}]},
            }
        )
    sim.advance(5)
    s = http(sim)
    page = await (await s.get("/api/v1/pods", params={"limit": "3"})).json()
    rv = page["metadata"]["resourceVersion"]
    first = [p["metadata"]["name"] for p in page["items"]]
    assert len(first) == 3 and page["metadata"]["remainingItemCount"] == 4
    assert "kind" not in page["items"][0]  # list items carry no kind/apiVersion, as on a real server
    sim.delete_pod("default", "p4", grace=0)
    sim.create_pod(
        {
            "metadata": {"name": "p9", "namespace": "default"},
            "spec": {"containers": [{"name": "c", "image": "nginx:1.27"}]},
        }
    )
    sim.advance(10)
    rest = []
    cont = page["metadata"]["continue"]
    while cont:
        page = await (await s.get("/api/v1/pods", params={"limit": "3", "continue": cont})).json()
        assert page["metadata"]["resourceVersion"] == rv
        rest += [p["metadata"]["name"] for p in page["items"]]
        cont = page["metadata"].get("continue")
    assert "p4" in rest and "p9" not in rest and len(first + rest) == 7
    # a token whose snapshot was compacted away is 410 Expired
    page = await (await s.get("/api/v1/pods", params={"limit": "2"})).json()
    sim.delete_pod("default", "p0", grace=0)
    sim.store.compact()
    resp = await s.get("/api/v1/pods", params={"limit": "2", "continue": page["metadata"]["continue"]})
    body = await resp.json()
    assert resp.status == 410 and body["reason"] == "Expired"
    assert body["message"].startswith("The provided continue parameter is too old")


async def test_exact_list_at_old_resource_version(make_sim, http):
    sim = await make_sim("healthy")
    sim.advance(2)
    s = http(sim)
    before = await (await s.get("/api/v1/namespaces/default/pods")).json()
    rv = before["metadata"]["resourceVersion"]
    sim.advance(20)
    old = await (
        await s.get(
            "/api/v1/namespaces/default/pods", params={"resourceVersion": rv, "resourceVersionMatch": "Exact"}
        )
    ).json()
    assert old["metadata"]["resourceVersion"] == rv
    assert [p["status"] for p in old["items"]] == [p["status"] for p in before["items"]]
    sim.store.compact()
    resp = await s.get("/api/v1/pods", params={"resourceVersion": rv, "resourceVersionMatch": "Exact"})
    assert resp.status == 410 and (await resp.json())["reason"] == "Expired"


async def test_selectors(make_sim, http):
    sim = await make_sim("demo")
    sim.advance(30)
    s = http(sim)

    async def names(**params):
        body = await (await s.get("/api/v1/pods", params=params)).json()
        return {p["metadata"]["name"] for p in body["items"]}

    web = await names(labelSelector="app=web")
    assert web and all(n.startswith("web-") for n in web)
    assert not web & await names(labelSelector="app!=web")
    assert await names(labelSelector="app in (web,api)") == web | await names(labelSelector="app==api")
    assert not web & await names(labelSelector="app notin (web)")
    assert await names(labelSelector="statefulset.kubernetes.io/pod-name") == {"ledger-db-0", "ledger-db-1"}
    assert await names(fieldSelector="metadata.name=ledger-db-0") == {"ledger-db-0"}
    assert await names(fieldSelector="metadata.namespace=payments,status.phase=Running") <= await names(
        fieldSelector="metadata.namespace=payments"
    )
    node = sim.store.get("pods", "payments", "ledger-db-0")["spec"]["nodeName"]
    assert "ledger-db-0" in await names(fieldSelector=f"spec.nodeName={node}")
    resp = await s.get("/api/v1/pods", params={"fieldSelector": "spec.bogus=1"})
    assert resp.status == 400


async def test_watch_without_rv_sends_synthetic_added_then_changes(make_sim, http):
    sim = await make_sim("healthy")
    sim.advance(1)
    s = http(sim)
    resp = await s.get("/api/v1/pods", params={"watch": "1", "timeoutSeconds": "2"})
    events = await read_watch(resp, 2)
    assert [e["type"] for e in events] == ["ADDED", "ADDED"]
    sim.advance(10)
    rest = await read_watch(resp, None)
    assert rest and {e["type"] for e in rest} == {"MODIFIED"}
    rvs = [int(e["object"]["metadata"]["resourceVersion"]) for e in rest]
    assert rvs == sorted(rvs)


async def test_watch_from_rv_bookmarks_and_timeout(make_sim, http):
    sim = await make_sim("healthy", bookmark_interval=0.2)
    sim.advance(3)
    s = http(sim)
    rv = (await (await s.get("/api/v1/pods")).json())["metadata"]["resourceVersion"]
    sim.advance(5)
    started = time.monotonic()
    resp = await s.get(
        "/api/v1/pods",
        params={"watch": "true", "resourceVersion": rv, "allowWatchBookmarks": "true", "timeoutSeconds": "1"},
    )
    events = await read_watch(resp, None, timeout=5)
    elapsed = time.monotonic() - started
    assert 0.9 < elapsed < 3, elapsed
    assert events[0]["type"] == "MODIFIED" and int(events[0]["object"]["metadata"]["resourceVersion"]) > int(
        rv
    )
    bookmarks = [e for e in events if e["type"] == "BOOKMARK"]
    assert bookmarks
    assert bookmarks[0]["object"] == {
        "kind": "Pod",
        "apiVersion": "v1",
        "metadata": {"resourceVersion": str(sim.store.rv), "creationTimestamp": None},
        "spec": {"containers": None},
        "status": {},
    }
    # no bookmarks for a watch without a resourceVersion (not served from the watch cache)
    resp = await s.get(
        "/api/v1/pods", params={"watch": "1", "allowWatchBookmarks": "true", "timeoutSeconds": "1"}
    )
    assert not [e for e in await read_watch(resp, None) if e["type"] == "BOOKMARK"]


async def test_watch_too_old_rv_is_in_stream_410(make_sim, http):
    sim = await make_sim("healthy", history_size=5)
    sim.advance(30)
    resp = await http(sim).get("/api/v1/pods", params={"watch": "1", "resourceVersion": "2"})
    assert resp.status == 200
    [event] = await read_watch(resp, None)
    oldest = sim.store.history["pods"][0].rv - 1  # the watch cache names the RV before its oldest change
    assert event == {
        "type": "ERROR",
        "object": {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": f"too old resource version: 2 ({oldest})",
            "reason": "Expired",
            "code": 410,
        },
    }


async def test_send_initial_events(make_sim, http):
    sim = await make_sim("healthy")
    sim.advance(3)
    resp = await http(sim).get(
        "/api/v1/pods",
        params={
            "watch": "1",
            "sendInitialEvents": "true",
            "resourceVersionMatch": "NotOlderThan",
            "allowWatchBookmarks": "true",
            "timeoutSeconds": "1",
        },
    )
    events = await read_watch(resp, 3)
    assert [e["type"] for e in events] == ["ADDED", "ADDED", "BOOKMARK"]
    assert events[2]["object"]["metadata"]["annotations"] == {"k8s.io/initial-events-end": "true"}


async def test_table_output(make_sim, http):
    sim = await make_sim("crash-loop")
    sim.advance(60)
    s = http(sim)
    resp = await s.get("/api/v1/pods", headers={"Accept": "application/json;as=Table;v=v1;g=meta.k8s.io"})
    table = await resp.json()
    assert table["kind"] == "Table"
    assert [c["name"] for c in table["columnDefinitions"][:5]] == [
        "Name",
        "Ready",
        "Status",
        "Restarts",
        "Age",
    ]
    [row] = table["rows"]
    assert row["cells"][1:3] == ["0/1", "Init:CrashLoopBackOff"]
    assert row["cells"][3].startswith("3 (") and row["object"]["kind"] == "PartialObjectMetadata"
    ev = await (
        await s.get(
            "/api/v1/namespaces/default/events",
            headers={"Accept": "application/json;as=Table;v=v1;g=meta.k8s.io"},
        )
    ).json()
    assert ev["rows"] and len(ev["rows"][0]["cells"]) == len(ev["columnDefinitions"])


async def test_events_two_views_and_aggregation(make_sim, http):
    sim = await make_sim("unschedulable")
    sim.advance(80)
    s = http(sim)
    core = (await (await s.get("/api/v1/namespaces/default/events")).json())["items"]
    failed = next(e for e in core if e["reason"] == "FailedScheduling")
    assert (
        failed["series"]["count"] > 1 and failed["firstTimestamp"] is None and failed["count"] is None
        if "count" in failed
        else failed["series"]["count"] > 1
    )
    assert failed["eventTime"].endswith("Z") and failed["reportingComponent"] == "default-scheduler"
    assert failed["source"] == {} and failed["action"] == "Scheduling"
    sched = next(e for e in core if e["reason"] == "Scheduled")
    assert sched["action"] == "Binding"
    pod_uid = sched["involvedObject"]["uid"]
    pulled = next(e for e in core if e["reason"] == "Pulled")
    assert pulled["involvedObject"]["fieldPath"] == "spec.initContainers{wait-for-db}"
    assert pulled["involvedObject"]["uid"] == pod_uid and pulled["count"] == 1
    assert pulled["source"] == {"component": "kubelet", "host": sched["message"].rsplit(" ", 1)[1]}
    assert pulled["metadata"]["name"].startswith(sched["involvedObject"]["name"] + ".")
    v1 = (await (await s.get("/apis/events.k8s.io/v1/namespaces/default/events")).json())["items"]
    by_name = {e["metadata"]["name"]: e for e in v1}
    view = by_name[pulled["metadata"]["name"]]
    assert view["note"] == pulled["message"] and view["regarding"] == pulled["involvedObject"]
    assert view["reportingController"] == "kubelet" and view["deprecatedCount"] == 1
    assert view["deprecatedSource"] == pulled["source"]


async def test_event_ttl(make_sim, http):
    sim = await make_sim("healthy", event_ttl=120)
    sim.advance(30)
    assert sim.store.objects["events"]
    sim.advance(200)
    assert not sim.store.objects["events"]


async def test_graceful_delete_sequence(make_sim, http):
    sim = await make_sim("slow-init")
    sim.advance(10)
    s = http(sim)
    [pod] = (await (await s.get("/api/v1/namespaces/default/pods")).json())["items"]
    name = pod["metadata"]["name"]
    rv = (await (await s.get("/api/v1/pods")).json())["metadata"]["resourceVersion"]
    resp = await s.delete(f"/api/v1/namespaces/default/pods/{name}")
    body = await resp.json()
    assert resp.status == 200 and body["metadata"]["deletionGracePeriodSeconds"] == 30
    sim.advance(5)
    w = await s.get(
        "/api/v1/namespaces/default/pods",
        params={"watch": "1", "resourceVersion": rv, "fieldSelector": f"metadata.name={name}"},
    )
    events = []
    async for line in w.content:
        events.append(orjson.loads(line))
        if events[-1]["type"] == "DELETED":
            break
    types = [e["type"] for e in events]
    assert types[-1] == "DELETED" and set(types[:-1]) == {"MODIFIED"}, types
    assert events[0]["object"]["metadata"]["deletionTimestamp"]
    assert events[0]["object"]["metadata"]["deletionGracePeriodSeconds"] == 30
    final = events[-2]["object"]
    init = final["status"]["initContainerStatuses"][0]["state"]["terminated"]
    assert init["exitCode"] == 143 and init["reason"] == "Error"
    assert final["status"]["phase"] == "Failed"
    assert final["metadata"]["deletionGracePeriodSeconds"] == 0
    assert final["metadata"]["deletionTimestamp"] < events[0]["object"]["metadata"]["deletionTimestamp"]
    assert int(events[-1]["object"]["metadata"]["resourceVersion"]) > int(
        final["metadata"]["resourceVersion"]
    )
    assert sim.truth.deletions()[0]["pod"] == name


async def test_create_pod_with_behavior(make_sim, http):
    sim = await make_sim("healthy")
    manifest = {
        "metadata": {
            "name": "mine",
            "annotations": {
                "kubesim.io/behavior": orjson.dumps(
                    {"containers": {"init": {"duration": 2, "exit_codes": [1, 0]}}}
                ).decode()
            },
        },
        "spec": {
            "initContainers": [{"name": "init", "image": "busybox:1.36"}],
            "containers": [{"name": "main", "image": "nginx:1.27"}],
        },
    }
    resp = await http(sim).post("/api/v1/namespaces/default/pods", data=orjson.dumps(manifest))
    assert resp.status == 201
    sim.advance(30)
    pod = sim.store.get("pods", "default", "mine")
    assert pod["status"]["phase"] == "Running"
    assert pod["status"]["initContainerStatuses"][0]["restartCount"] == 1


async def test_tls(make_sim):
    import aiohttp

    sim = await make_sim("healthy", tls=True)
    assert sim.url.startswith("https://")
    ctx = ssl.create_default_context(cafile=sim.ca_path)
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {sim.token}"}) as s:
        resp = await s.get(sim.url + "/version", ssl=ctx)
        assert resp.status == 200
    cfg = sim.kubeconfig()
    assert cfg["clusters"][0]["cluster"]["certificate-authority-data"]


async def test_watch_follow_log(make_sim, http):
    sim = await make_sim("slow-init")
    sim.advance(10)
    name = next(iter(sim.store.objects["pods"]))[1]
    resp = await http(sim).get(
        f"/api/v1/namespaces/default/pods/{name}/log", params={"container": "wait-for-db", "follow": "true"}
    )
    first = await asyncio.wait_for(resp.content.readline(), 2)
    assert first.startswith(b"wait-for-db: starting")
    resp.close()
