"""Two workers: only one watches a cluster at a time; kill that one and the other takes over within the
lock's time to live (plus one beat interval)."""

from __future__ import annotations

import time

import pytest

from tests.services import FAST_WATCH_ENV, assert_truth, lock_holder_pid, wait_until, watching

pytestmark = [pytest.mark.integration, pytest.mark.redis]


def holder_pid(client) -> int:
    return lock_holder_pid(client, "sim")


def pod_watches(sim) -> int:
    return sim.ks.call(lambda: sum(1 for w in sim.ks.sim._server.watches if w.resource == "pods"))


def test_one_worker_watches_and_the_other_takes_over_when_it_dies(
    kubesim_cluster, celery_worker, redis_clean
):
    sim = kubesim_cluster("demo", seed=9)
    workers = [celery_worker(env=sim.env, name="w1"), celery_worker(env=sim.env, name="w2")]
    celery_worker.beat(env=sim.env)
    watching(sim.name)
    samples: list[tuple[int, int]] = []
    sim.drive(200, pause=0.05, each=lambda i: samples.append((holder_pid(redis_clean), pod_watches(sim))))
    pids = {w.pid for w in workers}
    assert {pid for pid, _ in samples} <= pids | {0}
    assert max(n for _, n in samples) == 1, "never two Pod watches at once"
    first = next(w for w in workers if w.pid == holder_pid(redis_clean))
    other = next(w for w in workers if w is not first)

    first.kill()
    killed_at = time.monotonic()
    assert wait_until(lambda: holder_pid(redis_clean) == other.pid, timeout=20, interval=0.1)
    takeover = time.monotonic() - killed_at
    ttl = float(FAST_WATCH_ENV["INITSCOPE_WATCH_LOCK_SECONDS"])
    beat = float(FAST_WATCH_ENV["INITSCOPE_ENSURE_WATCHERS_SECONDS"])
    assert takeover <= ttl + beat + 3, f"took over after {takeover:.1f}s"
    sim.drive(120)
    assert_truth(sim, timeout=30)


@pytest.fixture
def redis_settings(settings):
    from tests.services import redis_url

    settings.REDIS_URL = redis_url()
    return settings


@pytest.fixture(params=["redis", "in-process"])
def lock_backend(request, settings):
    """The same lock contract with Redis (workers on several machines) and without (all-in-one)."""
    from tests.services import redis_url

    if request.param == "redis":
        settings.REDIS_URL = redis_url()
        request.getfixturevalue("redis_clean")
    else:
        settings.REDIS_URL = ""
    return request.param


def test_the_lock_is_exclusive_renewable_and_lost_when_taken(lock_backend):
    from pods.watch import ClusterLock

    first = ClusterLock("c1", ttl=0.5, holder_id="host:1:a")
    second = ClusterLock("c1", ttl=0.5, holder_id="host:2:b")
    assert first.acquire() and not second.acquire()
    assert second.holder() == "host:1:a"
    first.renewed_at -= 1  # a third of its life has passed: renewal is due
    assert first.renew_if_due()
    time.sleep(0.6)  # the holder stopped renewing: expired, someone else takes it
    assert second.acquire()
    first.renewed_at -= 1
    assert not first.renew_if_due(), "the old holder notices it lost the lock"
    first.release()
    assert second.holder() == "host:2:b", "releasing never frees someone else's lock"
    second.release()
    assert second.holder() == ""


def test_beat_starts_only_clusters_that_are_neither_watched_nor_backing_off(redis_settings, redis_clean, db):
    from datetime import UTC, datetime, timedelta

    from pods import watch
    from pods.models import Cluster

    redis_settings.INITSCOPE_CLUSTERS = ["free", "held", "failing"]
    assert watch.ClusterLock("held", ttl=5).acquire()
    Cluster.objects.create(name="failing", watch_retry_at=datetime.now(UTC) + timedelta(seconds=30))
    units = [("free", ""), ("held", ""), ("failing", "")]
    assert watch.clusters_to_start(units) == [("free", "")], "a read: marks nothing"
    assert not Cluster.objects.filter(name__in=["free", "held"]).exists()
    assert watch.register_clusters() == units
    assert set(Cluster.objects.filter(watched=True).values_list("name", flat=True)) == {
        "free",
        "held",
        "failing",
    }
    assert watch.claim_enqueue("free", ttl=5) and not watch.claim_enqueue("free", ttl=5)
    watch.release_enqueue("free")
    assert watch.claim_enqueue("free", ttl=5)
