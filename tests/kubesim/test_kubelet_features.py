"""Kubernetes 1.33-1.36 kubelet features in the virtual kubelet (docs/kubernetes.md §1, §2, §4, §5):
per-container restart rules, RestartAllContainers, configurable crash-loop back-off, stopSignal and
``resources`` in container statuses, parallel image pulls."""

from __future__ import annotations

import re

import pytest

from kubesim.core import NodeState
from kubesim.kubelet import configure_node
from kubesim.scenarios import load_scenario

from .helpers import current, run


def _status(pod: dict, name: str) -> dict:
    st = pod["status"]
    return next(
        c for c in (st.get("initContainerStatuses") or []) + st["containerStatuses"] if c["name"] == name
    )


def _cond(pod: dict, type_: str) -> dict | None:
    return next((c for c in pod["status"]["conditions"] if c["type"] == type_), None)


async def test_restart_rule_restarts_init_on_42_under_never(make_sim):
    sim, rec = await run(make_sim, "restart-rules", 70)
    ok = current(sim, "retry-on-42")
    assert ok["spec"]["initContainers"][0]["restartPolicyRules"][0]["action"] == "Restart"
    assert ok["status"]["phase"] == "Succeeded"
    fetch = [a for a in sim.truth.attempts() if a["pod"] == "retry-on-42" and a["container"] == "fetch-work"]
    assert [(a["number"], a["exit_code"]) for a in fetch] == [(0, 42), (1, 42), (2, 0)]
    # crash-loop back-off applies: the second restart waited in CrashLoopBackOff
    waits = [
        cs["state"]["waiting"]["message"]
        for p in rec.pods("retry-on-42")
        for cs in p["status"].get("initContainerStatuses") or []
        if cs["state"].get("waiting", {}).get("reason") == "CrashLoopBackOff"
    ]
    assert waits and waits[0].startswith("back-off 10s restarting failed container=fetch-work")
    failed = current(sim, "fail-on-3")
    assert failed["status"]["phase"] == "Failed"
    assert _status(failed, "fetch-work")["state"]["terminated"]["exitCode"] == 3
    assert "Init:Error" in rec.texts()


async def test_container_policy_overrides_pod_policy(make_sim):
    scenario = {
        "workloads": [
            {
                "kind": "Pod",
                "name": "p",
                "restartPolicy": "Always",
                "containers": [
                    {"name": "once", "restartPolicy": "Never", "behavior": {"duration": 3, "exit_code": 1}},
                    {"name": "keep", "behavior": {"duration": None}},
                    {
                        "name": "rule",
                        "restartPolicy": "Never",
                        "restartPolicyRules": [
                            {"action": "Restart", "exitCodes": {"operator": "NotIn", "values": [0, 7]}}
                        ],
                        "behavior": {"durations": [2, 2], "exit_codes": [5, 7]},
                    },
                ],
            }
        ]
    }
    sim, _ = await run(make_sim, scenario, 60)
    pod = current(sim, "p")
    assert pod["status"]["phase"] == "Running"
    assert _status(pod, "once")["restartCount"] == 0 and "terminated" in _status(pod, "once")["state"]
    rule = _status(pod, "rule")
    assert rule["restartCount"] == 1 and rule["state"]["terminated"]["exitCode"] == 7


def test_rules_need_a_container_policy():
    bad = {
        "workloads": [
            {
                "kind": "Pod",
                "name": "x",
                "containers": [
                    {
                        "name": "a",
                        "restartPolicyRules": [
                            {"action": "Restart", "exitCodes": {"operator": "In", "values": [1]}}
                        ],
                    }
                ],
            }
        ]
    }
    with pytest.raises(ValueError, match="needs a container restartPolicy"):
        load_scenario(bad)


async def test_restart_all_containers(make_sim):
    sim, rec = await run(make_sim, "restart-all", 60)
    pods = rec.pods("trainer")
    uid = pods[0]["metadata"]["uid"]
    assert {p["metadata"]["uid"] for p in pods} == {uid}
    during = [p for p in pods if (_cond(p, "AllContainersRestarting") or {}).get("status") == "True"]
    assert during
    cond = _cond(during[0], "AllContainersRestarting")
    assert cond["reason"] == "RestartAllContainersStarted"
    assert cond["message"] == "container exited with restart policy rule"
    assert _status(during[0], "train")["state"]["terminated"]["exitCode"] == 88
    # right after the clean-up: every container that had run waits with the made-up termination
    after = pods[pods.index(during[0]) + 1]
    assert _cond(after, "AllContainersRestarting")["status"] == "False"
    assert after["status"]["phase"] == "Pending"
    for name in ("fetch-shard", "proxy", "train", "monitor"):
        cs = _status(after, name)
        assert cs["restartCount"] == 1
        assert cs["state"]["waiting"]["reason"] == "RestartingAllContainers"
        last = cs["lastState"]["terminated"]
        assert last == {
            "exitCode": 137,
            "reason": "RestartingAllContainers",
            "message": "The container is removed because RestartAllContainers in place",
        }
    final = current(sim, "trainer")
    assert final["metadata"]["uid"] == uid and final["status"]["phase"] == "Running"
    assert final["status"]["podIP"] == pods[-1]["status"]["podIP"]
    assert _cond(final, "AllContainersRestarting")["status"] == "False"
    assert {n: _status(final, n)["restartCount"] for n in ("fetch-shard", "proxy", "train", "monitor")} == {
        "fetch-shard": 2,
        "proxy": 2,
        "train": 2,
        "monitor": 2,
    }
    # ground truth: a new init generation per restart; killed attempts end 137 RestartingAllContainers
    truth = sim.truth.attempts(uid)
    fetch = [(a["number"], a["generation"]) for a in truth if a["container"] == "fetch-shard"]
    assert fetch == [(0, 0), (1, 1), (2, 2)]
    killed = [a for a in truth if a["container"] == "monitor"]
    assert [(a["number"], a["exit_code"], a["reason"], a["generation"]) for a in killed] == [
        (0, 137, "RestartingAllContainers", 0),
        (1, 137, "RestartingAllContainers", 1),
    ]
    train = [(a["number"], a["exit_code"]) for a in truth if a["container"] == "train"]
    assert train == [(0, 88), (1, 88)]
    assert "Init:RestartingAllContainers" in rec.texts()


async def test_no_restart_all_condition_without_the_rule(make_sim):
    sim, _ = await run(make_sim, "healthy", 20)
    assert _cond(current(sim), "AllContainersRestarting") is None


def test_configure_node_backoff():
    node = NodeState("n", 0, "1.2.3.4")
    configure_node(node, {})
    assert (node.crash_backoff_initial, node.crash_backoff_max) == (10.0, 300.0)
    configure_node(node, {"crashLoopBackOff": {"maxContainerRestartPeriod": "5s"}})
    assert (node.crash_backoff_initial, node.crash_backoff_max) == (5.0, 5.0)
    configure_node(node, {"crashLoopBackOff": {"maxContainerRestartPeriod": "1m30s"}})
    assert (node.crash_backoff_initial, node.crash_backoff_max) == (10.0, 90.0)
    configure_node(node, {"featureGates": {"ReduceDefaultCrashLoopBackOffDecay": True}})
    assert (node.crash_backoff_initial, node.crash_backoff_max) == (1.0, 60.0)
    with pytest.raises(ValueError):
        configure_node(node, {"crashLoopBackOff": {"maxContainerRestartPeriod": 301}})
    with pytest.raises(ValueError):
        configure_node(node, {"serializeImagePulls": True, "maxParallelImagePulls": 3})


async def test_fast_backoff_messages(make_sim):
    sim, rec = await run(make_sim, "fast-backoff", 150)
    delays = []
    for cs in rec.statuses("migrate"):
        m = re.match(
            r"back-off (\S+) restarting failed container=migrate",
            cs["state"].get("waiting", {}).get("message", ""),
        )
        if m and (not delays or delays[-1] != m.group(1)):
            delays.append(m.group(1))
    assert delays[:6] == ["1s", "2s", "4s", "8s", "16s", "30s"]
    assert rec.events("BackOff")[0]["message"].startswith(
        "Back-off restarting failed container migrate in pod "
    )


async def test_default_backoff_unchanged(make_sim):
    sim, rec = await run(make_sim, "crash-loop", 40)
    msgs = [
        cs["state"]["waiting"]["message"]
        for cs in rec.statuses("migrate")
        if "CrashLoopBackOff" in str(cs["state"])
    ]
    assert msgs[0].startswith("back-off 10s restarting")


async def test_stop_signal_and_resources_in_status(make_sim):
    sim, rec = await run(make_sim, "restart-rules", 30)
    pod = current(sim, "retry-on-42")
    assert pod["spec"]["os"] == {"name": "linux"}
    assert pod["spec"]["containers"][0]["lifecycle"] == {"stopSignal": "SIGUSR1"}
    worker = _status(pod, "worker")
    assert worker["stopSignal"] == "SIGUSR1"
    assert worker["resources"] == {
        "limits": {"memory": "256Mi"},
        "requests": {"cpu": "250m", "memory": "128Mi"},
    }
    assert "allocatedResources" not in worker
    assert "resources" not in _status(pod, "fetch-work")  # not running
    sim.delete_pod("default", "retry-on-42")
    sim.advance(5)
    ends = [a for a in sim.truth.attempts() if a["container"] == "worker"]
    assert ends[-1]["exit_code"] == 138  # SIGUSR1 (10) + 128


async def test_parallel_image_pulls(make_sim):
    sim, rec = await run(make_sim, "parallel-pulls", 60)
    pulled = [e["message"] for e in rec.events("Pulled") if "Successfully" in e["message"]]
    waits = [
        re.search(r"in (\S+) \((\S+) including waiting\)", m).groups() for m in pulled if "acme/fetch" in m
    ]
    assert len(waits) == 4
    totals = sorted(float(t.rstrip("s")) for _, t in waits)
    assert totals[:2] == [6.0, 6.0]  # two pulls at once: no wait
    assert all(t > 6.0 for t in totals[2:])


async def test_serialized_pulls_by_default(make_sim):
    scenario = load_scenario("parallel-pulls")
    scenario.kubelet = {}
    sim, rec = await run(make_sim, scenario, 60)
    pulled = [
        e["message"]
        for e in rec.events("Pulled")
        if "acme/fetch" in e["message"] and "Successfully" in e["message"]
    ]
    totals = sorted(float(re.search(r"\((\S+)s including", m).group(1)) for m in pulled)
    assert totals[0] == 6.0 and totals[1] > 6.0
