"""The engine's reading of Events about workloads, Nodes and PVCs (pods.timeline.related): the
`create-failed` rule and what a Pod's diagnosis gains from its node's and claims' Events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pods.timeline.model import Diagnosis, EventRecord, PodState
from pods.timeline.related import (
    CREATE_FAILED_STALE,
    WorkloadFacts,
    create_failed_holds,
    with_related,
    workload_diagnosis,
)

T0 = datetime(2025, 6, 2, 9, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def about(kind: str, name: str, reason: str, message: str, seconds: float, uid: str = "") -> EventRecord:
    return EventRecord(
        uid=uid or f"{kind}-{name}-{reason}-{seconds}",
        namespace="" if kind == "Node" else "shop",
        name="",
        pod_uid=name,
        pod_name=name,
        reason=reason,
        message=message,
        first_at=at(seconds),
        last_at=at(seconds),
        involved_kind=kind,
    )


def test_create_failed_holds_until_pods_get_created_or_the_failure_is_old():
    assert create_failed_holds(failed_last_at=at(10), created_last_at=None, now=at(20))
    assert create_failed_holds(failed_last_at=at(10), created_last_at=at(5), now=at(20))
    assert not create_failed_holds(failed_last_at=at(10), created_last_at=at(10), now=at(20))
    assert not create_failed_holds(failed_last_at=at(10), created_last_at=at(11), now=at(20))
    assert not create_failed_holds(failed_last_at=None, created_last_at=None, now=at(20))
    stale = at(10) + CREATE_FAILED_STALE + timedelta(seconds=1)
    assert not create_failed_holds(failed_last_at=at(10), created_last_at=None, now=stale)


def test_the_workload_diagnosis_carries_the_message_as_it_was_sent():
    message = (
        '(combined from similar events): Error creating: pods "web-x" is forbidden: <b>exceeded quota</b>'
    )
    facts = WorkloadFacts(
        failed_message=message, failed_first_at=at(1), failed_last_at=at(9), failed_count=12
    )
    diagnosis = workload_diagnosis(facts, now=at(30))
    assert diagnosis is not None
    assert (diagnosis.code, diagnosis.since) == ("create-failed", at(1))
    assert diagnosis.summary == (
        'cannot create Pods (12 times): Error creating: pods "web-x" is forbidden: <b>exceeded quota</b>'
    )
    assert workload_diagnosis(WorkloadFacts(), now=at(30)) is None


def test_an_unschedulable_pod_names_its_unbound_claim():
    state = PodState(uid="p", namespace="shop", seen=True, claims=["data-db"])
    diagnosis = Diagnosis(
        "unschedulable", "", "0/3 nodes are available: pod has unbound immediate PVCs.", at(0)
    )
    related = [
        about(
            "PersistentVolumeClaim", "data-db", "ProvisioningFailed", 'storageclass "fast-ssd" not found', 5
        )
    ]
    amended = with_related(diagnosis, state, related)
    assert amended is not None and amended.code == "unschedulable"
    assert amended.summary.startswith(
        'PersistentVolumeClaim `data-db` is unbound: storageclass "fast-ssd" not found'
    )
    succeeded = [*related, about("PersistentVolumeClaim", "data-db", "ProvisioningSucceeded", "ok", 9)]
    assert with_related(diagnosis, state, succeeded) == diagnosis


def test_a_stuck_pod_on_a_not_ready_or_pressured_node_says_so_until_it_recovers():
    state = PodState(uid="p", namespace="shop", seen=True, node="node-2")
    diagnosis = Diagnosis("slow", "wait", "blocked on init container `wait`, running 6m", at(0))
    down = [about("Node", "node-2", "NodeNotReady", "Node node-2 status is now: NodeNotReady", 20)]
    amended = with_related(diagnosis, state, down)
    assert amended is not None and amended.summary.endswith("; node `node-2` is NotReady")
    back = [*down, about("Node", "node-2", "NodeReady", "Node node-2 status is now: NodeReady", 40)]
    assert with_related(diagnosis, state, back) == diagnosis
    other = [about("Node", "node-3", "NodeNotReady", "", 20)]
    assert with_related(diagnosis, state, other) == diagnosis
    pressure = [about("Node", "node-2", "NodeHasDiskPressure", "", 20)]
    amended = with_related(diagnosis, state, pressure)
    assert amended is not None and "node `node-2` has disk pressure" in amended.summary
    assert with_related(None, state, down) is None, "no diagnosis is made up from a node's Events"
