"""The live overview's Failed filter, STATUS prefixes and search (issue 11, item 10): the same reading as
`pods.selectors.pod_queryset`, over change summaries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pods.live.subscriptions import OverviewSubscription

NOW = datetime(2025, 6, 1, 10, 10, tzinfo=UTC)
BASE = {
    "uid": "u1",
    "cluster": "c",
    "namespace": "shop",
    "name": "api-1",
    "owner_name": "api",
    "status": "Init:CrashLoopBackOff",
    "step_since": "2025-06-01T10:00:00Z",
    "failure_code": "crash-loop",
    "failure_summary": 'init container `migrate` exits 1; last message: relation "users" does not exist',
    "containers": ["wait-for-db", "migrate", "api"],
    "can_be_stuck": True,
    "failed": False,
}
FAILED = {**BASE, "uid": "u2", "status": "Error", "failure_code": "", "can_be_stuck": False, "failed": True}


def _matches(filters: dict, pod: dict) -> bool:
    sub = OverviewSubscription.from_message({"filters": filters})
    return sub.matches(pod, now=NOW, threshold=timedelta(minutes=5))


def test_the_failed_filter_keeps_failed_pods_only():
    assert _matches({"failed": "1"}, FAILED) and not _matches({"failed": "1"}, BASE)
    assert _matches({"failed": True}, FAILED)
    assert _matches({}, FAILED) and _matches({"failed": ""}, BASE)


def test_status_matches_by_prefix_in_any_case():
    assert _matches({"status": "init:"}, BASE) and _matches({"status": "INIT:crash"}, BASE)
    assert _matches({"status": "running, init:"}, BASE)
    assert not _matches({"status": "init:"}, FAILED) and _matches({"status": "error"}, FAILED)


def test_search_reads_container_names_and_the_diagnosis():
    assert _matches({"q": "WAIT-FOR"}, BASE)
    assert _matches({"q": "users"}, BASE) and _matches({"q": "crash-loop"}, BASE)
    assert not _matches({"q": "nothing-like-it"}, BASE)
    assert not _matches({"q": "migrate"}, {**BASE, "containers": "not a list", "failure_summary": ""})
