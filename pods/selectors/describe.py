"""The `workload` part of a Pod document: the Pod's controller and its sibling Pods, from stored Pods.

Siblings are the stored Pods with the same controller (a Job's other Pods), or for a Deployment's Pod the
Deployment's Pods of every ReplicaSet (each with its ReplicaSet). Which ReplicaSet is the newest rollout
is decided here from the stored Pods (the ReplicaSet of the Deployment's most recently created Pod that
is not deleted, `decided_by: "pods"`); `pods.kube.workloads.with_live_workload` replaces it with the
revisions the API states, and adds a Job's backoffLimit and failed count.
"""

from __future__ import annotations

from typing import Any

from pods.models import Pod
from pods.timeline import PodState, format_time
from pods.timeline.codec import decode_state

SIBLINGS_READ = 200  # the newest Pods of the workload looked at
SIBLINGS_SHOWN = 20


def _sibling(pod: Pod, state: PodState) -> dict[str, Any]:
    return {
        "uid": pod.uid,
        "name": pod.name,
        "status": pod.status,
        "phase": pod.phase,
        "created_at": format_time(pod.created_at),
        "deleted_at": format_time(pod.deleted_at),
        "controller": state.controller.name if state.controller else "",
    }


def pod_workload(pod: Pod, state: PodState) -> dict[str, Any] | None:
    """The document's `workload`: None for a Pod without a controller."""
    controller = state.controller
    if controller is None:
        return None
    rows = (
        Pod.objects.filter(
            cluster_id=pod.cluster_id,
            namespace=pod.namespace,
            owner_kind=pod.owner_kind,
            owner_name=pod.owner_name,
            seen=True,
        )
        .exclude(pk=pod.pk)
        .order_by("-created_at", "-id")[:SIBLINGS_READ]
    )
    by_deployment = state.owner is not None and state.owner.kind == "Deployment"
    siblings = []
    for row in rows:
        other = decode_state(row.state)
        same = other.controller is not None and other.controller.kind == controller.kind
        if same and (by_deployment or other.controller == controller):
            siblings.append((row, other))
    workload: dict[str, Any] = {
        "controller": {"kind": controller.kind, "name": controller.name},
        "pod_template_hash": state.labels.get("pod-template-hash", ""),
        "sibling_count": len(siblings),
        "siblings": [_sibling(row, other) for row, other in siblings[:SIBLINGS_SHOWN]],
        "job": None,
        "rollout": None,
    }
    if controller.kind == "Job":
        failed = sum(1 for row, _ in siblings if row.phase == "Failed") + (pod.phase == "Failed")
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


def _rollout(pod: Pod, state: PodState, siblings: list[tuple[Pod, PodState]]) -> dict[str, Any]:
    """Whether the Pod's ReplicaSet is the Deployment's newest, as the stored Pods show it."""
    assert state.controller is not None and state.owner is not None
    alive = [(row, other) for row, other in [(pod, state), *siblings] if row.deleted_at is None]
    newest = max(alive, key=lambda pair: (pair[0].created_at is not None, pair[0].created_at), default=None)
    newest_rs = newest[1].controller.name if newest and newest[1].controller else ""
    replica_sets = sorted({other.controller.name for _, other in siblings if other.controller})
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
