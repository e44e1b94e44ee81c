"""kill -9 of the watching worker, at random moments during churn, loses nothing: the next holder of the
lock resumes from the saved cursor. When the API's history is gone meanwhile (compaction and an API
server restart), the relist keeps exactly what the API still shows: attempts visible in
`state`/`lastState` with their details, the ones it only counts as placeholders, Pods that vanished as
deleted."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from pods.models import WatchCursor
from pods.timeline import parse_time
from tests.services import (
    assert_statuses,
    assert_truth,
    deleted_pods,
    lock_holder_pid,
    stored_attempts,
    truth_attempts,
    unknown_attempts,
    wait_until,
    watching,
)

pytestmark = [pytest.mark.integration, pytest.mark.redis]


def test_kill_9_at_random_moments_loses_no_attempt(kubesim_cluster, celery_worker, redis_clean):
    sim = kubesim_cluster("demo", seed=11)
    worker = celery_worker(env=sim.env, beat=True)
    watching(sim.name)
    rng = random.Random(20251125)
    for _ in range(4):
        # Once this worker watches (holds the lock), kill it at a random step of the churn.
        assert wait_until(lambda: lock_holder_pid(redis_clean, sim.name) == worker.pid, timeout=20)
        kill_at = rng.randint(5, 60)
        sim.drive(70, each=lambda i, at=kill_at: worker.kill() if i == at else None)
        sim.drive(rng.randint(5, 40))  # churn goes on while nobody watches
        worker.start()
    sim.drive(60)
    assert_truth(sim, timeout=30)
    assert_statuses(sim)
    assert unknown_attempts(sim.name) == Counter(), "the saved cursor replayed every change"


def shown_attempts(pods: list[dict]) -> set[tuple[str, str, int, str]]:
    """(uid, container, number, finishedAt) of every finished attempt the API shows now: the `state` or
    `lastState` termination of each container, nothing older (docs/kubernetes.md §2 rules 2-3: running or
    terminated is attempt restartCount and lastState the one before; waiting with a lastState means
    attempt restartCount finished and the next has not started)."""
    shown = set()
    for pod in pods:
        status = pod.get("status") or {}
        for cs in (status.get("initContainerStatuses") or []) + (status.get("containerStatuses") or []):
            count = cs.get("restartCount", 0)
            state, last = cs.get("state") or {}, cs.get("lastState") or {}
            if "terminated" in state:
                shown.add((pod["metadata"]["uid"], cs["name"], count, state["terminated"]["finishedAt"]))
                if "terminated" in last:
                    shown.add(
                        (pod["metadata"]["uid"], cs["name"], count - 1, last["terminated"]["finishedAt"])
                    )
            elif "running" in state and "terminated" in last:
                shown.add((pod["metadata"]["uid"], cs["name"], count - 1, last["terminated"]["finishedAt"]))
            elif "terminated" in last:
                shown.add((pod["metadata"]["uid"], cs["name"], count, last["terminated"]["finishedAt"]))
    return shown


def test_after_compaction_the_relist_keeps_exactly_what_the_api_still_shows(kubesim_cluster, celery_worker):
    sim = kubesim_cluster("crash-loop", seed=5)
    worker = celery_worker(env=sim.env, beat=True)
    watching(sim.name)
    sim.drive(60)
    seen = assert_truth(sim)
    seen_uids = {uid for uid, *_ in stored_attempts(sim.name)}
    worker.kill()

    sim.drive(100)  # crash-loop attempts happen while nobody watches, and a seen Pod goes away
    victim = sim.pods()[0]["metadata"]
    sim.ks.call(sim.ks.sim.delete_pod, victim["namespace"], victim["name"], 0)
    sim.drive(230)
    api_pods = sim.pods()
    shown = {(u, c, n, parse_time(f).isoformat()) for u, c, n, f in shown_attempts(api_pods)}
    # etcd compacted and the API server restarted (its watch cache starts afresh; a compaction alone
    # leaves Pod watches served from the cache): the history is gone and resuming gets 410.
    sim.ks.call(sim.ks.sim.store.compact)
    sim.ks.call(sim.ks.sim.store.reset_watch_cache)
    listed_before = set(WatchCursor.objects.values_list("listed_at", flat=True))

    worker.start()
    assert wait_until(
        lambda: set(WatchCursor.objects.values_list("listed_at", flat=True)) - listed_before, timeout=20
    ), "the new worker relisted"
    truth = sim.truth()
    before, gap = truth_attempts(seen), truth_attempts(truth) - truth_attempts(seen)
    live = {p["metadata"]["uid"] for p in api_pods}
    expected_known = before + Counter({a: n for a, n in gap.items() if (a[0], a[1], a[2], a[6]) in shown})
    expected_unknown = Counter(
        {
            (a[0], a[1], a[2]): n
            for a, n in gap.items()
            if a[0] in live and (a[0], a[1], a[2], a[6]) not in shown
        }
    )
    assert expected_unknown, "the gap hid some attempts"
    wait_until(lambda: stored_attempts(sim.name) == expected_known, timeout=20)
    assert stored_attempts(sim.name) == expected_known
    assert unknown_attempts(sim.name) == expected_unknown
    deleted_truth = {r["uid"] for r in truth if "deleted_at" in r}
    assert victim["uid"] in deleted_truth & seen_uids
    assert deleted_pods(sim.name) == deleted_truth & seen_uids

    sim.drive(320)  # and from here on, every attempt again
    truth = sim.truth()
    later = truth_attempts(truth) - truth_attempts(seen) - gap
    assert later
    wait_until(lambda: stored_attempts(sim.name) == expected_known + later, timeout=20)
    assert stored_attempts(sim.name) == expected_known + later
