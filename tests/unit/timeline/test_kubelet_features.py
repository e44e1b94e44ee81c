"""Kubernetes 1.33–1.36 kubelet features in the engine (docs/kubernetes.md §1, §2 end notes, §4, §5):
PodReadyToStartContainers, per-container restart policy and rules (KEP-5307), RestartAllContainers
(KEP-5532), configurable crash-loop back-off (KEP-4603/5593), stopSignal and resources in container
statuses, parallel image pulls. Raw Pod JSON from the builders, and kubesim recordings whose ground truth
the engine's attempts must equal."""

from __future__ import annotations

from datetime import timedelta

import pytest

from kubesim.recorder import Recording, record
from pods.timeline import (
    ContainerState,
    apply_event,
    apply_pod,
    diagnose,
    event_record,
    is_stuck,
    kubectl_status,
    timeline_document,
)
from pods.timeline.codec import decode_state, encode_state
from pods.timeline.policy import effective_policy, restart_action
from pods.timeline.pulls import parse_pulled
from tests.builders import (
    at,
    cond,
    event,
    last,
    pending_conditions,
    pod,
    running,
    terminated,
    ts,
    waiting,
)

START = 1_748_854_800.0  # 2025-06-02T09:00:00Z
THRESHOLD = timedelta(minutes=5)


def fold(rec: Recording):
    """Every Pod of a recording folded as the watcher folds it; (states by name, raw objects by name)."""
    states, objects = {}, {}
    for item in rec.items:
        if item.type == "ERROR":
            continue
        if item.resource == "pods":
            uid = item.object["metadata"]["uid"]
            states[uid], _ = apply_pod(states.get(uid), item.object, deleted=item.type == "DELETED")
            objects.setdefault(item.object["metadata"]["name"], []).append(item.object)
        else:
            ev = event_record(item.object)
            if ev.involved_kind == "Pod":
                states[ev.pod_uid], _ = apply_event(states.get(ev.pod_uid), ev)
    return {s.name: s for s in states.values()}, objects


def finished(state, name: str) -> list[tuple[int, int, int | None, str]]:
    """(generation, number, exit code, reason) of a container's attempts that ended."""
    return [
        (a.generation, a.number, a.exit_code, a.reason)
        for a in state.container(name).attempts
        if a.known and a.finished_at is not None
    ]


def truth(rec: Recording, uid: str, name: str) -> list[tuple[int, int, int | None, str]]:
    return sorted(
        (t["generation"], t["number"], t["exit_code"], t["reason"])
        for t in rec.truth
        if t.get("uid") == uid and t["container"] == name
    )


def document(state, now):
    return timeline_document(state, [], cluster="c", now=now, threshold=THRESHOLD)


# ------------------------------------------------------------------------ PodReadyToStartContainers


def test_sandbox_ready_is_a_milestone_in_the_state_and_the_document():
    state, _ = apply_pod(
        None, pod(rv=1, conditions=pending_conditions(1), init_statuses=[waiting("db"), waiting("migrate")])
    )
    assert state.sandbox_ready_at == at(2)
    doc = document(state, at(3))
    assert doc["sandbox_ready_at"] == ts(2)
    assert doc["scheduled_at"] == ts(1)


def _sandbox_down(rv: int = 1) -> dict:
    return pod(
        rv=rv,
        conditions=pending_conditions(1, ready_to_start=False),
        init_statuses=[waiting("db"), waiting("migrate")],
        statuses=[waiting("app")],
    )


def test_a_sandbox_that_stays_not_ready_is_the_sandbox_diagnosis_past_the_threshold():
    state, _ = apply_pod(None, _sandbox_down())
    assert state.sandbox_ready_at is None and state.failure is None
    assert diagnose(state, now=at(120), threshold=THRESHOLD) is None  # not yet slow
    found = diagnose(state, now=at(400), threshold=THRESHOLD)
    assert found.code == "sandbox" and found.container == ""
    assert "PodReadyToStartContainers False" in found.summary and found.since == at(2)
    # it refines `slow`: the stuck verdict is the same either way
    assert is_stuck(state, now=at(400), threshold=THRESHOLD)
    assert not is_stuck(state, now=at(120), threshold=THRESHOLD)
    assert document(state, at(400))["diagnosis"]["code"] == "sandbox"


def test_failed_create_pod_sandbox_events_make_it_a_sandbox_diagnosis_at_once():
    state, _ = apply_pod(None, _sandbox_down())
    state, _ = apply_event(
        state,
        event_record(
            event(
                "FailedCreatePodSandBox",
                "Failed to create pod sandbox: rpc error: code = Unknown desc = failed to setup network",
                when=3,
                etype="Warning",
            )
        ),
    )
    assert state.failure.code == "sandbox"
    assert state.failure.summary.startswith("sandbox cannot be created: rpc error")


def test_unschedulable_and_mount_come_before_a_sandbox_not_ready():
    state, _ = apply_pod(None, _sandbox_down())
    state, _ = apply_event(
        state,
        event_record(
            event("FailedMount", 'MountVolume.SetUp failed for volume "cfg"', when=3, etype="Warning")
        ),
    )
    assert diagnose(state, now=at(400), threshold=THRESHOLD).code == "mount"
    unscheduled = pod(
        rv=2,
        node=None,
        conditions=[cond("PodScheduled", False, 0, "Unschedulable", "0/3 nodes are available")],
    )
    state, _ = apply_pod(None, unscheduled)
    assert diagnose(state, now=at(400), threshold=THRESHOLD).code == "unschedulable"


def test_the_sandbox_failure_scenario():
    rec = record("sandbox-failure", seconds=40, start=START)
    [state] = fold(rec)[0].values()
    assert state.failure.code == "sandbox"
    assert state.sandbox_ready_at is None
    assert state.status == "Init:0/1"


# -------------------------------------------------------------------------- restart policy and rules


def _with_rules(obj: dict, container: str, policy: str, rules: list[dict] | None = None) -> dict:
    for c in obj["spec"].get("initContainers", []) + obj["spec"]["containers"]:
        if c["name"] == container:
            c["restartPolicy"] = policy
            if rules is not None:
                c["restartPolicyRules"] = rules
    return obj


RETRY_42 = [{"action": "Restart", "exitCodes": {"operator": "In", "values": [42]}}]


def test_the_effective_restart_policy_per_container_and_exit_code():
    init = ContainerState("fetch", "init", 0, restart_policy="Never")
    init.restart_rules = [{"action": "Restart", "operator": "In", "exit_codes": [42]}]
    assert restart_action("Never", init, 42) == "restart"
    assert restart_action("Never", init, 3) == "none"
    assert restart_action("Never", init, 0) == "none"
    plain = ContainerState("db", "init", 1)
    assert restart_action("Never", plain, 1) == "none"
    assert restart_action("Always", plain, 1) == "restart"
    assert restart_action("Always", plain, 0) == "none"  # an init container that succeeded is done
    app = ContainerState("app", "app", 2, restart_policy="Never")
    assert restart_action("Always", app, 1) == "none"  # its own Never overrides the Pod's Always
    assert effective_policy("Always", app) == "Never"
    on_failure = ContainerState("job", "app", 3, restart_policy="OnFailure")
    on_failure.restart_rules = [{"action": "RestartAllContainers", "operator": "NotIn", "exit_codes": [0, 7]}]
    assert restart_action("Never", on_failure, 5) == "restart-all"
    assert restart_action("Never", on_failure, 7) == "restart"  # no rule: OnFailure restarts a failure
    assert restart_action("Never", on_failure, 0) == "none"
    sidecar = ContainerState("proxy", "sidecar", 4)
    assert restart_action("Never", sidecar, 0) == "restart" and effective_policy("Never", sidecar) == "Always"
    # rules apply only with a container restartPolicy (the API requires one)
    ruled = ContainerState("x", "app", 5, restart_rules=init.restart_rules)
    assert restart_action("Never", ruled, 42) == "none"


def test_an_exit_a_rule_restarts_under_pod_never_is_a_crash_loop_not_a_failure():
    spec = dict(restart_policy="Never", init=["fetch"], apps=["worker"])
    first = _with_rules(
        pod(rv=1, init_statuses=[terminated("fetch", 42, 2, 5)], statuses=[waiting("worker")], **spec),
        "fetch",
        "Never",
        RETRY_42,
    )
    state, _ = apply_pod(None, first)
    assert state.container("fetch").restart_policy == "Never"
    assert state.container("fetch").restart_rules == [
        {"action": "Restart", "operator": "In", "exit_codes": [42]}
    ]
    assert state.failure.code == "crash-loop"
    assert "restartPolicyRules restarts it" in state.failure.summary
    backing_off = _with_rules(
        pod(
            rv=2,
            init_statuses=[
                waiting(
                    "fetch",
                    "CrashLoopBackOff",
                    "back-off 2m40s restarting failed container=fetch pod=api_shop(uid)",
                    rc=1,
                    last=last(42, 2, 5, name="fetch", n=0),
                )
            ],
            statuses=[waiting("worker")],
            **spec,
        ),
        "fetch",
        "Never",
        RETRY_42,
    )
    state, _ = apply_pod(state, backing_off)
    assert state.failure.code == "crash-loop" and "back-off 2m40s" in state.failure.summary
    doc = document(state, at(10))
    fetch = doc["containers"][0]
    assert fetch["restart_policy"] == "Never" and fetch["effective_restart_policy"] == "Never"
    assert fetch["restart_rules"] == [{"action": "Restart", "operator": "In", "exit_codes": [42]}]
    assert (
        doc["containers"][1]["restart_policy"] == ""
        and doc["containers"][1]["effective_restart_policy"] == "Never"
    )


def test_an_exit_no_rule_matches_under_never_is_final():
    failed = _with_rules(
        pod(
            rv=1,
            phase="Failed",
            restart_policy="Never",
            init=["fetch"],
            apps=["worker"],
            init_statuses=[terminated("fetch", 3, 2, 5, rc=1, last=last(42, 1, 1, name="fetch", n=0))],
            statuses=[waiting("worker")],
        ),
        "fetch",
        "Never",
        RETRY_42,
    )
    state, _ = apply_pod(None, failed)
    assert state.failure.code == "failed"
    assert state.failure.summary == (
        "init container `fetch` exits 3 (Error) under its restartPolicy Never"
        " (no restartPolicyRules match exit 3)"
    )


def test_an_app_container_whose_own_policy_is_never_is_not_a_crash_loop():
    obj = _with_rules(
        pod(
            rv=1,
            phase="Running",
            init=[],
            apps=["once", "keep"],
            conditions=[cond("Initialized", True, 1), cond("Ready", False, 1), cond("PodScheduled", True, 1)],
            statuses=[terminated("once", 1, 2, 4), running("keep", 2)],
        ),
        "once",
        "Never",
    )
    state, _ = apply_pod(None, obj)
    assert state.failure is None
    obj = _with_rules(obj, "once", "Always")
    obj["metadata"]["resourceVersion"] = "2"
    state, _ = apply_pod(state, obj)
    assert state.failure.code == "crash-loop"


def test_restart_rules_scenario_attempts_equal_the_ground_truth():
    rec = record("restart-rules", seconds=70, start=START)
    states, _ = fold(rec)
    for name in ("retry-on-42", "fail-on-3"):
        state = states[name]
        assert finished(state, "fetch-work") == truth(rec, state.uid, "fetch-work")
    assert states["retry-on-42"].phase == "Succeeded" and states["retry-on-42"].failure is None
    failed = states["fail-on-3"].failure
    assert failed.code == "failed" and "no restartPolicyRules match exit 3" in failed.summary


# ----------------------------------------------------------------------------- RestartAllContainers


def test_restart_all_scenario_is_a_new_generation_per_restart_and_equals_the_ground_truth():
    rec = record("restart-all", seconds=60, start=START)
    states, objects = fold(rec)
    state = states["trainer"]
    for name in ("fetch-shard", "proxy", "train", "monitor"):
        assert finished(state, name) == truth(rec, state.uid, name), name
    assert state.init_generation == 2
    # the killed attempts end when the trigger exited (the API never shows that time; kubesim's truth does)
    killed = {t["container"]: t["finished_at"] for t in rec.truth if t["reason"] == "RestartingAllContainers"}
    proxy_ends = [ts_(a.finished_at) for a in state.container("proxy").attempts if a.finished_at]
    assert proxy_ends == sorted(t["finished_at"] for t in rec.truth if t["container"] == "proxy")
    assert killed
    # the generations say how they began: at the trigger's exit
    trigger_exits = [t["finished_at"] for t in rec.truth if t["container"] == "train"]
    assert [(g.number, g.cause, ts_(g.started_at)) for g in state.generations] == [
        (1, "restart-all", trigger_exits[0]),
        (2, "restart-all", trigger_exits[1]),
    ]
    # the new round runs under the raised restartCount, in the new generation
    assert [(a.generation, a.number) for a in state.container("monitor").attempts][-1] == (2, 2)
    # kubectl STATUS comes out of status.py's rules unchanged, for every object
    texts = [kubectl_status(obj)[0] for obj in objects["trainer"]]
    assert "Init:RestartingAllContainers" in texts
    assert state.status == kubectl_status(objects["trainer"][-1])[0] == "Running"
    doc = document(state, at(0) + timedelta(days=400))
    assert doc["generations"][0] == {"number": 1, "cause": "restart-all", "started_at": trigger_exits[0]}


def ts_(value) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


RESTARTED = {
    "exitCode": 137,
    "reason": "RestartingAllContainers",
    "message": "The container is removed because RestartAllContainers in place",
}


def _trainer(rv: int, *, init: list[dict], apps: list[dict], restarting: str | None = None) -> dict:
    conditions = [cond("Initialized", True, 3), cond("Ready", False, 3), cond("PodScheduled", True, 1)]
    if restarting is not None:
        conditions.append(
            cond(
                "AllContainersRestarting",
                restarting == "True",
                20,
                "RestartAllContainersStarted" if restarting == "True" else None,
            )
        )
    obj = pod(
        rv=rv,
        phase="Running",
        restart_policy="Never",
        init=["fetch"],
        apps=["train", "monitor"],
        conditions=conditions,
        init_statuses=init,
        statuses=apps,
    )
    rule = [{"action": "RestartAllContainers", "exitCodes": {"operator": "In", "values": [88]}}]
    return _with_rules(obj, "train", "Never", rule)


def _made_up(name: str, state: str = "PodInitializing") -> dict:
    s = waiting(name, state, rc=1, last={"terminated": dict(RESTARTED)})
    s.pop("containerID", None)
    return s


def test_restart_all_seen_only_after_the_clean_up_still_opens_one_generation():
    before = _trainer(
        1,
        init=[terminated("fetch", 0, 1, 2)],
        apps=[running("train", 3), running("monitor", 3)],
    )
    state, _ = apply_pod(None, before)
    # the trigger's report and the clean-up report were missed: the first init container runs again
    again = _trainer(
        2,
        init=[running("fetch", 22, rc=1, gen=1, last={"terminated": dict(RESTARTED)})],
        apps=[_made_up("train"), _made_up("monitor")],
        restarting="False",
    )
    state, _ = apply_pod(state, again)
    assert state.init_generation == 1 and [g.cause for g in state.generations] == ["restart-all"]
    fetch = state.container("fetch").attempts
    assert [(a.generation, a.number, a.exit_code, a.reason) for a in fetch] == [
        (0, 0, 0, "Completed"),
        (1, 1, None, ""),
    ]
    # the attempts still running when it happened were stopped by it, at the latest at the condition's turn
    for name in ("train", "monitor"):
        [attempt] = state.container(name).attempts
        assert (attempt.exit_code, attempt.reason, attempt.finished_at) == (
            137,
            "RestartingAllContainers",
            at(20),
        )
    # the same objects again change nothing, and a stored state folds the same
    assert apply_pod(decode_state(encode_state(state)), again)[1] is False


def test_a_pod_first_seen_in_the_round_after_a_restart_all_keeps_that_round_in_one_generation():
    """A watch (or a recording) that starts while the init containers run again after a restart-all: the
    restart happened before, and what came before it is known only by count. The round seen is one
    generation: its first init container's run is not left behind in another one."""
    restarted = {"terminated": dict(RESTARTED)}
    seen = [
        _trainer(
            1,
            init=[running("fetch", 22, rc=1, gen=1, last=restarted)],
            apps=[_made_up("train"), _made_up("monitor")],
            restarting="False",
        ),
        _trainer(
            2,
            init=[terminated("fetch", 0, 22, 24, rc=1, gen=1, last=restarted)],
            apps=[_made_up("train"), _made_up("monitor")],
            restarting="False",
        ),
        _trainer(
            3,
            init=[terminated("fetch", 0, 22, 24, rc=1, gen=1, last=restarted)],
            apps=[
                running("train", 25, rc=1, gen=1, last=restarted),
                running("monitor", 25, rc=1, gen=1, last=restarted),
            ],
            restarting="False",
        ),
    ]
    state = None
    for obj in seen:
        state, _ = apply_pod(state, obj)
    assert state is not None
    rounds = {(c.name, a.generation) for c in state.containers for a in c.attempts if a.known}
    assert rounds == {(name, state.init_generation) for name in ("fetch", "train", "monitor")}
    assert state.generations == [], "no restart-all was seen happen: none is made up after the first sight"


# -------------------------------------------------------------------------- configurable back-off


def test_back_off_and_next_attempt_come_from_the_waiting_message_and_the_last_exit():
    for delay, seconds in (("1s", 1), ("2m40s", 160), ("7m30s", 450)):
        obj = pod(
            rv=1,
            init=["migrate"],
            init_statuses=[
                waiting(
                    "migrate",
                    "CrashLoopBackOff",
                    f"back-off {delay} restarting failed container=migrate pod=api_shop(uid)",
                    rc=3,
                    last=last(1, 10, 12, name="migrate", n=3),
                )
            ],
        )
        state, _ = apply_pod(None, obj)
        assert state.failure.code == "crash-loop" and state.failure.summary.endswith(f"back-off {delay}")
        migrate = document(state, at(13))["containers"][0]
        assert migrate["back_off"] == delay
        assert migrate["next_attempt_at"] == ts(12 + seconds)


def test_the_fast_backoff_scenario_diagnosis_names_the_configured_delay():
    rec = record("fast-backoff", seconds=40, start=START)
    states, objects = fold(rec)
    [state] = states.values()
    assert state.failure.code == "crash-loop"
    message = next(
        cs["state"]["waiting"]["message"]
        for cs in objects[state.name][-1]["status"]["initContainerStatuses"]
        if "waiting" in cs["state"]
    )
    delay = message.split()[1]
    assert delay != "10s" and f"back-off {delay}" in state.failure.summary


# ------------------------------------------------------------------ stopSignal and resources


def test_stop_signal_and_resources_are_kept_per_container_never_env_values():
    status = running("app", 5, ready=True)
    status["stopSignal"] = "SIGUSR1"
    status["resources"] = {"limits": {"memory": "256Mi"}, "requests": {"cpu": "250m", "memory": "128Mi"}}
    status["allocatedResources"] = {"cpu": "250m", "memory": "128Mi"}
    obj = pod(rv=1, init=[], phase="Running", statuses=[status])
    state, _ = apply_pod(None, obj)
    app = state.container("app")
    assert app.stop_signal == "SIGUSR1"
    assert app.resources == {"limits": {"memory": "256Mi"}, "requests": {"cpu": "250m", "memory": "128Mi"}}
    assert app.allocated_resources == {"cpu": "250m", "memory": "128Mi"}
    doc = document(state, at(6))["containers"][0]
    assert (doc["stop_signal"], doc["resources"], doc["allocated_resources"]) == (
        "SIGUSR1",
        app.resources,
        app.allocated_resources,
    )
    assert b"hunter2" not in encode_state(state)  # the builders' env value
    # a later status without `resources` (the container stopped) keeps what was reported
    stopped = terminated("app", 0, 5, 9)
    obj = pod(rv=2, init=[], phase="Succeeded", statuses=[stopped])
    state, _ = apply_pod(state, obj)
    assert state.container("app").resources["limits"] == {"memory": "256Mi"}
    assert decode_state(encode_state(state)).container("app").stop_signal == "SIGUSR1"


def test_restart_rules_scenario_reports_the_stop_signal_and_resources():
    rec = record("restart-rules", seconds=30, start=START)
    worker = fold(rec)[0]["retry-on-42"].container("worker")
    assert worker.stop_signal == "SIGUSR1"
    assert worker.resources == {"limits": {"memory": "256Mi"}, "requests": {"cpu": "250m", "memory": "128Mi"}}
    assert worker.allocated_resources == {}


# ------------------------------------------------------------------------- parallel image pulls


def test_queue_wait_is_only_what_the_pulled_message_says():
    parsed = parse_pulled(
        'Successfully pulled image "a:1" in 6s (9.5s including waiting). Image size: 10 bytes.'
    )
    assert (parsed.pull_seconds, parsed.wait_seconds) == (6.0, 3.5)
    # the older message without the total: the wait is unknown, whatever other pulls did meanwhile
    assert parse_pulled('Successfully pulled image "a:1" in 6s').wait_seconds is None
    state, _ = apply_pod(
        None, pod(rv=1, init=["db", "migrate"], init_statuses=[waiting("db"), waiting("migrate")])
    )
    for ev in (
        event("Pulling", 'Pulling image "acme/db:1.4"', when=2, container="db"),
        event("Pulling", 'Pulling image "acme/migrate:1.4"', when=2, container="migrate"),
        event(
            "Pulled",
            'Successfully pulled image "acme/db:1.4" in 6s (6s including waiting)',
            when=8,
            container="db",
        ),
        event("Pulled", 'Successfully pulled image "acme/migrate:1.4" in 4s', when=12, container="migrate"),
    ):
        state, _ = apply_event(state, event_record(ev))
    assert state.container("db").pull.wait_seconds == 0.0
    assert state.container("migrate").pull.wait_seconds is None  # never derived from the neighbour's pull


def test_parallel_pulls_scenario_waits_equal_each_pulled_message():
    rec = record("parallel-pulls", seconds=60, start=START)
    states, _ = fold(rec)
    messages = {
        (i.object["involvedObject"]["uid"], i.object["involvedObject"].get("fieldPath")): i.object["message"]
        for i in rec.items
        if i.resource == "events"
        and i.object.get("reason") == "Pulled"
        and "Successfully" in i.object["message"]
    }
    waits = []
    for state in states.values():
        for c in state.containers:
            path = f"spec.{'initContainers' if c.kind != 'app' else 'containers'}{{{c.name}}}"
            parsed = parse_pulled(messages[(state.uid, path)])
            assert c.pull.wait_seconds == parsed.wait_seconds
            waits.append(c.pull.wait_seconds)
    assert 0.0 in waits and any(w > 0 for w in waits)


@pytest.mark.parametrize("scenario", ["restart-rules", "restart-all"])
def test_status_texts_equal_kubectl_for_every_object(scenario):
    rec = record(scenario, seconds=60, start=START)
    state = None
    by_uid = {}
    for item in rec.items:
        if item.resource != "pods" or item.type == "ERROR":
            continue
        uid = item.object["metadata"]["uid"]
        state, _ = apply_pod(by_uid.get(uid), item.object)
        by_uid[uid] = state
        text, restarts, _ = kubectl_status(item.object)
        assert (state.status, state.restarts) == (text, restarts)
