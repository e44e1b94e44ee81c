"""kubesim faults (watches closed every few seconds, 410 on resume in-stream and as HTTP, 5xx bursts, a
stalled watch, malformed lines): the worker's watch recovers by itself and loses nothing."""

from __future__ import annotations

import re

import pytest

from pods.models import WatchCursor
from tests.services import assert_statuses, assert_truth, unknown_attempts, wait_until, watching

pytestmark = [pytest.mark.integration, pytest.mark.redis]


def test_the_watch_recovers_from_every_fault_and_loses_nothing(kubesim_cluster, celery_worker):
    sim = kubesim_cluster("demo", seed=3)
    worker = celery_worker(env=sim.env, beat=True)
    watching(sim.name)
    sim.ks.faults(close_watches_every=1.5)
    sim.drive(60, pause=0.04)
    for fault in (
        {"expire_next_watches": 2},
        {"expire_next_watches_http": 1},
        {"error_burst": {"count": 4, "code": 503}},
        {"malformed_next_watches": 2},
        {"error_burst": {"count": 3, "code": 500}},
    ):
        sim.ks.faults(**fault)
        sim.drive(60, pause=0.04)  # ~2.4 s real: a couple of reconnects per stream
    sim.ks.faults(reset=True)
    sim.ks.faults(stall_next_watches=2)  # the next window's watches hang until its end
    sim.drive(120, pause=0.1)
    assert sim.ks.call(sim.ks.sim.faults.state)["stall_next_watches"] == 0
    sim.drive(60)
    assert_truth(sim, timeout=30)
    assert_statuses(sim)
    log = worker.log()
    assert "relisting" in log, "an in-stream 410 made it relist"
    assert re.search(r"skipped: watch \S+ line \d+: malformed watch line", log), (
        "the broken line was skipped, named by its stream and line number"
    )
    assert "watch failed" in log or "list failed" in log, "5xx were backed off and retried"
    assert worker.alive and "Traceback" not in log
    # What the API still showed was kept in full: relists happened between events, so no attempt went
    # unseen and no placeholder was needed.
    assert unknown_attempts(sim.name) == {}
    assert wait_until(lambda: not WatchCursor.objects.filter(last_ok_at__isnull=True).exists(), timeout=5)
