"""The overview's subscription rules (pure: no services)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pods.live.subscriptions import OverviewSubscription, maybe_stuck

NOW = datetime(2025, 6, 1, 12, tzinfo=UTC)
THRESHOLD = timedelta(minutes=5)


def test_the_subscription_ignores_malformed_messages():
    sub = OverviewSubscription.from_message({"filters": "nope", "uids": [1, "a", None]})
    assert sub == OverviewSubscription(uids=frozenset({"a"}))
    assert OverviewSubscription.from_message({}) == OverviewSubscription()


def test_maybe_stuck_follows_failures_and_the_threshold():
    now = datetime(2025, 6, 1, 12, tzinfo=UTC)
    threshold = timedelta(minutes=5)
    base = {"phase": "Pending", "step": "init 1/1: migrate", "deleted": False, "failure_code": ""}
    assert maybe_stuck({**base, "failure_code": "crash-loop"}, now=now, threshold=threshold)
    assert not maybe_stuck({**base, "failure_code": "failed"}, now=now, threshold=threshold)
    assert maybe_stuck({**base, "step_since": "2025-06-01T11:50:00Z"}, now=now, threshold=threshold)
    assert not maybe_stuck({**base, "step_since": "2025-06-01T11:58:00Z"}, now=now, threshold=threshold)
    assert not maybe_stuck(
        {**base, "failure_code": "crash-loop", "deleted": True}, now=now, threshold=threshold
    )


def test_a_ready_pod_is_never_maybe_stuck():
    ready = {"phase": "Running", "step": "running", "deleted": False, "failure_code": ""}
    assert not maybe_stuck({**ready, "step_since": "2025-06-01T10:00:00Z"}, now=NOW, threshold=THRESHOLD)


def test_search_matches_the_workload_as_the_server_does():
    sub = OverviewSubscription.from_message({"filters": {"q": "Ledger"}})
    pod = {"uid": "u", "name": "ledger-xx8z-qdp9f", "namespace": "payments", "owner_name": "ledger"}
    assert sub.select([pod], now=NOW, threshold=THRESHOLD) == [pod]
    by_workload = OverviewSubscription.from_message({"filters": {"q": "checkout"}})
    pod = {"uid": "v", "name": "web-1", "namespace": "shop", "owner_name": "checkout"}
    assert by_workload.select([pod], now=NOW, threshold=THRESHOLD) == [pod]
    assert by_workload.select([{**pod, "owner_name": "cart"}], now=NOW, threshold=THRESHOLD) == []
