"""One large cluster split across workers by namespace groups (INITSCOPE_CLUSTER_NAMESPACE_GROUPS): each
group is its own unit of work (lock, task runs, cursors, heartbeat, back-off), so two workers watch the two
halves of one cluster at once and together store exactly kubesim's ground truth; a group's relist closes
only Pods of its own namespaces; a stale group makes its cluster stale on the page, the API, the command
and `/readyz?verbose`."""

from __future__ import annotations

import io
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import CommandError, call_command
from django.core.serializers.json import DjangoJSONEncoder

from pods import selectors, watch
from pods.models import Attempt, Cluster, Pod, WatchCursor, WatchGroup
from pods.timeline import parse_time
from tests.services import lock_holder_pid, settings_for_cluster, wait_until

FRONT = ("payments", "shop")
BACK = ("batch", "infra")


def groups_setting(cluster: str) -> str:
    return f"{cluster}=front:{','.join(FRONT)}|back:{','.join(BACK)}"


def stored_by_namespace(cluster: str) -> dict[str, Counter]:
    """Stored finished attempts with details, per namespace, keyed like `truth_by_namespace`."""
    rows = Attempt.objects.filter(
        pod__cluster__name=cluster, known=True, finished_at__isnull=False
    ).values_list(
        "pod__namespace", "pod__uid", "container__name", "number", "exit_code", "reason", "started_at",
        "finished_at",
    )  # fmt: skip
    out: dict[str, Counter] = {}
    for ns, uid, container, number, code, reason, started, finished in rows:
        key = (uid, container, number, code, reason, started.isoformat(), finished.isoformat())
        out.setdefault(ns, Counter())[key] += 1
    return out


def truth_by_namespace(truth: list[dict]) -> dict[str, Counter]:
    out: dict[str, Counter] = {}
    for r in truth:
        if "container" in r:
            started, finished = parse_time(r["started_at"]), parse_time(r["finished_at"])
            key = (r["uid"], r["container"], r["number"], r["exit_code"], r["reason"], started.isoformat(),
                   finished.isoformat())  # fmt: skip
            out.setdefault(r["namespace"], Counter())[key] += 1
    return out


def deleted_by_namespace(cluster: str) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for ns, uid in Pod.objects.filter(cluster__name=cluster, deleted_at__isnull=False).values_list(
        "namespace", "uid"
    ):
        out.setdefault(ns, set()).add(uid)
    return out


def truth_deleted_by_namespace(truth: list[dict]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for r in truth:
        if "deleted_at" in r:
            out.setdefault(r["namespace"], set()).add(r["uid"])
    return out


def watched_only(by_namespace: dict, namespaces: tuple[str, ...]) -> dict:
    return {ns: value for ns, value in by_namespace.items() if ns in namespaces}


def lone_pod(name: str, namespace: str) -> dict:
    return {
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"containers": [{"name": "app", "image": "acme/web:1.4.2"}]},
    }


@pytest.mark.integration
@pytest.mark.redis
def test_two_workers_watch_the_two_halves_of_a_cluster_and_together_store_the_ground_truth(
    kubesim_cluster, celery_worker, redis_clean
):
    sim = kubesim_cluster("demo", seed=23)
    sim.ks.faults(bookmarks=False)  # a cursor then moves only with a change (see the relist below)
    env = sim.env | {"INITSCOPE_CLUSTER_NAMESPACE_GROUPS": groups_setting(sim.name)}
    first = celery_worker(env=env, beat=True, name="w1")  # solo pools: one window at a time each
    second = celery_worker(env=env, name="w2")
    keys = {group: f"{sim.name}/{group}" for group in ("front", "back")}

    def holders() -> dict[str, int]:
        return {group: lock_holder_pid(redis_clean, key) for group, key in keys.items()}

    assert wait_until(lambda: sorted(holders().values()) == sorted([first.pid, second.pid]), timeout=45), (
        f"both groups watched at once, by different workers: {holders()}"
    )
    assert redis_clean.get(f"initscope:watch:{sim.name}") is None, "a split cluster has no whole-cluster lock"

    sim.ks.call(sim.ks.sim.create_pod, lone_pod("outsider", "default"))  # a namespace in no group
    sim.drive(90)
    # Every stream relists while the other group's Pods are stored: etcd compacted and the API server
    # restarted, each stream's cursor is older than the compaction (the newest change is the outsider's
    # namespace's, watched by no group), so it gets 410, relists and reconciles its own namespace.
    sim.ks.call(sim.ks.sim.create_pod, lone_pod("outsider-2", "default"))
    listed_before = dict(
        WatchCursor.objects.filter(cluster__name=sim.name, resource="pods").values_list(
            "namespace", "listed_at"
        )
    )
    assert set(listed_before) == set(FRONT + BACK), "one Pod stream per namespace of the groups, none else"
    sim.ks.call(sim.ks.sim.store.compact)
    sim.ks.call(sim.ks.sim.store.reset_watch_cache)
    sim.ks.faults(restart=True)

    def relisted() -> bool:
        now = dict(
            WatchCursor.objects.filter(cluster__name=sim.name, resource="pods").values_list(
                "namespace", "listed_at"
            )
        )
        return all(now[ns] and now[ns] != listed_before[ns] for ns in FRONT + BACK)

    assert wait_until(relisted, timeout=30), "every namespace's Pods were listed again"
    sim.drive(60)

    truth = sim.truth()
    expected = watched_only(truth_by_namespace(truth), FRONT + BACK)
    expected_deleted = watched_only(truth_deleted_by_namespace(truth), FRONT + BACK)

    def converged() -> bool:
        return (
            stored_by_namespace(sim.name) == expected and deleted_by_namespace(sim.name) == expected_deleted
        )

    wait_until(converged, timeout=30, interval=0.5)
    stored = stored_by_namespace(sim.name)
    assert set(expected) == set(FRONT + BACK), "every namespace of both groups ran containers"
    for ns in FRONT + BACK:
        assert stored.get(ns, Counter()) - expected[ns] == Counter(), f"{ns}: attempts duplicated or invented"
        assert expected[ns] - stored.get(ns, Counter()) == Counter(), f"{ns}: attempts lost"
    # No worker closed the other's Pods: the only deleted Pods are those the API deleted.
    assert deleted_by_namespace(sim.name) == expected_deleted
    assert not Pod.objects.filter(cluster__name=sim.name, namespace="default").exists(), (
        "a namespace in no group is not watched"
    )

    # Both groups were watched in parallel all along, and the health read model says so per group.
    assert sorted(holders().values()) == sorted([first.pid, second.pid])
    rows = {g.name: g for g in WatchGroup.objects.filter(cluster__name=sim.name)}
    assert set(rows) == {"front", "back"}
    assert {r.watch_holder.split(":")[1] for r in rows.values()} == {str(first.pid), str(second.pid)}
    cluster = Cluster.objects.get(name=sim.name)
    assert cluster.watch_heartbeat_at is None and cluster.watch_holder == "", "the groups heartbeat, not it"
    assert first.alive and second.alive


@pytest.mark.integration
def test_a_groups_relist_closes_only_pods_of_its_own_namespaces(kubesim_cluster, db):
    sim = kubesim_cluster("demo", seed=3)
    sim.drive(20)
    with settings_for_cluster(sim, INITSCOPE_CLUSTER_NAMESPACE_GROUPS=groups_setting(sim.name)):
        front = watch.cluster_watch(sim.name, group="front")
        back = watch.cluster_watch(sim.name, group="back")
        assert {s.namespace for s in front.streams} == set(FRONT)
        assert {s.namespace for s in back.streams} == set(BACK)
        for w in (front, back):
            for stream in w.streams:
                watch.list_once(w, stream)
        stored = set(Pod.objects.filter(deleted_at__isnull=True).values_list("namespace", flat=True))
        assert stored == set(FRONT + BACK)

        # While no one watches, one Pod goes away in a namespace of each group.
        gone = {}
        for ns in ("shop", "batch"):
            victim = next(p["metadata"] for p in sim.pods() if p["metadata"]["namespace"] == ns)
            sim.ks.call(sim.ks.sim.delete_pod, ns, victim["name"], 0)
            gone[ns] = victim["uid"]
        sim.drive(2)

        for stream in back.streams:  # back relists: it closes its own vanished Pod, not front's
            watch.list_once(back, stream)
        assert set(Pod.objects.filter(deleted_at__isnull=False).values_list("uid", flat=True)) == {
            gone["batch"]
        }
        for stream in front.streams:
            watch.list_once(front, stream)
        assert set(Pod.objects.filter(deleted_at__isnull=False).values_list("uid", flat=True)) == set(
            gone.values()
        )
        assert set(WatchGroup.objects.values_list("name", flat=True)) == {"front", "back"}, "each heartbeats"


def test_a_stale_group_makes_its_cluster_stale_on_every_health_surface(db, settings, client, api):
    settings.INITSCOPE_CLUSTERS = ["big"]
    settings.INITSCOPE_CLUSTER_NAMESPACE_GROUPS = "big=front:shop|back:batch"
    now = datetime.now(UTC)
    earlier = now - timedelta(minutes=10)
    cluster = Cluster.objects.create(name="big", watched=True)
    WatchGroup.objects.create(cluster=cluster, name="front", watch_heartbeat_at=now, watch_holder="host:1:a")
    # back's worker died ten minutes ago: its heartbeat and its streams stopped then.
    WatchGroup.objects.create(
        cluster=cluster, name="back", watch_heartbeat_at=earlier, watch_holder="host:2:b"
    )
    for ns, ok in (("shop", now), ("batch", earlier)):
        for resource in ("pods", "events"):
            WatchCursor.objects.create(
                cluster=cluster, resource=resource, namespace=ns, last_ok_at=ok, resource_version="7"
            )

    (row,) = selectors.cluster_health()
    groups = {g["name"]: g for g in row["groups"]}
    assert list(groups) == ["front", "back"], "in the order of the setting"
    assert (groups["front"]["state"], groups["front"]["stale"], groups["front"]["holder"]) == (
        "watching", False, "host:1:a",
    )  # fmt: skip
    assert groups["front"]["namespaces"] == ["shop"] and len(groups["front"]["streams"]) == 2
    assert (groups["back"]["state"], groups["back"]["stale"], groups["back"]["holder"]) == (
        "stopped",
        True,
        "",
    )
    assert groups["back"]["stale_reason"] == "watch not running"
    assert row["state"] == "degraded", "part of the cluster is watched, part is not"
    assert row["stale"] and row["stale_reason"] == "group back: watch not running"
    assert row["known_at"] == earlier and row["heartbeat_at"] == earlier and row["holder"] == "host:1:a"
    assert row["namespaces"] == ["batch", "shop"] and len(row["streams"]) == 4

    (entry,) = selectors.cluster_freshness()
    assert entry["state"] == "stale" and [(g["name"], g["state"]) for g in entry["groups"]] == [
        ("front", "live"),
        ("back", "stale"),
    ]
    assert selectors.page_freshness(names=["big"])["state"] == "stale", "the pages show the cluster stale"

    body = client.get("/readyz?verbose").json()
    as_json = DjangoJSONEncoder().default
    assert body["clusters"] == [
        {
            "name": "big",
            "state": "stale",
            "known_at": as_json(earlier),
            "groups": [
                {"name": "front", "state": "live", "known_at": as_json(now)},
                {"name": "back", "state": "stale", "known_at": as_json(earlier)},
            ],
        }
    ]
    assert "host:" not in client.get("/readyz?verbose").content.decode() and "batch" not in str(body)

    listed = api.get("/api/v1/clusters").json()["results"][0]  # validated against the OpenAPI schema
    assert [(g["name"], g["state"], g["stale"]) for g in listed["groups"]] == [
        ("front", "watching", False),
        ("back", "stopped", True),
    ]
    page = api.client.get("/clusters/").content.decode()
    assert 'data-group="front" data-state="watching" data-fresh="live"' in page
    assert 'data-group="back" data-state="stopped" data-fresh="stale"' in page
    out = io.StringIO()
    call_command("clusters", stdout=out)
    lines = out.getvalue().splitlines()
    assert any(
        line.split()[:3] == ["group", "back", "stopped"] and "stale: watch not running" in line
        for line in lines
    )
    assert any(line.split()[:3] == ["group", "front", "watching"] and line.endswith("live") for line in lines)

    # back's watch runs again: every group current, the cluster too.
    WatchGroup.objects.filter(name="back").update(watch_heartbeat_at=now)
    WatchCursor.objects.filter(namespace="batch").update(last_ok_at=now)
    (row,) = selectors.cluster_health()
    assert row["state"] == "watching" and not row["stale"] and row["holder"] == "host:1:a, host:2:b"


@pytest.mark.redis
def test_beat_starts_each_group_that_is_neither_watched_nor_backing_off(settings, redis_clean, db):
    from tests.services import redis_url

    settings.REDIS_URL = redis_url()
    settings.INITSCOPE_CLUSTERS = ["big", "small"]
    settings.INITSCOPE_CLUSTER_NAMESPACE_GROUPS = "big=front:shop|back:batch|side:infra"
    held = watch.ClusterLock("big", ttl=5, group="front")
    assert held.acquire()
    try:
        cluster = Cluster.objects.create(name="big")
        WatchGroup.objects.create(
            cluster=cluster, name="back", watch_retry_at=datetime.now(UTC) + timedelta(seconds=30)
        )
        units = watch.register_clusters()
        assert units == [("big", "front"), ("big", "back"), ("big", "side"), ("small", "")]
        assert watch.clusters_to_start(units) == [("big", "side"), ("small", "")]
        # The whole cluster's lock is not the groups': a split cluster's groups never wait on it.
        assert watch.ClusterLock("big", ttl=5).acquire()
        assert watch.clusters_to_start(units) == [("big", "side"), ("small", "")]
        # The enqueue guard is per unit too.
        assert watch.claim_enqueue("big", ttl=5, group="side")
        assert not watch.claim_enqueue("big", ttl=5, group="side")
        assert watch.claim_enqueue("big", ttl=5, group="back") and watch.claim_enqueue("big", ttl=5)
        watch.release_enqueue("big", group="side")
        assert watch.claim_enqueue("big", ttl=5, group="side")
    finally:
        held.release()


def test_a_run_of_a_unit_the_settings_do_not_have_ends_at_once(settings, db):
    settings.INITSCOPE_CLUSTERS = ["big"]
    settings.INITSCOPE_CLUSTER_NAMESPACE_GROUPS = "big=front:shop|back:batch"
    whole = watch.watch_cluster_once("big")
    assert (whole.reason, whole.requeue) == ("unconfigured", False)
    assert "split into namespace groups" in whole.message
    gone = watch.watch_cluster_once("big", group="old")
    assert (gone.reason, gone.requeue, gone.message) == (
        "unconfigured",
        False,
        "'big' has no namespace group 'old'",
    )
    with pytest.raises(CommandError, match=r"split into namespace groups: pass --group \(front, back\)"):
        call_command("watch", "--cluster", "big", "--once")
    with pytest.raises(CommandError, match="has no namespace group 'old'"):
        call_command("watch", "--cluster", "big", "--group", "old", "--once")
    assert not Cluster.objects.exists(), "nothing was watched"
