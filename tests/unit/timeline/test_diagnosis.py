"""Stuck and diagnosis (DESIGN.md): one scenario per cause, and the Pods that have none."""

from __future__ import annotations

from datetime import timedelta

import pytest

from pods.timeline import apply_event, build_state, diagnose, event_record, is_stuck
from tests.builders import (
    at,
    cond,
    crash_loop_sequence,
    event,
    healthy_sequence,
    initialized_conditions,
    last,
    pending_conditions,
    pod,
    running,
    sidecar_crash_loop_after_init,
    terminated,
    waiting,
)

FIVE_MIN = timedelta(minutes=5)
DB = terminated("db", 0, 3, 10)


def verdict(state, now=600):
    d = diagnose(state, now=at(now), threshold=FIVE_MIN)
    return None if d is None else (d.code, d.container, d.summary, d.since)


def test_init_crash_loop_names_the_container_exit_attempts_and_back_off():
    state = build_state(crash_loop_sequence())
    code, container, summary, since = verdict(state)
    assert (code, container) == ("crash-loop", "migrate")
    assert summary.startswith("init container `migrate` exits 1 (Error), 4 attempts, back-off 80s")
    assert 'relation "users" does not exist' in summary
    assert since == at(22)  # the first failed attempt's finish
    assert is_stuck(state, now=at(130), threshold=FIVE_MIN)


def test_back_off_is_read_from_the_waiting_message():
    p = pod(
        rv=1,
        init_statuses=[
            DB,
            waiting(
                "migrate",
                "CrashLoopBackOff",
                "back-off 2m40s restarting failed container=migrate pod=x",
                rc=4,
                last=last(1, 90, 95, name="migrate", n=4),
            ),
        ],
    )
    assert "back-off 2m40s" in verdict(build_state([p]))[2]
    assert "5 attempts" in verdict(build_state([p]))[2]


def test_terminated_non_zero_waiting_to_restart_is_a_crash_loop():
    p = pod(
        rv=1,
        init_statuses=[DB, terminated("migrate", 2, 20, 22, rc=1, last=last(2, 11, 12, name="migrate", n=0))],
    )
    code, container, summary, since = verdict(build_state([p]))
    assert (code, container, since) == ("crash-loop", "migrate", at(12))
    assert "back-off" not in summary


def test_oom_killed_init_container():
    p = pod(
        rv=1,
        init_statuses=[
            DB,
            waiting(
                "migrate",
                "CrashLoopBackOff",
                "back-off 20s restarting failed",
                rc=1,
                last=last(137, 20, 30, name="migrate", n=1, reason="OOMKilled"),
            ),
        ],
    )
    code, container, summary, _ = verdict(build_state([p]))
    assert (code, container) == ("oom-killed", "migrate")
    assert summary.startswith("init container `migrate` was OOMKilled (exit 137), 2 attempts, back-off 20s")


def test_image_pull_back_off_uses_the_last_pull_error():
    p = pod(
        rv=1,
        conditions=pending_conditions(),
        images={"db": "acme/x:9"},
        init_statuses=[
            waiting("db", "ImagePullBackOff", 'Back-off pulling image "acme/x:9"'),
            waiting("migrate"),
        ],
    )
    state = build_state([p])
    state, _ = apply_event(
        state,
        event_record(
            event(
                "Failed",
                'Failed to pull image "acme/x:9": rpc error: code = NotFound desc = manifest unknown',
                when=4,
                container="db",
                etype="Warning",
            )
        ),
    )
    code, container, summary, since = verdict(state)
    assert (code, container) == ("image-pull", "db")
    assert summary == 'image "acme/x:9" cannot be pulled: rpc error: code = NotFound desc = manifest unknown'
    assert since == at(2)  # when the waiting reason was first seen (the object's newest time here)
    assert is_stuck(state, now=at(5), threshold=FIVE_MIN)


def test_image_pull_error_from_the_1_32_waiting_message():
    p = pod(
        rv=1,
        init_statuses=[
            waiting("db", "ImagePullBackOff", 'Back-off pulling image "acme/db:1.4": ErrImagePull: not found')
        ],
    )
    assert verdict(build_state([p]))[2] == 'image "acme/db:1.4" cannot be pulled: not found'


def test_waiting_since_survives_err_image_pull_and_back_off_flips():
    objs = [
        pod(rv=n + 1, init_statuses=[waiting("db", reason)])
        for n, reason in enumerate(["ErrImagePull", "ImagePullBackOff", "ErrImagePull"])
    ]
    state = None
    from pods.timeline import apply_pod

    for n, obj in enumerate(objs):
        state, _ = apply_pod(state, obj, observed_at=at(100 + n * 10))
    assert state.container("db").waiting_since == at(100)


def test_create_container_config_error():
    p = pod(
        rv=1,
        init_statuses=[
            DB,
            waiting("migrate", "CreateContainerConfigError", 'configmap "db-config" not found'),
        ],
    )
    code, container, summary, _ = verdict(build_state([p]))
    assert (code, container) == ("config-error", "migrate")
    assert (
        summary == "init container `migrate` cannot start (CreateContainerConfigError): "
        'configmap "db-config" not found'
    )


def test_failed_scheduling_is_unschedulable_since_the_condition_turned_false():
    msg = (
        "0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: "
        "3 No preemption victims found for incoming pod."
    )
    p = pod(rv=1, node=None, conditions=[cond("PodScheduled", False, 2, "Unschedulable", msg)])
    state = build_state([p])
    assert verdict(state) == ("unschedulable", "", "0/3 nodes are available: 3 Insufficient cpu.", at(2))
    assert state.step == "scheduling"


def test_failed_scheduling_event_alone_gives_unschedulable():
    state = build_state(
        [
            event(
                "FailedScheduling", "0/3 nodes are available: 3 Insufficient memory.", when=5, etype="Warning"
            )
        ]
    )
    assert not state.seen
    assert verdict(state)[:3] == ("unschedulable", "", "0/3 nodes are available: 3 Insufficient memory.")


def test_failed_mount_while_not_initialized():
    p = pod(
        rv=1,
        conditions=pending_conditions(ready_to_start=False),
        init_statuses=[waiting("db"), waiting("migrate")],
    )
    ev = event(
        "FailedMount",
        'MountVolume.SetUp failed for volume "certs" : secret "certs" not found',
        when=5,
        etype="Warning",
        count=4,
        last_when=70,
    )
    state = build_state([p, ev])
    assert verdict(state) == (
        "mount",
        "",
        'MountVolume.SetUp failed for volume "certs" : secret "certs" not found',
        at(5),
    )
    assert state.signals[0].count == 4 and state.signals[0].last_at == at(70)


def test_failed_mount_is_past_once_a_container_started_after_it():
    p = pod(rv=2, conditions=pending_conditions(), init_statuses=[running("db", 80), waiting("migrate")])
    ev = event("FailedMount", "MountVolume.SetUp failed", when=5, etype="Warning", last_when=70)
    assert verdict(build_state([ev, p]), now=90) is None


def test_failed_create_pod_sandbox():
    p = pod(
        rv=1,
        conditions=pending_conditions(ready_to_start=False),
        init_statuses=[waiting("db"), waiting("migrate")],
    )
    ev = event(
        "FailedCreatePodSandBox",
        "Failed to create pod sandbox: rpc error: code = Unknown desc = failed to setup network",
        when=3,
        etype="Warning",
    )
    assert verdict(build_state([p, ev])) == (
        "sandbox",
        "",
        "sandbox cannot be created: rpc error: code = Unknown desc = failed to setup network",
        at(3),
    )


def test_restart_policy_never_init_failure_is_failed_and_not_stuck():
    p = pod(
        rv=1,
        phase="Failed",
        restart_policy="Never",
        conditions=pending_conditions(),
        init_statuses=[DB, terminated("migrate", 1, 5, 6, message="boom")],
        statuses=[waiting("app")],
    )
    state = build_state([p])
    assert state.status == "Init:Error"
    assert verdict(state) == (
        "failed",
        "migrate",
        "init container `migrate` exits 1 (Error) under restartPolicy Never: boom",
        at(6),
    )
    assert not is_stuck(state, now=at(600), threshold=FIVE_MIN)


def test_deadline_exceeded():
    p = pod(
        rv=1,
        phase="Failed",
        reason="DeadlineExceeded",
        deadline=60,
        restart_policy="Never",
        message="Pod was active on the node longer than the specified deadline",
        conditions=pending_conditions(),
        init_statuses=[DB, terminated("migrate", 137, 11, 61)],
    )
    ev = event("DeadlineExceeded", "Pod was active on the node longer than the specified deadline", when=61)
    state = build_state([p, ev])
    code, container, summary, since = verdict(state)
    assert (code, container, since) == ("deadline", "migrate", at(61))
    assert "activeDeadlineSeconds (60s)" in summary
    assert state.status == "Init:Error"  # the init walk reports the killed container (§3 rule 3)
    assert not is_stuck(state, now=at(600), threshold=FIVE_MIN)


def slow_pod():
    return pod(
        rv=1,
        init=["wait-for-db", "migrate"],
        conditions=pending_conditions(),
        init_statuses=[running("wait-for-db", 8), waiting("migrate")],
    )


def test_slow_init_container_waiting_for_a_database():
    state = build_state([slow_pod()])
    assert state.failure is None
    assert verdict(state, now=200) is None
    assert not is_stuck(state, now=at(200), threshold=FIVE_MIN)
    assert verdict(state, now=8 + 432) == (
        "slow",
        "wait-for-db",
        "blocked on init container `wait-for-db`, running 7m12s",
        at(1),
    )
    assert is_stuck(state, now=at(440), threshold=FIVE_MIN)


def test_sidecar_crash_after_init_names_the_sidecar():
    state = build_state([sidecar_crash_loop_after_init()])
    code, container, summary, _ = verdict(state)
    assert (code, container) == ("crash-loop", "proxy")
    assert summary.startswith("sidecar `proxy` exits 1 (Error)")
    assert state.status == "Init:CrashLoopBackOff"


def test_app_crash_loop_after_init():
    app = waiting(
        "app",
        "CrashLoopBackOff",
        "back-off 5m0s restarting failed container=app",
        rc=5,
        last=last(1, 300, 301, name="app", n=5),
    )
    p = pod(
        rv=1,
        phase="Running",
        conditions=initialized_conditions(1, 20),
        init_statuses=[DB, terminated("migrate", 0, 15, 20)],
        statuses=[app],
    )
    code, container, summary, _ = verdict(build_state([p]))
    assert (code, container) == ("crash-loop", "app")
    assert "back-off 5m0s" in summary


@pytest.mark.parametrize("now", [50, 5000])
def test_a_ready_pod_has_no_diagnosis(now):
    state = build_state(healthy_sequence())
    assert verdict(state, now=now) is None
    assert not is_stuck(state, now=at(now), threshold=FIVE_MIN)


def test_a_succeeded_pod_has_no_diagnosis():
    p = pod(
        rv=1,
        init=[],
        phase="Succeeded",
        restart_policy="Never",
        conditions=[cond("Initialized", True, 1, "PodCompleted"), cond("Ready", False, 9, "PodCompleted")],
        statuses=[terminated("app", 0, 2, 9)],
    )
    state = build_state([p])
    assert verdict(state, now=9999) is None and state.step == "done" and state.step_since == at(9)


def test_a_pod_being_deleted_has_no_diagnosis():
    p = pod(
        rv=1,
        deletion=30,
        init_statuses=[
            DB,
            waiting(
                "migrate",
                "CrashLoopBackOff",
                "back-off 10s restarting failed",
                rc=1,
                last=last(1, 11, 12, name="migrate", n=1),
            ),
        ],
    )
    state = build_state([p])
    assert state.status == "Terminating" and verdict(state, now=9999) is None
    assert not is_stuck(state, now=at(9999), threshold=FIVE_MIN)


def test_slow_scheduling_and_slow_container_start():
    gated = pod(rv=1, node=None, conditions=[cond("PodScheduled", False, 0, "SchedulingGated")])
    assert verdict(build_state([gated]), now=400) == ("slow", "", "scheduling gated for 6m40s", at(0))
    starting = pod(
        rv=1,
        phase="Running",
        conditions=initialized_conditions(1, 20),
        init_statuses=[DB, terminated("migrate", 0, 15, 20)],
        statuses=[running("app", 21)],
    )
    state = build_state([starting])
    assert state.step == "containers"
    assert verdict(state, now=400) == ("slow", "", "containers not ready after 6m20s: `app` running", at(20))
