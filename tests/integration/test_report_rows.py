"""One init-container row over its period: the trend per hour and per day, and its Pods (slowest, failed),
on the hand-computed table (`report_table`), through the API and the Reports page."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import connection

from pods import reports
from pods.models import Attempt
from pods.reports import trend
from pods.reports.period import Period
from tests.integration import report_table as table

pytestmark = pytest.mark.django_db

DAY = {"since": "2025-06-01T00:00:00Z", "until": "2025-06-02"}
MIGRATE = {"cluster": "c1", "namespace": "shop", "workload": "Deployment/api", "container": "migrate", **DAY}
PROXY = {**MIGRATE, "container": "proxy"}
TREND, PODS = "/api/v1/reports/init-containers/trend", "/api/v1/reports/init-containers/pods"
XSS = '<script>window.__xss = 1</script><img src=x onerror="window.__xss = 2">'


@pytest.fixture
def stored(db):
    return table.build()


def _bucket(hour: int, attempts=0, failed=0, rate=None, p50=None, p95=None) -> dict:
    return {
        "start": f"2025-06-01T{hour:02}:00:00Z",
        "attempts": attempts,
        "failed": failed,
        "failure_rate": rate,
        "duration_p50": p50,
        "duration_p95": p95,
    }


def test_the_hourly_trend_of_a_row_is_the_hand_computed_one(stored, logged_in_client):
    document = logged_in_client.get(TREND, MIGRATE).json()
    assert (document["since"], document["until"], document["source"]) == (
        "2025-06-01T00:00:00Z",
        "2025-06-02T00:00:00Z",
        "raw",
    )
    # A day: hours chosen without `bucket`. Api-1 at 10h: 10 s Error, 3 placeholders (failed, placed at the
    # Pod's creation), 20 s; api-1 (uid c) at 12h: StartError (placed by its end, no duration), 30 s Error,
    # 20 s; api-2 at 23:59:50 (40 s, in the hour it started).
    assert document["bucket"] == "hour"
    expected = [_bucket(h) for h in range(24)]
    expected[10] = _bucket(10, 5, 4, 0.8, 15.0, 19.5)
    expected[12] = _bucket(12, 3, 2, 0.6667, 25.0, 29.5)
    expected[23] = _bucket(23, 1, 0, 0.0, 40.0, 40.0)
    assert document["buckets"] == expected


def test_the_daily_trend_says_what_the_report_row_says(stored, logged_in_client):
    document = logged_in_client.get(TREND, {**MIGRATE, "bucket": "day"}).json()
    row = table.INIT_CONTAINERS[0]
    assert document["bucket"] == "day"
    assert document["buckets"] == [
        {
            "start": "2025-06-01T00:00:00Z",
            **{k: row[k] for k in ("attempts", "failed", "failure_rate", "duration_p50", "duration_p95")},
        }
    ]
    # A week: days chosen without `bucket`; the attempt of the next day (generation 1 of api-2) is there.
    week = logged_in_client.get(TREND, {**MIGRATE, "since": "2025-05-31", "until": "2025-06-07"}).json()
    assert week["bucket"] == "day" and len(week["buckets"]) == 7
    assert [b["attempts"] for b in week["buckets"]] == [1, 9, 1, 0, 0, 0, 0]
    assert week["buckets"][2]["failed"] == 1 and week["buckets"][3]["failure_rate"] is None


def test_a_sidecar_trend_counts_restarts_apart_from_failures(stored, logged_in_client):
    buckets = logged_in_client.get(TREND, PROXY).json()["buckets"]
    # 10h: started in 4 s, not finished (no rate); 12h: 2 placeholders (restarts, finished, not failed).
    assert buckets[10] == _bucket(10, 1, 0, None, 4.0, 4.0)
    assert buckets[12] == _bucket(12, 3, 0, 0.0, 4.0, 4.0)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQL percentiles need PostgreSQL")
@pytest.mark.parametrize("bucket", ["hour", "day"])
def test_sql_and_python_trends_agree(imported_samples, bucket):
    table.build()
    table.late_details()
    everything = Period(datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC))
    for filters in (reports.ReportFilters(), reports.ReportFilters(container="migrate")):
        python = trend.python_buckets(filters, everything, bucket)
        assert python and trend.sql_buckets(filters, everything, bucket) == python


def test_the_slowest_pods_of_a_row_link_to_their_pages(stored, logged_in_client):
    document = logged_in_client.get(PODS, MIGRATE).json()
    assert document["order"] == "slowest" and document["total"] == 3
    found = [(p["pod"], p["uid"], p["longest"], p["longest_started_at"]) for p in document["pods"]]
    assert found == [
        ("api-2", "b", 40.0, "2025-06-01T23:59:50Z"),
        ("api-1", "c", 30.0, "2025-06-01T12:00:20Z"),
        ("api-1", "a", 20.0, "2025-06-01T10:00:30Z"),
    ]
    first = document["pods"][0]
    assert first["deleted_at"] == "2025-06-02T00:10:00Z" and (first["attempts"], first["failed"]) == (1, 0)
    limited = logged_in_client.get(PODS, {**MIGRATE, "limit": 1}).json()
    assert limited["total"] == 3 and [p["uid"] for p in limited["pods"]] == ["b"]


def test_the_failed_pods_of_a_row_say_what_failed_and_when(stored, logged_in_client):
    document = logged_in_client.get(PODS, {**MIGRATE, "order": "failed"}).json()
    assert document["total"] == 2
    c, a = document["pods"]
    assert (c["uid"], c["attempts"], c["failed"]) == ("c", 3, 2)
    assert [
        (f["number"], f["reason"], f["exit_code"], f["started_at"], f["finished_at"]) for f in c["failures"]
    ] == [
        (1, "Error", 1, "2025-06-01T12:00:20Z", "2025-06-01T12:00:50Z"),
        (0, "StartError", 128, None, "2025-06-01T12:00:10Z"),  # the runtime's epoch start is no start
    ]
    assert (a["uid"], a["attempts"], a["failed"]) == ("a", 5, 4)
    assert [(f["number"], f["known"], f["count"], f["reason"]) for f in a["failures"]] == [
        (0, True, 1, "Error"),
        (1, False, 3, ""),  # the placeholders: restarts within one generation, no details
    ]
    sidecar = logged_in_client.get(PODS, {**PROXY, "order": "failed"}).json()
    assert sidecar["total"] == 0 and sidecar["pods"] == []


def test_the_row_endpoints_refuse_bad_parameters_and_need_a_user(stored, client, logged_in_client):
    for params, field in (
        ({"bucket": "week"}, "bucket"),
        ({"bucket": "hour", "since": "2025-01-01", "until": "2025-06-01"}, "bucket"),
        ({"since": "yesterday"}, "since"),
    ):
        response = logged_in_client.get(TREND, {**MIGRATE, **params})
        assert response.status_code == 400 and list(response.json()) == [field]
    for params, field in (({"order": "newest"}, "order"), ({"limit": 0}, "limit")):
        response = logged_in_client.get(PODS, {**MIGRATE, **params})
        assert response.status_code == 400 and list(response.json()) == [field]
    client.logout()
    assert client.get(TREND, MIGRATE).status_code == 401
    assert client.get(PODS, MIGRATE).status_code == 401


def test_cluster_strings_come_back_as_data(stored, logged_in_client):
    Attempt.objects.filter(pod__uid="c", number=1).update(reason=XSS[:128], message=f"failed {XSS}")
    document = logged_in_client.get(PODS, {**MIGRATE, "order": "failed"}).json()
    failure = document["pods"][0]["failures"][0]
    assert failure["reason"] == XSS[:128] and failure["message"] == f"failed {XSS}"
