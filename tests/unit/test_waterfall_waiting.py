"""The waterfall draws waiting (item 4 of issue 11): waiting spans, pod setup, and the count rules."""

from __future__ import annotations

from datetime import timedelta

from pods.web.waterfall import waterfall_layout
from pods.web.waterfall.model import MIN_BAR, MIN_GAP
from tests.unit.waterfall_documents import T0, at, attempt, container, crash_looping, document, segments


def _span(reason, first, last, ended=None, message=""):
    return {
        "reason": reason,
        "message": message,
        "first_at": at(first),
        "last_at": at(last),
        "ended_at": at(ended) if ended is not None else None,
    }


def test_a_recovered_pull_shows_its_wait_with_the_reason_before_the_pull():
    pull = {
        "image": "acme/db:1",
        "started_at": at(2),
        "finished_at": at(40),
        "pull_seconds": 3.0,
        "wait_seconds": 1.0,
        "already_present": False,
        "failures": 3,
    }
    db = container("db", 0, attempts=[attempt(0, 41, 45, 0, "Completed")], pull=pull)
    db["waiting"] = [_span("ErrImagePull/ImagePullBackOff", 2, 35, 41, "Back-off pulling image")]
    layout = waterfall_layout(document([db], phase="Running"), now=T0 + timedelta(minutes=1))
    (wait,) = segments(layout, "db", "waiting")
    assert wait.segment == "waiting" and wait.reason == "ErrImagePull/ImagePullBackOff"
    assert wait.start == T0 + timedelta(seconds=2)
    # it ends where the lane's next fact begins: the queue before the successful pull
    assert wait.end == T0 + timedelta(seconds=36) and wait.seconds == 34
    assert "ErrImagePull/ImagePullBackOff" in wait.aria and "34s" in wait.aria
    assert "Back-off pulling image" in wait.title
    names = [s.segment for s in layout.lanes[1].segments]
    assert names == ["waiting", "queue", "pull", "attempt"], "left to right"


def test_a_still_failing_pull_is_the_open_pull_bar_not_a_second_wait():
    pull = {"image": "acme/db:1", "started_at": at(2), "finished_at": None, "failures": 2}
    db = container("db", 0, pull=pull, state="waiting", state_reason="ImagePullBackOff")
    db["waiting"] = [_span("ErrImagePull/ImagePullBackOff", 2, 50)]
    layout = waterfall_layout(document([db]), now=T0 + timedelta(minutes=1))
    (bar,) = segments(layout, "db")
    assert (bar.segment, bar.cls, bar.live) == ("pull", "pull-failed", True)


def test_a_config_error_wait_grows_and_replaces_the_blocked_bar():
    c = container("migrate", 0, state="waiting", state_reason="CreateContainerConfigError")
    c["waiting"] = [_span("CreateContainerConfigError", 5, 40, message='configmap "x" not found')]
    diagnosis = {"code": "config-error", "container": "migrate", "summary": "s", "since": at(5)}
    layout = waterfall_layout(document([c], diagnosis=diagnosis), now=T0 + timedelta(seconds=47))
    (wait,) = segments(layout, "migrate")
    assert (wait.segment, wait.cls, wait.live, wait.seconds) == ("waiting", "open", True, 42)
    assert "CreateContainerConfigError" in wait.aria


def test_crash_loop_back_off_is_the_back_off_gap_which_names_it():
    doc = crash_looping()
    migrate = next(c for c in doc["containers"] if c["name"] == "migrate")
    migrate["waiting"] = [_span("CrashLoopBackOff", 59, 79)]
    layout = waterfall_layout(doc, now=T0 + timedelta(seconds=80))
    assert not segments(layout, "migrate", "waiting")
    gap = segments(layout, "migrate", "backoff")[-1]
    assert gap.segment == "back-off" and "CrashLoopBackOff" in gap.aria


def test_pod_setup_shows_mounting_and_the_sandbox_after_scheduling():
    doc = document(
        [container("db", 0, attempts=[attempt(0, 30, 31, 0, "Completed")])],
        sandbox_ready_at=at(29),
        signals=[
            {
                "reason": "FailedMount",
                "message": 'configmap "c" not found',
                "count": 3,
                "first_at": at(2),
                "last_at": at(25),
            },
        ],  # fmt: skip
    )
    layout = waterfall_layout(doc, now=T0 + timedelta(minutes=1))
    pod = layout.lanes[0]
    assert pod.label == "pod setup"
    assert [(s.segment, s.reason) for s in pod.segments] == [
        ("scheduling", ""),
        ("waiting", "FailedMount"),
        ("sandbox", ""),
    ]
    mount, sandbox = pod.segments[1:]
    assert (mount.start, mount.end) == (T0 + timedelta(seconds=2), T0 + timedelta(seconds=25))
    assert (sandbox.start, sandbox.end) == (T0 + timedelta(seconds=25), T0 + timedelta(seconds=29))


def test_consecutive_attempts_never_merge_into_one_bar():
    # ten sub-second attempts a second apart on a ten-minute axis: each bar is its own
    attempts = [attempt(i, 10 + i, 10.2 + i, 1, "Error") for i in range(10)]
    doc = document([container("migrate", 0, attempts=attempts)], phase="Failed")
    doc["containers"][0]["attempts"][-1]["finished_at"] = at(600)
    layout = waterfall_layout(doc, now=T0 + timedelta(hours=1))
    bars = segments(layout, "migrate", "attempt")
    assert all(b.w >= MIN_BAR for b in bars)
    for left, right in zip(bars, bars[1:], strict=False):
        assert right.x >= left.x + left.w + MIN_GAP - 1e-6
    # the labels of gaps too narrow for them are not drawn
    assert not any(s.label for s in segments(layout, "migrate", "backoff"))


def test_the_header_counts_init_attempts_and_restarts():
    layout = waterfall_layout(crash_looping(), now=T0 + timedelta(seconds=80))
    init = sum(lane.attempt_count for lane in layout.lanes if lane.kind == "init")
    assert layout.init_attempt_count == init == 4  # wait-for-db once, migrate three times
    assert layout.restart_count == 2


def test_a_recordings_open_wait_reaches_the_recordings_end_like_a_running_bar():
    # last seen waiting at 40 s, the recording ends at 9 min with no newer status: still waiting then
    c = container("migrate", 0, state="waiting", state_reason="CreateContainerConfigError")
    c["waiting"] = [_span("CreateContainerConfigError", 5, 40, message='configmap "x" not found')]
    doc = document([c], live=False, as_of=at(540))
    layout = waterfall_layout(doc, now=T0 + timedelta(seconds=540))
    (wait,) = segments(layout, "migrate")
    assert (wait.segment, wait.live) == ("waiting", False)
    assert wait.end == layout.end and wait.seconds >= 535 - 1
