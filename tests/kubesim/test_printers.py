"""kubectl 1.35 printPod: the examples of docs/kubernetes.md §3 (init list db, migrate; sidecar proxy)."""

from __future__ import annotations

import pytest

from kubesim.printers import pod_status_text
from kubesim.util import go_duration, human_duration

NOW = 1_750_000_100.0
T = "2025-06-15T15:06:40Z"  # 1_750_000_000 = NOW - 100 s


def cs(name, state, rc=0, ready=False, started=False, last=None):
    st = {
        "name": name,
        "restartCount": rc,
        "ready": ready,
        "started": started,
        "state": state,
        "lastState": {"terminated": {"exitCode": 1, "reason": "Error", "finishedAt": last}} if last else {},
    }
    return st


W = lambda reason: {"waiting": {"reason": reason}}  # noqa: E731
R = {"running": {"startedAt": T}}
T0 = {"terminated": {"exitCode": 0, "reason": "Completed"}}
T1 = {"terminated": {"exitCode": 1, "reason": "Error"}}


def pod(inits, apps, phase="Pending", sidecar=False, initialized=False, ready=False, deleting=False):
    init_specs = ([{"name": "proxy", "restartPolicy": "Always"}] if sidecar else []) + [
        {"name": "db"},
        {"name": "migrate"},
    ]
    p = {
        "metadata": {"name": "p", "creationTimestamp": T},
        "spec": {"initContainers": init_specs, "containers": [{"name": "app"}]},
        "status": {
            "phase": phase,
            "initContainerStatuses": inits,
            "containerStatuses": apps,
            "conditions": [
                {"type": "Initialized", "status": "True" if initialized else "False"},
                {"type": "Ready", "status": "True" if ready else "False"},
            ],
        },
    }
    if deleting:
        p["metadata"]["deletionTimestamp"] = T
    return p


CASES = [
    (
        1,
        pod(
            [cs("db", W("PodInitializing")), cs("migrate", W("PodInitializing"))],
            [cs("app", W("PodInitializing"))],
        ),
        ("0/1", "Init:0/2", "0"),
    ),
    (2, pod([cs("db", T0), cs("migrate", R)], [cs("app", W("PodInitializing"))]), ("0/1", "Init:1/2", "0")),
    (
        3,
        pod(
            [cs("db", T0), cs("migrate", W("CrashLoopBackOff"), rc=4, last="2025-06-15T15:07:55Z")],
            [cs("app", W("PodInitializing"))],
        ),
        ("0/1", "Init:CrashLoopBackOff", "4 (25s ago)"),
    ),
    (
        4,
        pod([cs("db", T0), cs("migrate", T1, rc=3)], [cs("app", W("PodInitializing"))]),
        ("0/1", "Init:Error", "3"),
    ),
    (
        5,
        pod(
            [cs("db", W("ImagePullBackOff")), cs("migrate", W("PodInitializing"))],
            [cs("app", W("PodInitializing"))],
        ),
        ("0/1", "Init:ImagePullBackOff", "0"),
    ),
    (
        6,
        pod([cs("db", T0), cs("migrate", T0, rc=2)], [cs("app", W("PodInitializing"))], initialized=True),
        ("0/1", "PodInitializing", "0"),
    ),
    (
        7,
        pod(
            [cs("proxy", R, ready=True, started=True), cs("db", T0), cs("migrate", R)],
            [cs("app", W("PodInitializing"))],
            sidecar=True,
        ),
        ("1/2", "Init:2/3", "0"),
    ),
    (
        8,
        pod(
            [
                cs("proxy", R, started=False),
                cs("db", W("PodInitializing")),
                cs("migrate", W("PodInitializing")),
            ],
            [cs("app", W("PodInitializing"))],
            sidecar=True,
        ),
        ("0/2", "Init:0/3", "0"),
    ),
    (
        9,
        pod(
            [cs("db", T0), cs("migrate", T0, rc=2)],
            [cs("app", W("CrashLoopBackOff"), rc=5, last="2025-06-15T15:07:40Z")],
            phase="Running",
            initialized=True,
        ),
        ("0/1", "CrashLoopBackOff", "5 (40s ago)"),
    ),
    (
        10,
        pod([cs("db", T0), cs("migrate", T1)], [cs("app", W("PodInitializing"))], phase="Failed"),
        ("0/1", "Init:Error", "0"),
    ),
    (
        12,
        pod(
            [
                cs("proxy", W("CrashLoopBackOff"), rc=3, last="2025-06-15T15:07:50Z"),
                cs("db", T0),
                cs("migrate", T0),
            ],
            [cs("app", R, ready=True, started=True)],
            phase="Running",
            sidecar=True,
            initialized=True,
            ready=False,
        ),
        ("1/2", "Init:CrashLoopBackOff", "3 (30s ago)"),
    ),
]


@pytest.mark.parametrize(("number", "pod_obj", "expected"), CASES, ids=[f"ex{c[0]}" for c in CASES])
def test_print_pod_examples(number, pod_obj, expected):
    assert pod_status_text(pod_obj, NOW) == expected


def test_completed_job_with_sidecar():
    # §3 example 11: sidecar exit 143 Error rc1, app T0, Succeeded -> Completed, RESTARTS 1
    p = pod(
        [
            cs("proxy", {"terminated": {"exitCode": 143, "reason": "Error"}}, rc=1),
            cs("db", T0),
            cs("migrate", T0),
        ],
        [cs("app", T0)],
        phase="Succeeded",
        sidecar=True,
        initialized=True,
    )
    p["spec"]["initContainers"] = [
        {"name": "proxy", "restartPolicy": "Always"},
        {"name": "db"},
        {"name": "migrate"},
    ]
    ready, status, restarts = pod_status_text(p, NOW)
    assert (ready, restarts) == ("0/2", "1")
    assert status == "Completed"  # Initialized is True: the app containers decide


def test_terminating_and_running():
    p = pod(
        [cs("db", T0), cs("migrate", T0)],
        [cs("app", R, ready=True, started=True)],
        phase="Running",
        initialized=True,
        ready=True,
        deleting=True,
    )
    assert pod_status_text(p, NOW) == ("1/1", "Terminating", "0")
    p["metadata"].pop("deletionTimestamp")
    assert pod_status_text(p, NOW) == ("1/1", "Running", "0")


def test_durations():
    assert [go_duration(s) for s in (10, 20, 40, 80, 160, 300)] == [
        "10s",
        "20s",
        "40s",
        "1m20s",
        "2m40s",
        "5m0s",
    ]
    assert go_duration(1.594) == "1.594s" and go_duration(0.796) == "796ms"
    assert [human_duration(s) for s in (5, 119, 150, 600, 3600 * 5 + 60, 86400 * 3)] == [
        "5s",
        "119s",
        "2m30s",
        "10m",
        "5h1m",
        "3d",
    ]
