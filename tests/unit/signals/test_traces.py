"""The startup trace builder (pods.signals.traces): pure, over hand-built timelines (`PodState`)."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from pods.signals.traces import (
    StartupEnd,
    StartupTrace,
    build_trace,
    ended_now,
    span_id,
    startup_end,
    trace_id,
)
from pods.timeline import timeline_document
from pods.timeline.model import (
    Attempt,
    Diagnosis,
    Generation,
    PodState,
)
from pods.timeline.times import UNIX_EPOCH
from tests.unit.signals.states import UID, at, conditions, done, ready_pod, running


def by_key(trace: StartupTrace) -> dict:
    return {span.key: span for span in trace.spans}


def test_a_ready_pod_ends_its_startup_at_the_ready_transition():
    assert startup_end(ready_pod()) == StartupEnd(0, "ready", at(25))


def test_a_pod_still_starting_has_no_trace():
    state = ready_pod()
    state.conditions = conditions(PodScheduled=1)
    state.ready_at = state.containers_ready_at = None
    assert startup_end(state) is None
    assert build_trace(state, cluster="prod") is None
    assert startup_end(PodState(uid=UID)) is None, "a Pod never seen (only its Events) has no startup"


def test_the_ids_are_derived_from_the_uid_and_generation():
    trace = build_trace(ready_pod(), cluster="prod")
    assert trace.trace_id == hashlib.sha256(f"{UID}:0".encode()).digest()[:16].hex()
    assert trace.trace_id != trace_id(UID, 1)
    root = trace.root
    assert root.span_id == hashlib.sha256(bytes.fromhex(trace.trace_id) + b"root").digest()[:8].hex()
    ids = [span.span_id for span in trace.spans]
    assert len(set(ids)) == len(ids), "every span has its own id"
    again = build_trace(ready_pod(), cluster="prod")
    assert [s.span_id for s in again.spans] == ids, "building it again gives the same ids"
    assert StartupTrace.from_dict(trace.to_dict()) == trace, "the task's message carries it whole"


def test_the_root_and_scheduling_spans_use_the_apis_times():
    trace = build_trace(ready_pod(), cluster="prod")
    spans = by_key(trace)
    root = trace.root
    assert (root.name, root.parent_id, root.start_at, root.end_at) == ("pod startup", "", at(0), at(25))
    assert root.attributes["initscope.outcome"] == "ready"
    assert [(e.name, e.at) for e in root.events] == [
        ("FailedScheduling", at(0)),
        ("PodScheduled", at(1)),
        ("Initialized", at(20)),
        ("ContainersReady", at(25)),
        ("Ready", at(25)),
    ]
    scheduling = spans["scheduling"]
    assert (scheduling.parent_id, scheduling.start_at, scheduling.end_at) == (root.span_id, at(0), at(1))


def test_resource_attributes_follow_the_kubernetes_conventions():
    assert build_trace(ready_pod(), cluster="prod").resource == {
        "service.name": "initscope",
        "k8s.cluster.name": "prod",
        "k8s.namespace.name": "shop",
        "k8s.pod.name": "api-7d9f8c6b5-x2x9q",
        "k8s.pod.uid": UID,
        "k8s.node.name": "node-a",
        "k8s.replicaset.name": "api-7d9f8c6b5",
        "k8s.deployment.name": "api",
    }


def test_image_pull_and_its_queue_wait_come_from_the_pulled_event():
    spans = by_key(build_trace(ready_pod(), cluster="prod"))
    container = spans["container/wait-for-db"]
    pull, wait = spans["container/wait-for-db/pull"], spans["container/wait-for-db/pull-wait"]
    assert (pull.name, pull.parent_id) == ("image pull", container.span_id)
    assert (pull.start_at, pull.end_at) == (at(4) - timedelta(seconds=1.2), at(4))
    assert (wait.start_at, wait.end_at) == (at(4) - timedelta(seconds=1.7), at(4) - timedelta(seconds=1.2))
    assert pull.attributes["initscope.pull.queue_wait_seconds"] == 0.5
    assert pull.attributes["container.image.name"] == "busybox:1.36"
    assert (container.name, container.start_at, container.end_at) == (
        "init wait-for-db",
        wait.start_at,
        at(7),
    )
    assert container.attributes["k8s.container.name"] == "wait-for-db"


def test_init_attempts_carry_their_exit_codes_and_numbers_and_placeholders_no_times():
    spans = by_key(build_trace(ready_pod(), cluster="prod"))
    container = spans["container/migrate"]
    failed, passed = spans["container/migrate/attempt/0/0"], spans["container/migrate/attempt/0/3"]
    assert (failed.start_at, failed.end_at, failed.status) == (at(9), at(10), "error")
    assert failed.attributes["initscope.attempt.exit_code"] == 1
    assert failed.attributes["k8s.container.status.reason"] == "Error"
    assert failed.attributes["k8s.container.restart_count"] == 0
    assert failed.attributes["initscope.attempt.message"] == 'relation "orders" does not exist'
    assert (passed.start_at, passed.end_at, passed.status) == (at(15), at(18), "unset")
    assert passed.attributes["initscope.attempt.number"] == 3
    unknown = spans["container/migrate/unknown/0/1"]
    assert unknown.name == "attempts (details unknown)"
    assert (unknown.start_at, unknown.end_at) == (at(10), at(15)), "the window between the known attempts"
    assert unknown.attributes["initscope.attempt.known"] is False
    assert unknown.attributes["initscope.attempt.times_known"] is False
    assert unknown.attributes["initscope.attempt.count"] == 2
    assert (
        unknown.attributes["initscope.attempt.number"],
        unknown.attributes["initscope.attempt.last_number"],
    ) == (1, 2)
    assert container.attributes["initscope.attempts"] == 4
    assert container.attributes["initscope.attempts.unknown"] == 2
    assert container.attributes["initscope.container.restart_count"] == 3
    assert not any(key.startswith("container/migrate/backoff") for key in spans), (
        "no back-off drawn over unknowns"
    )


def test_a_sidecar_ends_when_the_next_container_started_and_app_containers_at_containers_ready():
    spans = by_key(build_trace(ready_pod(), cluster="prod"))
    sidecar = spans["container/proxy"]
    assert (sidecar.name, sidecar.start_at, sidecar.end_at) == ("sidecar proxy", at(8), at(9))
    assert spans["container/proxy/attempt/0/0"].attributes["initscope.attempt.running"] is True
    web = spans["container/web"]
    assert (web.name, web.start_at, web.end_at) == ("container web", at(20), at(25))
    assert web.attributes["k8s.container.ready"] is True


def crash_looping(deleted_at: float | None = None) -> PodState:
    state = ready_pod()
    state.conditions = conditions(PodScheduled=1)
    state.ready_at = state.containers_ready_at = state.initialized_at = None
    migrate = state.containers[2]
    migrate.state, migrate.state_reason, migrate.restart_count = "waiting", "CrashLoopBackOff", 2
    migrate.attempts = [done(0, 9, 10, 1, "Error"), done(1, 20, 21, 1, "Error")]
    state.containers = state.containers[:3]
    if deleted_at is not None:
        state.deletion_requested_at = at(deleted_at)
    return state


def test_back_off_gaps_between_attempts_and_a_deletion_in_back_off():
    state = crash_looping(deleted_at=60)
    assert startup_end(state) == StartupEnd(0, "deleted", at(60))
    spans = by_key(build_trace(state, cluster="prod"))
    gap = spans["container/migrate/backoff/0/0"]
    assert (gap.name, gap.start_at, gap.end_at) == ("back-off", at(10), at(20))
    assert gap.attributes["initscope.backoff.open"] is False
    still = spans["container/migrate/backoff/0/1"]
    assert (still.start_at, still.end_at) == (at(21), at(60))
    assert still.attributes["initscope.backoff.open"] is True
    assert spans["container/migrate"].status == "error"
    assert spans["root"].attributes["initscope.outcome"] == "deleted"


def test_an_init_container_that_failed_for_good_fails_the_startup():
    state = crash_looping()
    state.restart_policy, state.phase, state.status = "Never", "Failed", "Init:Error"
    state.containers[2].state = "terminated"
    state.containers[2].attempts = [done(0, 9, 10, 1, "Error")]
    state.failure = Diagnosis("failed", "migrate", "init container migrate failed (exit 1)")
    assert startup_end(state) == StartupEnd(0, "failed", at(10))
    root = build_trace(state, cluster="prod").root
    assert (root.end_at, root.status, root.status_message) == (
        at(10),
        "error",
        "init container migrate failed (exit 1)",
    )


def test_a_start_the_runtime_never_reported_is_no_time():
    state = crash_looping(deleted_at=60)
    epoch = done(1, 0, 21, 128, "StartError")
    epoch.started_at = UNIX_EPOCH
    state.containers[2].attempts[1] = epoch
    span = by_key(build_trace(state, cluster="prod"))["container/migrate/attempt/0/1"]
    assert (span.start_at, span.end_at) == (at(21), at(21))
    assert span.attributes["initscope.attempt.start_known"] is False
    assert span.attributes["initscope.attempt.exit_code"] == 128


def test_a_later_generation_is_its_own_trace_from_the_old_containers_stop():
    state = ready_pod()
    # the sandbox was recreated: every container stopped by 90, started over from 95, Ready at 120
    state.containers[3].attempts[0] = done(0, 20, 90, 137, "Error")
    state.init_generation = 1
    state.generations = [Generation(1, "sandbox", at(93))]
    state.containers[0].attempts.append(done(0, 95, 97, generation=1))
    state.containers[1].attempts[0] = done(0, 8, 90, 137, "Error")
    state.containers[1].attempts.append(running(0, 98, generation=1))
    state.containers[2].attempts.append(done(0, 99, 101, generation=1))
    state.containers[3].attempts.append(running(0, 102, generation=1))
    state.conditions = conditions(PodScheduled=1, Initialized=102, ContainersReady=120, Ready=120)
    state.ready_at = state.containers_ready_at = at(120)
    end = startup_end(state)
    assert end == StartupEnd(1, "ready", at(120))
    trace = build_trace(state, cluster="prod")
    assert trace.trace_id == trace_id(UID, 1)
    assert (trace.root.start_at, trace.root.end_at) == (at(90), at(120))
    assert trace.root.attributes["initscope.generation.cause"] == "sandbox"
    spans = by_key(trace)
    assert "scheduling" not in spans
    assert "container/migrate/attempt/0/3" not in spans, "only this generation's attempts"
    assert spans["container/migrate/attempt/1/0"].span_id == span_id(
        trace.trace_id, "container/migrate/attempt/1/0"
    )
    assert ended_now(StartupEnd(0, "ready", at(25)), end)
    assert [e.name for e in trace.root.events] == ["Initialized", "ContainersReady", "Ready"], (
        "only what happened in this startup (not the first one's FailedScheduling)"
    )


def test_what_began_after_the_startup_ended_is_not_part_of_it():
    state = ready_pod()
    # built again later: the app container crashed at 40 and restarted at 50
    state.containers[3].attempts = [done(0, 20, 40, 1, "Error"), running(1, 50)]
    state.containers[3].restart_count = 1
    spans = by_key(build_trace(state, cluster="prod"))
    first = spans["container/web/attempt/0/0"]
    assert (first.start_at, first.end_at) == (at(20), at(40)), "it began in the startup: its end is known"
    assert "container/web/attempt/0/1" not in spans
    assert "container/web/backoff/0/0" not in spans


def test_a_startup_ends_once():
    end = StartupEnd(0, "ready", at(25))
    assert ended_now(None, end)
    assert not ended_now(end, end)
    assert not ended_now(end, StartupEnd(0, "deleted", at(90))), "deleting a Ready Pod ends nothing new"
    assert not ended_now(None, None)


def test_an_attempt_last_seen_running_before_later_ones_is_marked_unknown_not_running():
    """Attempt 1 was seen running, then a watch gap hid how it ended and attempt 2; the relist showed
    attempt 3. Attempt 1 is not running (later attempts prove it ended) and its end is unknown: it joins
    the run of placeholders, never a running span; the waterfall's document says the same."""
    state = ready_pod()
    (migrate,) = [c for c in state.containers if c.name == "migrate"]
    migrate.attempts = [
        done(0, 9, 10, 1, "Error"),
        running(1, 11),
        Attempt(generation=0, number=2, known=False),
        done(3, 15, 18),
    ]
    spans = by_key(build_trace(state, cluster="prod"))
    assert "container/migrate/attempt/0/1" not in spans
    unknown = spans["container/migrate/unknown/0/1"]
    assert (
        unknown.attributes["initscope.attempt.number"],
        unknown.attributes["initscope.attempt.last_number"],
    ) == (
        1,
        2,
    )
    assert not any(
        s.attributes.get("initscope.attempt.running")
        for k, s in spans.items()
        if k.startswith("container/migrate/")
    )
    document = timeline_document(state, [], cluster="prod", now=at(30), threshold=timedelta(minutes=5))
    (shown,) = [c for c in document["containers"] if c["name"] == "migrate"]
    assert [a["ended_unseen"] for a in shown["attempts"]] == [False, True, False, False]
    (web,) = [c for c in document["containers"] if c["name"] == "web"]
    assert [a["ended_unseen"] for a in web["attempts"]] == [False], "the newest attempt runs on"
