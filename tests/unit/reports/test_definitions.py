"""The report definitions (pure), each against hand-computed values."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from pods.reports import definitions as d
from pods.reports.period import PeriodError, parse_period

T0 = datetime(2025, 6, 1, 10, 0, tzinfo=UTC)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def attempt(
    started=None, finished=None, code=None, reason="", *, kind="init", known=True, count=1, moment=None
):
    return d.AttemptFacts(kind, known, count, started, finished, code, reason, T0, moment)


@pytest.mark.parametrize(
    ("values", "fraction", "expected"),
    [
        ([], 0.5, None),
        ([7.0], 0.95, 7.0),
        ([10, 20, 20, 30, 40], 0.5, 20),
        ([10, 20, 20, 30, 40], 0.95, 38.0),  # rank 3.8: 30 + 0.8 × (40 − 30)
        ([10, 20, 20, 30, 40], 0.99, 39.6),
        ([4, 10], 0.5, 7.0),
        ([40, 2], 0.95, 38.1),  # unsorted input; 2 + 0.95 × 38
        ([1, 2, 3, 4], 0.0, 1),
        ([1, 2, 3, 4], 1.0, 4),
    ],
)
def test_percentile_interpolates_between_closest_ranks_like_percentile_cont(values, fraction, expected):
    result = d.percentile(values, fraction)
    assert result == (None if expected is None else pytest.approx(expected))


def test_an_attempt_belongs_to_the_period_it_started_in():
    spanning = attempt(at(-10), at(30), 0, "Completed")  # starts before T0, ends after
    assert d.period_time(spanning) == at(-10)
    assert d.in_period(d.period_time(spanning), at(-3600), T0)
    assert not d.in_period(d.period_time(spanning), T0, at(3600))
    assert not d.in_period(T0, at(-10), T0)  # `until` is excluded, `since` included
    assert d.in_period(T0, T0, at(1))


def test_a_start_error_epoch_start_is_no_start():
    start_error = attempt(EPOCH, at(10), 128, "StartError")
    assert d.start(start_error) is None and d.duration(start_error) is None
    assert d.period_time(start_error) == at(10)  # placed by its end
    assert d.is_finished(start_error) and d.is_failed(start_error)
    skewed = attempt(at(-2 * 3600), at(10), 0, "Completed")  # more than an hour before the Pod's creation
    assert d.start(skewed) is None


def test_placeholders_count_as_attempts_and_init_failures_never_in_durations():
    run = attempt(known=False, count=3)
    assert d.period_time(run) == T0  # nothing known: the Pod's creation
    assert d.is_finished(run) and d.is_failed(run) and d.duration(run) is None
    sidecar_run = attempt(kind="sidecar", known=False, count=2)
    assert d.is_finished(sidecar_run) and not d.is_failed(sidecar_run)
    numbers = d.attempt_numbers(
        [attempt(at(0), at(10), 1, "Error"), run, attempt(at(30), at(50), 0, "Completed")]
    )
    assert numbers == {
        "attempts": 5,
        "failed": 4,
        "failure_rate": 0.8,
        "duration_p50": 15.0,
        "duration_p95": 19.5,
        "duration_p99": 19.9,
        "duration_max": 20.0,
    }


@pytest.mark.parametrize(
    ("code", "reason", "finished", "failed"),
    [
        (0, "Completed", True, False),
        (0, "", True, False),  # no reason is no failure
        (1, "Error", True, True),
        (137, "OOMKilled", True, True),
        (0, "DeadlineExceeded", True, True),  # a reason other than Completed
        (None, "", False, False),  # still running
    ],
)
def test_failed(code, reason, finished, failed):
    facts = attempt(at(0), at(5) if finished else None, code, reason)
    assert d.is_finished(facts) is finished and d.is_failed(facts) is failed


def test_a_running_init_attempt_has_no_duration_and_is_not_finished():
    running = attempt(at(0))
    assert d.duration(running) is None and not d.is_finished(running)
    assert d.attempt_numbers([running])["failure_rate"] is None


def test_a_sidecar_lasts_from_its_start_until_the_kubelet_moves_on():
    assert d.sidecar_started_at(at(0), None, [at(9), at(4), None]) == at(4)
    assert d.sidecar_started_at(at(0), at(6), [at(4)]) == at(4)
    assert d.sidecar_started_at(at(0), at(3), [at(4)]) is None  # crashed before its probe passed
    assert d.sidecar_started_at(at(10), None, [at(4)]) is None  # a restart after the Pod had started
    assert d.sidecar_started_at(None, None, [at(4)]) is None
    assert d.sidecar_started_at(at(0), None, []) is None
    sidecar = attempt(at(0), kind="sidecar", moment=at(4))
    assert d.duration(sidecar) == 4.0 and not d.is_finished(sidecar)


def test_top_reasons_are_the_five_most_frequent_failures():
    failures = [("Error", 1, 2), ("OOMKilled", 137, 3), ("Error", 1, 2), ("Error", 2, 1)]
    failures += [(f"R{i}", i, 1) for i in range(5)]
    top = d.top_reasons(failures)
    assert top[:3] == [
        {"reason": "Error", "exit_code": 1, "count": 4},
        {"reason": "OOMKilled", "exit_code": 137, "count": 3},
        {"reason": "Error", "exit_code": 2, "count": 1},
    ]
    assert len(top) == 5 and [t["reason"] for t in top[3:]] == ["R0", "R1"]


def test_already_present_pulls_are_counted_apart_not_as_zero():
    pulls = [d.PullFacts(4.0, 1.0, False), d.PullFacts(10.0, 3.0, False), d.PullFacts(None, None, True)]
    assert d.pull_numbers(pulls) == {
        "pull_count": 2,
        "pull_p50": 7.0,
        "pull_p95": 9.7,
        "queue_wait_p50": 2.0,
        "already_present": 1,
    }


def test_pod_startup_measures_from_creation():
    pods = [d.PodFacts(T0, at(2), at(60), at(70)), d.PodFacts(T0, at(5), None, None)]
    numbers = d.pod_startup_numbers(pods)
    assert numbers["pods"] == 2 and numbers["scheduled"] == 2 and numbers["scheduled_p50"] == 3.5
    assert numbers["initialized"] == 1 and numbers["ready_max"] == 70.0 and numbers["ready"] == 1


def test_periods():
    now = datetime(2025, 6, 8, 12, tzinfo=UTC)
    assert parse_period(None, None, now).since == now - timedelta(days=7)
    assert parse_period("-12h", "", now).since == now - timedelta(hours=12)
    assert parse_period("-2w", "-1d", now).until == now - timedelta(days=1)
    period = parse_period("2025-06-01", "2025-06-02T00:00:00+02:00", now)
    assert period.since == datetime(2025, 6, 1, tzinfo=UTC)
    assert period.until == datetime(2025, 6, 1, 22, tzinfo=UTC)
    for since, until, field in (("soon", "", "since"), ("", "-3y", "until"), ("-1h", "-2h", "since")):
        with pytest.raises(PeriodError) as caught:
            parse_period(since, until, now)
        assert caught.value.field == field
