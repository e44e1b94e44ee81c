"""kubectl 1.35 STATUS / RESTARTS: the 12 examples of docs/kubernetes.md §3, and the rules around them."""

from __future__ import annotations

import pytest

from pods.timeline import kubectl_status
from tests.builders import (
    at,
    cond,
    initialized_conditions,
    last,
    pending_conditions,
    pod,
    running,
    sidecar_crash_loop_after_init,
    sidecar_job_completed,
    terminated,
    waiting,
)

PI = "PodInitializing"


def ex1():
    return pod(
        rv=1,
        conditions=pending_conditions(),
        init_statuses=[waiting("db"), waiting("migrate")],
        statuses=[waiting("app")],
    )


def ex2():
    return pod(
        rv=2,
        conditions=pending_conditions(),
        init_statuses=[terminated("db", 0, 2, 4), running("migrate", 5)],
        statuses=[waiting("app")],
    )


def ex3():
    migrate = waiting(
        "migrate",
        "CrashLoopBackOff",
        "back-off 40s restarting failed container=migrate",
        rc=4,
        last=last(1, 90, 95, name="migrate", n=4),
    )
    return pod(
        rv=3,
        conditions=pending_conditions(),
        init_statuses=[terminated("db", 0, 2, 4), migrate],
        statuses=[waiting("app")],
    )


def ex4():
    return pod(
        rv=4,
        conditions=pending_conditions(),
        init_statuses=[terminated("db", 0, 2, 4), terminated("migrate", 1, 50, 52, rc=3)],
        statuses=[waiting("app")],
    )


def ex5():
    return pod(
        rv=5,
        conditions=pending_conditions(),
        init_statuses=[
            waiting("db", "ImagePullBackOff", 'Back-off pulling image "acme/db:1.4"'),
            waiting("migrate"),
        ],
        statuses=[waiting("app")],
    )


def ex6():
    return pod(
        rv=6,
        conditions=initialized_conditions(1, 20),
        init_statuses=[terminated("db", 0, 2, 4), terminated("migrate", 0, 15, 20, rc=2)],
        statuses=[waiting("app")],
    )


def ex7():
    return pod(
        rv=7,
        init=["proxy", "migrate"],
        sidecars=("proxy",),
        conditions=pending_conditions(),
        init_statuses=[running("proxy", 2, ready=True), running("migrate", 3)],
        statuses=[waiting("app")],
    )


def ex8():
    return pod(
        rv=8,
        init=["proxy", "migrate"],
        sidecars=("proxy",),
        startup_probes=("proxy",),
        conditions=pending_conditions(),
        init_statuses=[running("proxy", 2, started_flag=False), waiting("migrate")],
        statuses=[waiting("app")],
    )


def ex9():
    app = waiting(
        "app",
        "CrashLoopBackOff",
        "back-off 5m0s restarting failed container=app",
        rc=5,
        last=last(1, 300, 301, name="app", n=5),
    )
    return pod(
        rv=9,
        phase="Running",
        conditions=initialized_conditions(1, 20),
        init_statuses=[terminated("db", 0, 2, 4), terminated("migrate", 0, 15, 20, rc=2)],
        statuses=[app],
    )


def ex10():
    return pod(
        rv=10,
        phase="Failed",
        restart_policy="Never",
        conditions=pending_conditions(),
        init_statuses=[terminated("db", 0, 2, 4), terminated("migrate", 1, 5, 6)],
        statuses=[waiting("app")],
    )


@pytest.mark.parametrize(
    ("build", "status", "restarts", "last_at"),
    [
        (ex1, "Init:0/2", 0, None),
        (ex2, "Init:1/2", 0, None),
        (ex3, "Init:CrashLoopBackOff", 4, at(95)),
        (ex4, "Init:Error", 3, None),
        (ex5, "Init:ImagePullBackOff", 0, None),
        (ex6, "PodInitializing", 0, None),
        (ex7, "Init:1/2", 0, None),
        (ex8, "Init:0/2", 0, None),
        (ex9, "CrashLoopBackOff", 5, at(301)),
        (ex10, "Init:Error", 0, None),
        (sidecar_job_completed, "Completed", 1, at(29)),
        (sidecar_crash_loop_after_init, "Init:CrashLoopBackOff", 3, at(110)),
    ],
    ids=[f"example-{n}" for n in range(1, 13)],
)
def test_kubectl_status_matches_the_golden_examples(build, status, restarts, last_at):
    assert kubectl_status(build()) == (status, restarts, last_at)


def test_a_running_ready_pod_prints_running():
    p = pod(
        rv=1,
        phase="Running",
        conditions=initialized_conditions(1, 20, 25),
        init_statuses=[terminated("db", 0, 2, 4), terminated("migrate", 0, 5, 20)],
        statuses=[running("app", 21, ready=True)],
    )
    assert kubectl_status(p) == ("Running", 0, None)


def test_a_running_unready_app_prints_running():
    p = pod(
        rv=1,
        phase="Running",
        conditions=initialized_conditions(1, 20),
        init_statuses=[terminated("db", 0, 2, 4), terminated("migrate", 0, 5, 20)],
        statuses=[running("app", 21, ready=False)],
    )
    assert kubectl_status(p)[0] == "Running"


def test_terminated_init_without_reason_prints_signal_or_exit_code():
    t = terminated("migrate", 2, 5, 6)
    del t["state"]["terminated"]["reason"]
    p = pod(rv=1, init_statuses=[terminated("db", 0, 2, 4), t])
    assert kubectl_status(p)[0] == "Init:ExitCode:2"
    t["state"]["terminated"]["signal"] = 9
    assert kubectl_status(p)[0] == "Init:Signal:9"


def test_app_terminated_without_reason_prints_exit_code():
    t = terminated("app", 3, 5, 6)
    del t["state"]["terminated"]["reason"]
    p = pod(rv=1, init=[], phase="Running", conditions=[cond("Initialized", True, 1)], statuses=[t])
    assert kubectl_status(p)[0] == "ExitCode:3"


def test_completed_with_a_running_unready_container_prints_not_ready():
    p = pod(
        rv=1,
        init=[],
        apps=["done", "web"],
        phase="Running",
        conditions=[cond("Initialized", True, 1), cond("Ready", False, 5)],
        statuses=[terminated("done", 0, 1, 2), running("web", 1, ready=True)],
    )
    assert kubectl_status(p)[0] == "NotReady"
    p["status"]["conditions"][1]["status"] = "True"
    assert kubectl_status(p)[0] == "Running"


def test_completed_with_a_failed_container_prints_the_error_reason():
    p = pod(
        rv=1,
        init=[],
        apps=["done", "bad"],
        phase="Failed",
        conditions=[cond("Initialized", True, 1)],
        statuses=[terminated("done", 0, 1, 2), terminated("bad", 1, 1, 2)],
    )
    assert kubectl_status(p)[0] == "Error"


def test_deletion_prints_terminating_unless_terminal_or_node_lost():
    p = ex2()
    p["metadata"]["deletionTimestamp"] = "2025-06-01T10:01:00Z"
    assert kubectl_status(p)[0] == "Terminating"
    f = ex10()
    f["metadata"]["deletionTimestamp"] = "2025-06-01T10:01:00Z"
    assert kubectl_status(f)[0] == "Init:Error"
    p["status"]["reason"] = "NodeLost"
    assert kubectl_status(p)[0] == "Unknown"


def test_scheduling_gated_pod_prints_scheduling_gated():
    p = pod(rv=1, node=None, conditions=[cond("PodScheduled", False, 0, "SchedulingGated")])
    assert kubectl_status(p) == ("SchedulingGated", 0, None)


def test_unscheduled_pod_prints_pending():
    p = pod(rv=1, node=None, conditions=[cond("PodScheduled", False, 0, "Unschedulable", "0/3 nodes")])
    assert kubectl_status(p) == ("Pending", 0, None)


def test_status_reason_wins_over_phase():
    p = pod(rv=1, phase="Failed", reason="DeadlineExceeded", init=[], statuses=[])
    assert kubectl_status(p)[0] == "DeadlineExceeded"


@pytest.mark.parametrize(
    "raw",
    [
        None,
        [],
        "x",
        {},
        {"status": []},
        {"status": {"initContainerStatuses": "x"}},
        {"status": {"initContainerStatuses": [1, None, {"restartCount": "2"}]}},
    ],
)
def test_kubectl_status_never_crashes_on_odd_objects(raw):
    text, restarts, _ = kubectl_status(raw)
    assert isinstance(text, str) and isinstance(restarts, int)
