"""The endurance run's schedule (tests/soak/runner.py): every injection once, in time order, the kills of
workers in the first half of the churn so that each worker's RSS is judged over a whole last half."""

from __future__ import annotations

from collections import Counter

import pytest

from tests.soak.runner import Plan


@pytest.mark.parametrize("minutes", [5, 60, 120])
def test_kills_fall_in_the_first_half_and_the_end_stays_calm(minutes):
    plan = Plan.for_minutes(minutes, seed=3)
    schedule = plan.schedule()
    assert schedule == sorted(schedule)
    counts = Counter("fault" if what.startswith("fault:") else what for _, what in schedule)
    assert counts == {
        "kill": plan.kills,
        "redis": plan.redis_restarts,
        "postgres": plan.postgres_restarts,
        "fault": len(plan.faults),
    }
    churn = plan.churn_seconds
    kills = [t for t, what in schedule if what == "kill"]
    assert min(kills) >= 0.1 * churn and max(kills) < 0.5 * churn
    assert all(0.1 * churn <= t < 0.85 * churn for t, _ in schedule)
    others = [t for t, what in schedule if what != "kill"]
    assert max(others) > 0.5 * churn  # restarts and faults still reach the second half
