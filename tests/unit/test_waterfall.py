"""The waterfall layout: pure, from hand-made timeline documents (the shape of `pod_document`)."""

from __future__ import annotations

from datetime import timedelta

from pods.web.waterfall import (
    MIN_BAR,
    attempt_outcome,
    format_duration,
    nice_ticks,
    waterfall_layout,
)
from tests.unit.waterfall_documents import T0, at, attempt, container, crash_looping, document, segments


def test_it_puts_scheduling_first_then_containers_in_start_order():
    layout = waterfall_layout(crash_looping(), now=T0 + timedelta(seconds=80))
    assert [lane.kind for lane in layout.lanes] == ["schedule", "init", "init", "app"]
    assert [lane.name for lane in layout.lanes] == ["", "wait-for-db", "migrate", "app"]
    assert [lane.label for lane in layout.lanes] == ["scheduling", "init 1", "init 2", "app 3"]
    assert [lane.row for lane in layout.lanes] == [0, 1, 2, 3]


def test_it_draws_one_bar_per_attempt_with_its_outcome():
    layout = waterfall_layout(crash_looping(), now=T0 + timedelta(seconds=80))
    bars = segments(layout, "migrate", "attempt")
    assert [b.cls for b in bars] == ["failed", "failed", "failed"]
    assert [b.id for b in bars] == ["c1-g0-a0", "c1-g0-a1", "c1-g0-a2"]
    assert [b.cls for b in segments(layout, "wait-for-db", "attempt")] == ["succeeded"]
    assert layout.attempt_count == 4
    assert "relation x missing" in bars[2].title
    assert "exit 1" in bars[2].title and "Error" in bars[2].title


def test_it_draws_back_off_gaps_between_attempts_and_the_open_one():
    layout = waterfall_layout(crash_looping(), now=T0 + timedelta(seconds=80))
    gaps = segments(layout, "migrate", "backoff")
    assert [round(g.seconds) for g in gaps] == [10, 20, 21]
    assert [g.cls for g in gaps] == ["gap", "gap", "open"]
    assert "back-off 20s" in gaps[1].title
    assert gaps[2].live and gaps[2].end == T0 + timedelta(seconds=80)


def test_it_splits_the_image_pull_into_queue_wait_and_pull():
    layout = waterfall_layout(crash_looping(), now=T0 + timedelta(seconds=80))
    wait, pull = segments(layout, "wait-for-db", "wait") + segments(layout, "wait-for-db", "pull")
    assert wait.seconds == 1.0 and pull.seconds == 1.5
    assert wait.start == T0 + timedelta(seconds=2) and pull.start == T0 + timedelta(seconds=3)
    assert wait.x + wait.w == pull.x
    assert "12.0 MB" in pull.title


def test_it_marks_an_image_already_present():
    pull = {"started_at": None, "finished_at": at(3), "pull_seconds": None, "wait_seconds": None,
            "image_bytes": None, "already_present": True}  # fmt: skip
    doc = document([container("init", 0, attempts=[attempt(0, 4, 6, 0)], pull=pull)])
    (present,) = segments(waterfall_layout(doc, now=T0 + timedelta(seconds=10)), "init", "pull")
    assert present.cls == "present" and present.w == 0


def test_a_running_attempt_grows_to_now():
    doc = document([container("wait-for-db", 0, attempts=[attempt(0, 5, None)], state="running")])
    for seconds in (60, 600):
        now = T0 + timedelta(seconds=seconds)
        layout = waterfall_layout(doc, now=now)
        (bar,) = segments(layout, "wait-for-db", "attempt")
        assert bar.cls == "running" and bar.live
        assert bar.end == now and layout.end == now
        assert bar.seconds == seconds - 5
        assert round(bar.x + bar.w) == layout.width


def test_unknown_attempts_are_one_hatched_region_without_invented_times():
    doc = document(
        [
            container(
                "migrate",
                0,
                attempts=[
                    attempt(0, 5, 8, 1, "Error"),
                    attempt(1, None, None, known=False),
                    attempt(2, None, None, known=False),
                    attempt(3, 60, 63, 1, "Error"),
                ],
            )
        ],
        phase="Failed",
    )
    layout = waterfall_layout(doc, now=T0 + timedelta(hours=1))
    (region,) = segments(layout, "migrate", "unknown")
    assert region.attempts == 2 and region.cls == "unknown"
    assert region.start is None and region.end is None
    assert "#1–#2" in region.title and "details unknown" in region.title
    assert [b.cls for b in segments(layout, "migrate", "attempt")] == ["failed", "failed"]
    assert segments(layout, "migrate", "backoff") == []  # no gap is claimed around unknown attempts
    assert layout.attempt_count == 4
    rows = next(lane for lane in layout.lanes if lane.name == "migrate").attempts
    assert [r.known for r in rows] == [True, False, False, True]
    assert rows[1].started_at is None and rows[1].seconds is None


def test_negative_gaps_from_clock_skew_are_clamped_and_counted():
    doc = document(
        [
            container(
                "migrate",
                0,
                attempts=[attempt(0, 10, 20, 1, "Error"), attempt(1, 18, 17, 1, "Error")],
            )
        ],
        phase="Failed",
        created_at=at(12),  # the API server's clock is ahead of the node's
    )
    layout = waterfall_layout(doc, now=T0 + timedelta(hours=1))
    bars = segments(layout, "migrate", "attempt")
    assert bars[1].seconds == 0.0
    assert all(b.x >= 0 and b.w >= MIN_BAR for b in bars)
    assert segments(layout, "migrate", "backoff") == []
    assert layout.skew == 3  # scheduled before created, finished before started, started before the last exit


def test_sub_second_attempts_stay_visible():
    doc = document([container("quick", 0, attempts=[attempt(0, 5, 5, 0)])], phase="Succeeded")
    doc["containers"][0]["attempts"][0]["finished_at"] = at(5)
    layout = waterfall_layout(doc, now=T0 + timedelta(days=1))
    (bar,) = segments(layout, "quick", "attempt")
    assert bar.w == MIN_BAR


def test_a_finished_pod_ends_the_axis_at_its_last_known_time():
    doc = document(
        [container("job", 0, kind="app", attempts=[attempt(0, 5, 95, 0)])],
        phase="Succeeded",
        ready_at=at(6),
    )
    layout = waterfall_layout(doc, now=T0 + timedelta(days=3))
    assert layout.end == T0 + timedelta(seconds=95)
    assert not layout.live


def test_a_ready_pod_keeps_its_startup_readable_and_running_bars_reach_the_edge():
    doc = document(
        [
            container("proxy", 0, kind="sidecar", attempts=[attempt(0, 3, None)], state="running"),
            container("web", 1, kind="app", attempts=[attempt(0, 8, None)], state="running"),
        ],
        phase="Running",
        ready_at=at(10),
        initialized_at=at(4),
    )
    layout = waterfall_layout(doc, now=T0 + timedelta(days=2))
    assert layout.end == T0 + timedelta(seconds=40)
    assert [b.cls for b in segments(layout, "proxy", "attempt")] == ["running"]
    assert segments(layout, "proxy", "attempt")[0].x + segments(layout, "proxy", "attempt")[0].w == 1000
    assert [lane.kind for lane in layout.lanes[1:]] == ["sidecar", "app"]


def test_pod_markers_are_placed_and_staggered():
    doc = document(
        [container("web", 0, kind="app", attempts=[attempt(0, 8, 100, 0)])],
        phase="Succeeded",
        initialized_at=at(4),
        containers_ready_at=at(9),
        ready_at=at(9),
        deleted_at=at(100),
    )
    layout = waterfall_layout(doc, now=T0 + timedelta(days=2))
    kinds = [m.kind for m in layout.markers]
    assert kinds == ["scheduled", "initialized", "containers-ready", "ready", "deleted"]
    assert layout.markers[-1].x == layout.width
    assert len({m.row for m in layout.markers[:4]}) > 1  # close labels go to separate rows


def test_outcomes():
    fin = {"known": True, "started_at": at(0), "finished_at": at(1)}
    kw = {"kind": "init", "last": True, "deleting": False, "terminal": False}
    assert attempt_outcome({**fin, "exit_code": 0}, **kw) == "succeeded"
    assert attempt_outcome({**fin, "exit_code": 2}, **kw) == "failed"
    assert attempt_outcome({**fin, "exit_code": 137, "reason": "OOMKilled"}, **kw) == "oom"
    assert (
        attempt_outcome({**fin, "exit_code": 143, "reason": "Error"}, **{**kw, "deleting": True}) == "killed"
    )
    assert (
        attempt_outcome({**fin, "exit_code": 143}, **{**kw, "kind": "sidecar", "terminal": True}) == "killed"
    )
    assert attempt_outcome({**fin, "exit_code": 143}, **{**kw, "last": False, "deleting": True}) == "failed"
    assert attempt_outcome({"known": True, "started_at": at(0), "finished_at": None}, **kw) == "running"
    assert attempt_outcome({"known": False}, **kw) == "unknown"


def test_a_deleted_pod_keeps_its_history_and_ends_open_bars_at_deletion():
    doc = crash_looping()
    doc["containers"][0]["attempts"].append(attempt(3, 100, None))
    doc.update(deleted_at=at(110), status="Terminating")
    layout = waterfall_layout(doc, now=T0 + timedelta(hours=3))
    bars = segments(layout, "migrate", "attempt")
    assert [b.cls for b in bars] == ["failed", "failed", "failed", "killed"]
    assert layout.end == T0 + timedelta(seconds=110) and not layout.live
    assert bars[-1].end == layout.end and not bars[-1].live


def test_a_pending_pod_shows_scheduling_growing():
    doc = document(
        [], scheduled_at=None, diagnosis={"code": "unschedulable", "container": "", "summary": "x"}
    )
    layout = waterfall_layout(doc, now=T0 + timedelta(minutes=7))
    (sched,) = layout.lanes[0].segments
    # a wait, not an outcome: never drawn as a failed or killed attempt
    assert sched.cls == "unschedulable" and sched.live and sched.seconds == 420
    assert sched.segment == "scheduling" and sched.reason == "FailedScheduling"


def test_a_container_blocked_before_its_first_attempt_shows_the_wait():
    diagnosis = {
        "code": "config-error",
        "container": "migrate",
        "summary": "configmap missing",
        "since": at(5),
    }
    doc = document([container("migrate", 0, state="waiting", state_reason="CreateContainerConfigError")],
                   diagnosis=diagnosis)  # fmt: skip
    layout = waterfall_layout(doc, now=T0 + timedelta(minutes=2))
    (blocked,) = segments(layout, "migrate", "blocked")
    assert blocked.seconds == 115 and "configmap missing" in blocked.title


def test_ticks_are_round_and_spaced():
    labels = [t.label for t in nice_ticks(600, 1000)]
    assert labels == ["0", "1m", "2m", "3m", "4m", "5m", "6m", "7m", "8m", "9m", "10m"]
    assert [t.label for t in nice_ticks(7, 1000)][:3] == ["0", "1s", "2s"]
    ticks = nice_ticks(3 * 3600, 1000)
    assert all(b.x - a.x >= 90 for a, b in zip(ticks, ticks[1:], strict=False))


def test_durations_read_like_kubectl():
    assert [format_duration(s) for s in (0.4, 12, 160, 3600, 3900, 90000)] == [
        "0.4s", "12s", "2m40s", "1h", "1h5m", "1d1h",
    ]  # fmt: skip


def test_twenty_containers_of_fifty_attempts_lay_out_every_attempt_and_gap():
    """(How fast: `make bench`.)"""
    containers = []
    for i in range(20):
        attempts = [attempt(n, i * 1000 + n * 20, i * 1000 + n * 20 + 5, 1, "Error") for n in range(50)]
        containers.append(container(f"c{i}", i, attempts=attempts))
    doc = document(containers, phase="Failed")
    layout = waterfall_layout(doc, now=T0 + timedelta(days=1))
    assert layout.attempt_count == 1000
    assert sum(len(segments(layout, f"c{i}", "backoff")) for i in range(20)) == 20 * 49


def test_an_init_container_stopped_by_the_deadline_was_killed():
    doc = document(
        [container("wait-for-lock", 0, attempts=[attempt(0, 3, 120, 137, "Error")])],
        phase="Failed",
        reason="DeadlineExceeded",
    )
    layout = waterfall_layout(doc, now=T0 + timedelta(hours=1))
    assert [b.cls for b in segments(layout, "wait-for-lock", "attempt")] == ["killed"]
