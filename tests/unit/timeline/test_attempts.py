"""Attempts rebuilt from restartCount, state and lastState (docs/kubernetes.md §2 rules 1–7), in scenarios."""

from __future__ import annotations

from dataclasses import replace

from pods.timeline import apply_pod, build_state
from tests.builders import (
    at,
    cid,
    crash_loop_sequence,
    healthy_sequence,
    initialized_conditions,
    last,
    pending_conditions,
    pod,
    running,
    sidecar_crash_loop_after_init,
    sidecar_job_completed,
    terminated,
    waiting,
    watch,
)


def each(state, name):
    """Every attempt of container `name`, a run of placeholders counted out number by number."""
    for a in state.container(name).attempts:
        for number in range(a.number, a.number + a.count):
            yield a if a.count == 1 else replace(a, number=number, count=1)


def attempts(state, name):
    return [(a.generation, a.number, a.known, a.exit_code, a.reason) for a in each(state, name)]


def test_healthy_pod_with_three_init_containers_has_one_attempt_each():
    state = build_state(healthy_sequence())
    assert [c.name for c in state.containers] == ["db", "cache", "migrate", "app"]
    assert [c.kind for c in state.containers] == ["init", "init", "init", "app"]
    assert [c.index for c in state.containers] == [0, 1, 2, 3]
    assert attempts(state, "db") == [(0, 0, True, 0, "Completed")]
    assert attempts(state, "migrate") == [(0, 0, True, 0, "Completed")]
    migrate = state.container("migrate").attempts[0]
    assert (migrate.started_at, migrate.finished_at) == (at(13), at(40))
    assert attempts(state, "app") == [(0, 0, True, None, "")]
    assert state.status == "Running" and state.step == "running" and state.failure is None
    assert (state.created_at, state.scheduled_at, state.initialized_at, state.ready_at) == (
        at(0),
        at(1),
        at(40),
        at(45),
    )
    assert state.owner.kind == "Deployment" and state.owner.name == "api"
    assert state.controller.kind == "ReplicaSet" and state.controller.name == "api-7d9f8c6b5"


def test_each_step_is_reported_while_the_pod_starts():
    steps = []
    state = None
    for record in healthy_sequence():
        state, _ = apply_pod(state, record["object"])
        steps.append((state.step, state.step_since))
    assert steps == [
        ("scheduling", at(0)),
        ("init:db", at(1)),
        ("init:db", at(1)),
        ("init:cache", at(10)),
        ("init:migrate", at(12)),
        ("containers", at(40)),
        ("running", at(45)),
    ]


def test_init_crash_loop_records_each_attempt_once_with_exit_codes():
    objs = crash_loop_sequence()
    state = build_state(objs + objs[3:])  # replays of older objects add nothing
    assert attempts(state, "migrate") == [(0, n, True, 1, "Error") for n in range(4)]
    a = state.container("migrate").attempts
    assert [x.container_id for x in a] == [cid("migrate", n) for n in range(4)]
    assert a[3].message == 'relation "users" does not exist'
    assert (a[3].started_at, a[3].finished_at) == (at(110), at(112))
    assert state.status == "Init:CrashLoopBackOff" and state.restarts == 3


def test_the_same_object_twice_changes_nothing():
    objs = crash_loop_sequence()
    state, changed = apply_pod(None, objs[0])
    assert changed
    for obj in objs[1:]:
        state, _ = apply_pod(state, obj)
    before = state.to_dict()
    state, changed = apply_pod(state, objs[-1])
    assert not changed and state.to_dict() == before


def test_stale_objects_are_dropped():
    objs = crash_loop_sequence()
    state = build_state(objs)
    before = state.to_dict()
    for old in objs[:-1]:
        state, changed = apply_pod(state, old)
        assert not changed
    assert state.to_dict() == before


def test_rvs_compare_as_big_integers():
    first = pod(
        rv="99999999999999999999999", conditions=pending_conditions(), init_statuses=[running("db", 3)]
    )
    second = pod(
        rv="100000000000000000000000",
        conditions=pending_conditions(),
        init_statuses=[terminated("db", 0, 3, 9)],
    )
    state, _ = apply_pod(None, first)
    state, changed = apply_pod(state, second)
    assert changed and state.resource_version == "100000000000000000000000"
    state, changed = apply_pod(state, first)
    assert not changed and state.container("db").state == "terminated"


def test_non_numeric_rvs_are_compared_for_equality_only():
    a = pod(rv="abc", conditions=pending_conditions(), init_statuses=[running("db", 3)])
    b = pod(rv="abd", conditions=pending_conditions(), init_statuses=[terminated("db", 0, 3, 9)])
    state, _ = apply_pod(None, a)
    assert not apply_pod(state, a)[1]
    assert apply_pod(state, b)[1]


def test_restart_count_jump_records_unknown_attempts():
    db = terminated("db", 0, 3, 10)
    one = pod(
        rv=1, init_statuses=[db, running("migrate", 40, rc=1, last=last(1, 20, 22, name="migrate", n=0))]
    )
    four = pod(
        rv=2,
        init_statuses=[
            db,
            waiting(
                "migrate",
                "CrashLoopBackOff",
                "back-off 40s restarting failed",
                rc=4,
                last=last(1, 150, 152, name="migrate", n=4),
            ),
        ],
    )
    state = build_state([one, four])
    assert attempts(state, "migrate") == [
        (0, 0, True, 1, "Error"),
        (0, 1, True, None, ""),
        (0, 2, False, None, ""),
        (0, 3, False, None, ""),
        (0, 4, True, 1, "Error"),
    ]
    unknown = state.container("migrate").attempts[2]
    assert unknown.started_at is None and unknown.finished_at is None and unknown.container_id == ""


def test_unknown_attempts_are_filled_in_when_later_data_reveals_them():
    db = terminated("db", 0, 3, 10)
    seen_late = pod(
        rv=1, init_statuses=[db, running("migrate", 200, rc=3, last=last(1, 150, 152, name="migrate", n=2))]
    )
    state = build_state([seen_late])
    assert attempts(state, "migrate") == [
        (0, 0, False, None, ""),
        (0, 1, False, None, ""),
        (0, 2, True, 1, "Error"),
        (0, 3, True, None, ""),
    ]
    # The attempt that was running (3) ends; then 4 runs: lastState shows 3 in full.
    state, _ = apply_pod(
        state,
        pod(
            rv=2,
            init_statuses=[db, running("migrate", 300, rc=4, last=last(1, 200, 210, name="migrate", n=3))],
        ),
    )
    assert attempts(state, "migrate")[3] == (0, 3, True, 1, "Error")
    assert len(attempts(state, "migrate")) == 5
    assert [(a.number, a.count) for a in state.container("migrate").attempts][0] == (0, 2), "one run"


def test_a_first_sight_mid_crash_loop_records_earlier_attempts_as_unknown():
    obj = pod(
        rv=5,
        init_statuses=[
            terminated("db", 0, 3, 10),
            waiting(
                "migrate",
                "CrashLoopBackOff",
                "back-off 10s restarting failed",
                rc=2,
                last=last(1, 40, 41, name="migrate", n=2),
            ),
        ],
    )
    state = build_state([obj])
    assert [(a.number, a.known) for a in each(state, "migrate")] == [
        (0, False),
        (1, False),
        (2, True),
    ]


def test_a_fast_container_seen_only_waiting_then_terminated_gets_its_attempt():
    objs = [
        pod(rv=1, conditions=pending_conditions(), init_statuses=[waiting("db"), waiting("migrate")]),
        pod(
            rv=2,
            conditions=pending_conditions(),
            init_statuses=[terminated("db", 0, 3, 3), running("migrate", 4)],
        ),
    ]
    state = build_state(objs)
    assert attempts(state, "db") == [(0, 0, True, 0, "Completed")]
    assert (
        state.container("db").attempts[0].started_at == state.container("db").attempts[0].finished_at == at(3)
    )


def sandbox_recreated_sequence():
    done = [terminated("db", 0, 3, 10), terminated("migrate", 0, 11, 20)]
    ready = pod(
        rv=10,
        phase="Running",
        conditions=initialized_conditions(1, 20, 25),
        init_statuses=done,
        statuses=[running("app", 21, ready=True)],
    )
    # SandboxChanged: containers killed; init containers purged and rerun from the first one (rc reset).
    rerun = pod(
        rv=11,
        phase="Running",
        conditions=pending_conditions(),
        init_statuses=[running("db", 100, gen=1), waiting("migrate")],
        statuses=[waiting("app", rc=0, last=last(137, 21, 99, name="app", n=0))],
    )
    rerun_done = pod(
        rv=12,
        phase="Running",
        conditions=initialized_conditions(1, 130, 140),
        init_statuses=[terminated("db", 0, 100, 110, gen=1), terminated("migrate", 0, 111, 130, gen=1)],
        statuses=[running("app", 131, rc=1, ready=True, last=last(137, 21, 99, name="app", n=0))],
    )
    return [ready, rerun, rerun_done]


def test_sandbox_recreation_opens_a_new_generation_and_keeps_the_old_attempts():
    state = build_state(sandbox_recreated_sequence())
    assert state.init_generation == 1
    assert attempts(state, "db") == [(0, 0, True, 0, "Completed"), (1, 0, True, 0, "Completed")]
    assert attempts(state, "migrate") == [(0, 0, True, 0, "Completed"), (1, 0, True, 0, "Completed")]
    assert attempts(state, "app") == [(0, 0, True, 137, "Error"), (1, 1, True, None, "")]
    assert state.step == "running" and state.initialized_at == at(130)


def test_restart_count_decrease_opens_a_new_generation():
    db = terminated("db", 0, 3, 10)
    looping = pod(
        rv=1,
        init_statuses=[
            db,
            waiting(
                "migrate",
                "CrashLoopBackOff",
                "back-off 20s restarting failed",
                rc=2,
                last=last(1, 40, 41, name="migrate", n=2),
            ),
        ],
    )
    reset = pod(rv=2, init_statuses=[running("db", 100, gen=1), waiting("migrate")])
    state = build_state([looping, reset])
    assert state.init_generation == 1
    assert [a.key for a in each(state, "migrate")] == [(0, 0), (0, 1), (0, 2)]
    assert [a.key for a in state.container("db").attempts] == [(0, 0), (1, 0)]
    assert state.step == "init:db"


def test_deletion_while_initializing_records_the_killed_attempt_without_failure():
    db = terminated("db", 0, 3, 10)
    objs = [
        watch(
            "MODIFIED", pod(rv=1, conditions=pending_conditions(), init_statuses=[db, running("migrate", 11)])
        ),
        watch(
            "MODIFIED",
            pod(
                rv=2, deletion=60, conditions=pending_conditions(), init_statuses=[db, running("migrate", 11)]
            ),
        ),
        watch(
            "MODIFIED",
            pod(
                rv=3,
                deletion=60,
                phase="Failed",
                conditions=pending_conditions(),
                init_statuses=[db, terminated("migrate", 143, 11, 62)],
            ),
        ),
    ]
    state = build_state(objs)
    assert state.status == "Init:Error"  # terminal phase: kubectl 1.35 no longer prints Terminating
    assert attempts(state, "migrate") == [(0, 0, True, 143, "Error")]
    assert state.failure is None and state.deletion_requested_at == at(60) and state.deleted_at is None
    state = build_state(objs[:2])
    assert state.status == "Terminating" and state.step == "deleting" and state.failure is None
    state, changed = apply_pod(state, objs[2]["object"], deleted=True)
    assert changed and state.deleted_at == at(62)


def test_a_stale_deleted_object_still_marks_the_pod_deleted():
    objs = crash_loop_sequence()
    state = build_state(objs)
    state, changed = apply_pod(state, objs[0], deleted=True, observed_at=at(999))
    assert changed and state.deleted_at is not None and state.failure is None
    assert not apply_pod(state, objs[0], deleted=True)[1]


def test_deleted_at_falls_back_to_observed_at():
    bare = {"kind": "Pod", "metadata": {"uid": "u-1", "resourceVersion": "5"}}
    state, _ = apply_pod(None, bare, deleted=True, observed_at=at(77))
    assert state.deleted_at == at(77)


def test_native_sidecar_counts_as_started_and_the_next_init_container_runs():
    p = pod(
        rv=1,
        init=["proxy", "migrate"],
        sidecars=("proxy",),
        conditions=pending_conditions(),
        init_statuses=[running("proxy", 2, ready=True), running("migrate", 3)],
        statuses=[waiting("app")],
    )
    state = build_state([p])
    assert [c.kind for c in state.containers] == ["sidecar", "init", "app"]
    assert state.status == "Init:1/2" and state.step == "init:migrate" and state.step_since == at(2)


def test_sidecar_waiting_for_its_startup_probe_is_the_current_step():
    p = pod(
        rv=1,
        init=["proxy", "migrate"],
        sidecars=("proxy",),
        startup_probes=("proxy",),
        conditions=pending_conditions(),
        init_statuses=[running("proxy", 2, started_flag=False), waiting("migrate")],
    )
    state = build_state([p])
    assert state.container("proxy").has_startup_probe
    assert state.step == "init:proxy" and state.status == "Init:0/2"


def test_nothing_from_the_spec_env_is_kept():
    state = build_state(healthy_sequence())
    assert "hunter2" not in str(state.to_dict())


def test_a_job_with_a_native_sidecar_completes_without_a_failure():
    state = build_state([sidecar_job_completed()])
    assert (state.status, state.restarts, state.step, state.failure) == ("Completed", 1, "done", None)
    assert attempts(state, "proxy") == [(0, 0, True, 137, "Error"), (0, 1, True, 143, "Error")]
    assert state.container("proxy").kind == "sidecar"


def test_a_sidecar_crash_loop_after_init_keeps_the_pod_initialized():
    state = build_state([sidecar_crash_loop_after_init()])
    assert state.status == "Init:CrashLoopBackOff" and state.step == "containers"
    assert [(a.number, a.known) for a in each(state, "proxy")] == [
        (0, False),
        (1, False),
        (2, False),
        (3, True),
    ]


def test_a_pending_pod_deleted_before_anything_happened_is_dated_by_the_watcher():
    bare = pod(rv=1, node=None, start_time=None)
    state, _ = apply_pod(None, bare)
    state, changed = apply_pod(state, pod(rv=2, node=None, start_time=None), deleted=True, observed_at=at(50))
    assert changed and state.deleted_at == at(50)


def test_a_container_in_back_off_shows_its_last_run_s_end_as_the_newest_time():
    """A recording's "now" (`last_seen_at`, the cluster's `observed_until`) reaches the end of the last
    failed run: a container waiting in CrashLoopBackOff has no time of its own, only its lastState's."""
    state = build_state(crash_loop_sequence())
    # migrate's fourth run ended at 110 + 2 s; nothing in the last object is newer.
    assert state.last_seen_at == at(112)
