"""A relist folds only what changed: a Pod stored at the resourceVersion listed is counted as seen and not
folded or written again (if it vanishes later, its deletion is dated after that list all the same); a Pod
that changed, a Pod recreated under the same name (another uid) and a stored row at another
resourceVersion are folded."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from pods import watch
from pods.models import Pod
from pods.watch.state import Stream
from tests.services import assert_statuses, settings_for_cluster

pytestmark = [pytest.mark.integration]
PODS = Stream("pods")


def rows(name: str) -> dict[str, tuple]:
    pods = Pod.objects.filter(cluster__name=name)
    return {p.uid: (p.resource_version, p.updated_at, bytes(p.state), p.deleted_at) for p in pods}


def listed(sim) -> dict[str, str]:
    return {p["metadata"]["uid"]: p["metadata"]["resourceVersion"] for p in sim.pods()}


def test_a_relist_of_unchanged_pods_writes_nothing(kubesim_cluster, transactional_db):
    sim = kubesim_cluster("healthy", seed=5)
    sim.drive(40)
    with settings_for_cluster(sim):
        w = watch.cluster_watch(sim.name)
        watch.list_once(w, PODS)
        assert w.stats["unchanged"] == 0, "a first list folds every Pod"
        before = rows(sim.name)
        assert set(before) == set(listed(sim))

        again = watch.cluster_watch(sim.name)
        watch.list_once(again, PODS)
        assert again.stats["unchanged"] == len(listed(sim))
        assert again.stats["objects"] == 0, "nothing was handed to ingest"
        assert rows(sim.name) == before

        # Last received an hour ago: still nothing is written (not even `observed_at`) ...
        an_hour_ago = datetime.now(UTC) - timedelta(hours=1)
        Pod.objects.filter(cluster__name=sim.name).update(observed_at=an_hour_ago)
        relisted_at = datetime.now(UTC)
        watch.list_once(watch.cluster_watch(sim.name), PODS)
        assert rows(sim.name) == before
        assert set(Pod.objects.filter(cluster__name=sim.name).values_list("observed_at", flat=True)) == {
            an_hour_ago
        }
        # ... and a Pod that a later relist no longer shows was alive at least until that list was taken.
        gone = sorted(listed(sim))[0]
        name = Pod.objects.get(cluster__name=sim.name, uid=gone).name
        sim.ks.call(sim.ks.sim.delete_pod, "default", name, 0)
        sim.drive(5)
        watch.list_once(watch.cluster_watch(sim.name), PODS)
        deleted = Pod.objects.get(cluster__name=sim.name, uid=gone)
        assert deleted.deleted_at is not None and deleted.deleted_at >= relisted_at
    assert_statuses(sim)


def test_a_relist_folds_what_changed(kubesim_cluster, transactional_db):
    sim = kubesim_cluster("crash-loop", seed=6)
    sim.drive(20)
    with settings_for_cluster(sim):
        watch.list_once(watch.cluster_watch(sim.name), PODS)
        sim.drive(90)  # migrate crash-loops: restartCount and state move on
        api = listed(sim)
        stored = rows(sim.name)
        assert all(stored[uid][0] != rv for uid, rv in api.items()), "every Pod changed meanwhile"
        w = watch.cluster_watch(sim.name)
        watch.list_once(w, PODS)
        assert w.stats["unchanged"] == 0
        assert {uid: row[0] for uid, row in rows(sim.name).items() if uid in api} == api
    assert_statuses(sim)


def test_a_pod_recreated_under_its_name_or_stored_at_another_version_is_folded(
    kubesim_cluster, transactional_db
):
    sim = kubesim_cluster("statefulset-recreate", seed=7)
    sim.drive(40)
    with settings_for_cluster(sim):
        watch.list_once(watch.cluster_watch(sim.name), PODS)
        first = {p.uid: p.name for p in Pod.objects.filter(cluster__name=sim.name)}
        sim.drive(70)  # db-0 deleted and created again: same name, another uid
        api = {p["metadata"]["uid"]: p["metadata"]["name"] for p in sim.pods()}
        recreated = set(api) - set(first)
        assert recreated and {api[uid] for uid in recreated} & set(first.values())
        # An API server restored from an older etcd: another resourceVersion than the stored one.
        kept = next(uid for uid in api if uid in first)
        Pod.objects.filter(cluster__name=sim.name, uid=kept).update(resource_version="1")
        w = watch.cluster_watch(sim.name)
        watch.list_once(w, PODS)
        unchanged_expected = len(api) - len(recreated) - 1
        assert w.stats["unchanged"] == unchanged_expected
        assert w.stats["objects"] == len(recreated) + 1, "the recreated Pods and the one at another version"
        gone = set(first) - set(api)
        assert gone and all(
            Pod.objects.get(cluster__name=sim.name, uid=uid).deleted_at is not None for uid in gone
        )
    assert_statuses(sim)
