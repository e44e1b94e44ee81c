"""The `workload` part of a Pod document: the Pod's controller and its sibling Pods, from stored Pods.

Siblings are the stored Pods with the same controller (a Job's other Pods), or for a Deployment's Pod the
Deployment's Pods of every ReplicaSet (each with its ReplicaSet). Which ReplicaSet is the newest rollout
is decided here from the stored Pods (the ReplicaSet of the Deployment's most recently created Pod that
is not deleted, `decided_by: "pods"`); `pods.kube.workloads.with_live_workload` replaces it with the
revisions the API states, and adds a Job's backoffLimit and failed count.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

from pods.models import Pod
from pods.timeline import PodState, format_time

SIBLINGS_READ = 200  # the newest Pods of the workload looked at
SIBLINGS_SHOWN = 20


class Sibling(NamedTuple):
    """The columns of a sibling Pod that the document shows (read as a tuple, not a model)."""

    uid: str
    name: str
    status: str
    phase: str
    created_at: datetime | None
    deleted_at: datetime | None
    controller_kind: str
    controller_name: str


def _sibling(pod: Sibling) -> dict[str, Any]:
    return {
        "uid": pod.uid,
        "name": pod.name,
        "status": pod.status,
        "phase": pod.phase,
        "created_at": format_time(pod.created_at),
        "deleted_at": format_time(pod.deleted_at),
        "controller": pod.controller_name,
    }


def pod_workload(pod: Pod, state: PodState) -> dict[str, Any] | None:
    """The document's `workload`: None for a Pod without a controller.

    Siblings are told apart by the projected controller columns (`Pod.controller_kind` / `_name`), so
    no sibling's state is decoded."""
    controller = state.controller
    if controller is None:
        return None
    by_deployment = state.owner is not None and state.owner.kind == "Deployment"
    rows = Pod.objects.filter(
        cluster_id=pod.cluster_id,
        namespace=pod.namespace,
        owner_kind=pod.owner_kind,
        owner_name=pod.owner_name,
        seen=True,
    ).exclude(pk=pod.pk)
    if not by_deployment:
        rows = rows.filter(controller_name=controller.name)
    newest = rows.order_by("-created_at", "-id").values_list(*Sibling._fields)[:SIBLINGS_READ]
    siblings = [
        row
        for row in map(Sibling._make, newest)
        # same kind of controller (a Deployment's ReplicaSets), read from the row, not a filter, so
        # that the scan stays in the workload's index order
        if row.controller_kind == controller.kind
    ]
    workload: dict[str, Any] = {
        "controller": {"kind": controller.kind, "name": controller.name},
        "pod_template_hash": state.labels.get("pod-template-hash", ""),
        "sibling_count": len(siblings),
        "siblings": [_sibling(row) for row in siblings[:SIBLINGS_SHOWN]],
        "job": None,
        "rollout": None,
    }
    if controller.kind == "Job":
        failed = sum(1 for row in siblings if row.phase == "Failed") + (pod.phase == "Failed")
        workload["job"] = {
            "name": controller.name,
            "failed_pods_stored": failed,
            "backoff_limit": None,
            "completions": None,
            "parallelism": None,
            "active": None,
            "succeeded": None,
            "failed": None,
            "conditions": [],
            "source": "none",
            "reason": "",
        }
    elif by_deployment and controller.kind == "ReplicaSet":
        workload["rollout"] = _rollout(pod, state, siblings)
    return workload


def _rollout(pod: Pod, state: PodState, siblings: list[Sibling]) -> dict[str, Any]:
    """Whether the Pod's ReplicaSet is the Deployment's newest, as the stored Pods show it."""
    assert state.controller is not None and state.owner is not None
    alive = [(row.created_at, row.controller_name) for row in siblings if row.deleted_at is None]
    if pod.deleted_at is None:
        alive.append((pod.created_at, state.controller.name))
    newest = max(alive, key=lambda pair: (pair[0] is not None, pair[0]), default=None)
    newest_rs = newest[1] if newest else ""
    replica_sets = sorted({row.controller_name for row in siblings if row.controller_name})
    return {
        "replica_set": state.controller.name,
        "deployment": state.owner.name,
        "newest": (newest_rs == state.controller.name) if newest_rs else None,
        "newest_replica_set": newest_rs,
        "decided_by": "pods" if newest_rs else "",
        "other_replica_sets": [name for name in replica_sets if name != state.controller.name][:16],
        "revision": "",
        "deployment_revision": "",
        "source": "none",
        "reason": "",
    }


__all__ = ["pod_workload"]
