"""Words the engine says (issue 11, "Words and times"): the step is right, the diagnosis keeps the root
cause, a finished Pod's terminal failure, and kubectl's READY column."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from kubesim.printers import pod_status_text
from pods.timeline import build_state, diagnose, is_failed, kubectl_ready, step_label
from pods.timeline.diagnosis import generic_message
from tests.builders import (
    at,
    cond,
    event,
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

FIVE_MIN = timedelta(minutes=5)
SAMPLES = Path(__file__).resolve().parents[3] / "samples"
SPECIFIC = 'MountVolume.SetUp failed for volume "config" : configmap "mounty-config" not found'
GENERIC = (
    "Unable to attach or mount volumes: unmounted volumes=[config], unattached volumes=[config "
    "kube-api-access-abcde]: timed out waiting for the condition"
)


def _diagnosis(state, now: float = 600):
    return diagnose(state, now=at(now), threshold=FIVE_MIN)


# ------------------------------------------------------------------------------------------------ step


def test_a_crashing_sidecar_beside_a_running_app_is_not_starting_containers():
    state = build_state([sidecar_crash_loop_after_init()])
    assert state.step == "containers"
    assert step_label(state) == "sidecar proxy: CrashLoopBackOff"


def test_running_app_containers_that_lost_readiness_say_so():
    conditions = initialized_conditions(1, 20, ready=30)
    ready = build_state(
        [pod(rv=1, init=[], conditions=conditions, statuses=[running("app", 21, ready=True)])]
    )
    assert step_label(ready) == "running"
    lost = [
        c if c["type"] not in ("Ready", "ContainersReady") else cond(c["type"], False, 90) for c in conditions
    ]
    state = build_state(
        [
            pod(rv=1, init=[], conditions=conditions, statuses=[running("app", 21, ready=True)]),
            pod(rv=2, init=[], conditions=lost, statuses=[running("app", 21)]),
        ]
    )
    assert step_label(state) == "running, not ready"
    waiting_probe = build_state(
        [pod(rv=1, init=[], conditions=initialized_conditions(1, 20), statuses=[running("app", 21)])]
    )
    assert step_label(waiting_probe) == "running, not ready"


def test_app_containers_not_yet_running_are_starting():
    state = build_state(
        [
            pod(
                rv=1,
                init=[],
                conditions=initialized_conditions(1, 2),
                statuses=[waiting("app", "ContainerCreating")],
            )
        ]
    )
    assert step_label(state) == "starting containers"


def _sandbox_not_ready(init: str) -> dict:
    """A Pending Pod whose sandbox is not ready yet: init container `init` and `app` both waiting."""
    return pod(
        rv=1,
        init=[init],
        conditions=pending_conditions(ready_to_start=False),
        init_statuses=[waiting(init)],
        statuses=[waiting("app")],
    )


def test_a_volume_that_cannot_be_mounted_is_the_step_not_the_init_container():
    blocked = _sandbox_not_ready("wait-for-db")
    mount = event("FailedMount", SPECIFIC, when=5, etype="Warning", count=6, last_when=90)
    state = build_state([blocked, mount])
    assert step_label(state) == "mounting volumes"
    assert state.step == "init:wait-for-db"  # the stuck rule still reads the step itself
    started = pod(
        rv=2,
        init=["wait-for-db"],
        conditions=pending_conditions(),
        init_statuses=[running("wait-for-db", 100)],
        statuses=[waiting("app")],
    )
    state = build_state([blocked, mount, started])
    assert step_label(state) == "init 1/1: wait-for-db"


def test_a_sandbox_not_ready_is_the_step():
    blocked = _sandbox_not_ready("db")
    assert step_label(build_state([blocked])) == "waiting for sandbox"
    no_inits = pod(
        rv=1,
        init=[],
        conditions=pending_conditions(ready_to_start=False),
        statuses=[waiting("app", "ContainerCreating")],
    )
    assert step_label(build_state([no_inits])) == "waiting for sandbox"


def test_an_image_pull_keeps_the_init_container_as_the_step():
    pulling = pod(
        rv=1,
        init=["db"],
        conditions=pending_conditions(),
        init_statuses=[waiting("db", "ImagePullBackOff", 'Back-off pulling image "acme/db:1.4"')],
    )
    assert step_label(build_state([pulling])) == "init 1/1: db"


def _failed_job(rv: int = 3, **options):
    return pod(
        rv=rv,
        init=["migrate"],
        phase="Failed",
        restart_policy="Never",
        conditions=[cond("Initialized", False, 9, "PodFailed"), cond("Ready", False, 9, "PodFailed")],
        init_statuses=[terminated("migrate", 1, 3, 9)],
        statuses=[waiting("app")],
        **options,
    )


def test_a_finished_pod_says_how_it_finished():
    failed = build_state([_failed_job()])
    assert (failed.step, step_label(failed), is_failed(failed)) == ("done", "failed", True)
    completed = build_state([sidecar_job_completed()])
    assert (step_label(completed), is_failed(completed)) == ("completed", False)
    deadline = build_state(
        [
            pod(
                rv=4,
                init=["db"],
                phase="Failed",
                reason="DeadlineExceeded",
                deadline=60,
                conditions=[cond("Initialized", False, 1), cond("Ready", False, 61)],
                init_statuses=[terminated("db", 137, 2, 61, reason="Error")],
                statuses=[waiting("app")],
            )
        ]
    )
    assert (step_label(deadline), is_failed(deadline)) == ("failed: deadline exceeded", True)
    evicted = build_state([pod(rv=5, init=[], phase="Failed", reason="Evicted", statuses=[])])
    assert (step_label(evicted), is_failed(evicted)) == ("evicted", True)


def test_a_pod_stopped_by_its_deletion_was_killed_not_failed():
    killed = pod(
        rv=6,
        init=[],
        phase="Failed",
        deletion=100,
        grace=30,
        conditions=initialized_conditions(1, 2, ready=3),
        statuses=[terminated("app", 137, 3, 110, reason="Error")],
    )
    state = build_state([killed])
    assert (step_label(state), is_failed(state)) == ("killed (deleted)", False)
    # A Job Pod that failed on its own and was deleted later failed; once deleted it is history.
    deleted_later = build_state([_failed_job(deletion=500)])
    assert (step_label(deleted_later), is_failed(deleted_later)) == ("failed", True)
    gone = build_state([{"type": "DELETED", "object": _failed_job(rv=9, deletion=500)}])
    assert gone.deleted_at is not None and is_failed(gone) is False


def test_running_and_stuck_pods_are_not_failed():
    assert is_failed(build_state([sidecar_crash_loop_after_init()])) is False


# ------------------------------------------------------------------------------------------- diagnosis


def _mount_blocked(*events):
    blocked = _sandbox_not_ready("wait-for-db")
    return build_state([blocked, *events])


def test_the_specific_mount_failure_is_kept_while_it_repeats():
    specific = event(
        "FailedMount", SPECIFIC, when=5, etype="Warning", count=9, last_when=500, uid="e-specific"
    )
    generic = event(
        "FailedMount", GENERIC, when=125, etype="Warning", count=4, last_when=520, uid="e-generic"
    )
    for order in ((specific, generic), (generic, specific)):
        found = _diagnosis(_mount_blocked(*order))
        assert found is not None and found.code == "mount"
        assert 'configmap "mounty-config" not found' in found.summary
        assert found.since == at(5)


def test_the_generic_message_shows_when_the_specific_one_stopped_repeating():
    specific = event("FailedMount", SPECIFIC, when=5, etype="Warning", last_when=10, uid="e-old")
    generic = event("FailedMount", GENERIC, when=125, etype="Warning", count=9, last_when=1000, uid="e-new")
    found = _diagnosis(_mount_blocked(specific, generic), now=1000)
    assert found is not None and "timed out waiting for the condition" in found.summary


def test_generic_messages_are_recognised():
    assert generic_message(GENERIC)
    assert generic_message("")
    assert not generic_message(SPECIFIC)


def test_a_long_message_keeps_its_end():
    reason = "x" * 300 + ' configmap "far-away-config" not found'
    state = build_state(
        [
            pod(
                rv=1,
                init=["db"],
                conditions=pending_conditions(),
                init_statuses=[waiting("db", "CreateContainerConfigError", reason)],
            )
        ]
    )
    found = _diagnosis(state)
    assert found is not None and found.code == "config-error"
    assert found.summary.endswith('configmap "far-away-config" not found')
    crash = build_state(
        [
            pod(
                rv=1,
                init=["db"],
                conditions=pending_conditions(),
                init_statuses=[
                    waiting(
                        "db",
                        "CrashLoopBackOff",
                        "back-off 20s restarting failed container=db",
                        rc=2,
                        last=last(1, 10, 20, name="db", n=1, message="y" * 200 + " the-key-words"),
                    )
                ],
            )
        ]
    )
    found = _diagnosis(crash)
    assert found is not None and found.summary.endswith("the-key-words")


# ------------------------------------------------------------------------------------------------ READY


def test_ready_counts_ready_app_containers_and_started_sidecars():
    state = build_state([sidecar_crash_loop_after_init()])
    assert state.ready_containers == "1/2" == kubectl_ready(sidecar_crash_loop_after_init())
    assert kubectl_ready(pod(rv=1, init=["db"], statuses=[waiting("app")])) == "0/1"
    assert kubectl_ready("not a pod") == ""


def _sample_pods():
    for path in sorted(SAMPLES.glob("[0-9]*.json*")):
        text = path.read_text()
        try:
            records = [json.loads(text)]
        except json.JSONDecodeError:
            decoder, records, pos = json.JSONDecoder(), [], 0
            while pos < len(text):
                while pos < len(text) and text[pos].isspace():
                    pos += 1
                if pos >= len(text):
                    break
                obj, pos = decoder.raw_decode(text, pos)
                records.append(obj)
        for record in records:
            items = record.get("items") if isinstance(record, dict) else None
            for obj in items or [record]:
                obj = obj.get("object", obj) if isinstance(obj, dict) else obj
                if isinstance(obj, dict) and obj.get("kind") == "Pod":
                    yield path.name, obj


@pytest.mark.parametrize("name", sorted({name for name, _ in _sample_pods()}))
def test_ready_agrees_with_the_simulators_kubectl_printer_on_every_sample(name):
    objects = [obj for sample, obj in _sample_pods() if sample == name]
    assert objects
    for obj in objects:
        assert kubectl_ready(obj) == pod_status_text(obj, 0)[0]
