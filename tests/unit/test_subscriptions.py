"""The overview's subscription rules (pure: no services)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pods.live.subscriptions import OverviewSubscription, summary_is_stuck

NOW = datetime(2025, 6, 1, 12, tzinfo=UTC)
THRESHOLD = timedelta(minutes=5)


def test_the_subscription_ignores_malformed_messages():
    sub = OverviewSubscription.from_message({"filters": "nope", "uids": [1, "a", None]})
    assert sub == OverviewSubscription(uids=frozenset({"a"}))
    assert OverviewSubscription.from_message({}) == OverviewSubscription()


def test_a_summary_is_stuck_by_the_engines_rule_at_the_subscribers_now():
    now = datetime(2025, 6, 1, 12, tzinfo=UTC)
    threshold = timedelta(minutes=5)
    base = {"phase": "Pending", "step": "init 1/1: migrate", "deleted": False, "failure_code": ""}
    base["can_be_stuck"] = True
    assert summary_is_stuck({**base, "failure_code": "crash-loop"}, now=now, threshold=threshold)
    failed = {**base, "phase": "Failed", "step": "done", "failure_code": "failed", "can_be_stuck": False}
    assert not summary_is_stuck(failed, now=now, threshold=threshold)
    assert summary_is_stuck({**base, "step_since": "2025-06-01T11:50:00Z"}, now=now, threshold=threshold)
    assert not summary_is_stuck({**base, "step_since": "2025-06-01T11:58:00Z"}, now=now, threshold=threshold)
    deleted = {**base, "failure_code": "crash-loop", "deleted": True, "can_be_stuck": False}
    assert not summary_is_stuck(deleted, now=now, threshold=threshold)


def test_a_ready_pod_is_never_stuck():
    ready = {"phase": "Running", "step": "running", "deleted": False, "failure_code": ""}
    ready["can_be_stuck"] = False
    assert not summary_is_stuck({**ready, "step_since": "2025-06-01T10:00:00Z"}, now=NOW, threshold=THRESHOLD)


def test_a_summary_without_the_engines_verdict_is_not_stuck():
    old = {"phase": "Pending", "step": "scheduling", "deleted": False, "failure_code": "unschedulable"}
    assert not summary_is_stuck(old, now=NOW, threshold=THRESHOLD)


def test_search_matches_the_workload_as_the_server_does():
    sub = OverviewSubscription.from_message({"filters": {"q": "Ledger"}})
    pod = {"uid": "u", "name": "ledger-xx8z-qdp9f", "namespace": "payments", "owner_name": "ledger"}
    assert sub.select([pod], now=NOW, threshold=THRESHOLD) == [pod]
    by_workload = OverviewSubscription.from_message({"filters": {"q": "checkout"}})
    pod = {"uid": "v", "name": "web-1", "namespace": "shop", "owner_name": "checkout"}
    assert by_workload.select([pod], now=NOW, threshold=THRESHOLD) == [pod]
    assert by_workload.select([{**pod, "owner_name": "cart"}], now=NOW, threshold=THRESHOLD) == []
