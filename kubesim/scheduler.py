"""The scheduler: binds pending Pods to nodes, or reports them unschedulable and retries.

Binding works like ``pods/binding`` on a real server: one update sets ``spec.nodeName`` and a
``PodScheduled=True`` condition, then the scheduler emits an events.k8s.io ``Scheduled`` event
(action ``Binding``). An unschedulable Pod gets ``PodScheduled=False`` reason ``Unschedulable``
plus a ``FailedScheduling`` Warning (repeats become a ``series``), retried with back-off
1, 2, 4 … 15 s. A Pod is unschedulable while its behaviour says so or when its CPU requests fit
no node.
"""

from __future__ import annotations

import math

from .core import Cluster
from .objects import parse_cpu
from .store import Change
from .util import parse_rfc3339, rfc3339


class Scheduler:
    def __init__(self, sim: Cluster, delay: float = 0.05) -> None:
        self.sim = sim
        self.delay = delay
        self.attempts: dict[str, int] = {}
        self._rr = 0
        sim.store.subscribe("pods", self._on_change)

    def _on_change(self, change: Change) -> None:
        if change.type == "ADDED" and change.obj["status"].get("startTime"):
            return  # stored as it stands once started (kubesim.bulk): neither scheduler nor kubelet runs it
        if change.type == "ADDED" and not change.obj["spec"].get("nodeName"):
            md = change.obj["metadata"]
            self.sim.clock.call_later(self.delay, self.try_schedule, md["namespace"], md["name"], md["uid"])
        elif change.type == "ADDED" and change.obj["spec"]["nodeName"] in self.sim.nodes:
            # created with spec.nodeName: no scheduler; the kubelet adds PodScheduled=True itself
            md = change.obj["metadata"]
            self.sim.clock.call_later(self.delay, self._direct, md["namespace"], md["name"], md["uid"])
        elif change.type == "DELETED":
            self.attempts.pop(change.obj["metadata"]["uid"], None)

    def _direct(self, ns: str, name: str, uid: str) -> None:
        pod = self.sim.store.get("pods", ns, name)
        if pod is None or pod["metadata"]["uid"] != uid:
            return
        cond = {
            "type": "PodScheduled",
            "status": "True",
            "lastProbeTime": None,
            "lastTransitionTime": rfc3339(self.sim.clock.now()),
        }
        pod = {**pod, "status": {**pod["status"], "conditions": [cond]}}
        self.sim.kubelet.admit(pod, self.sim.nodes[pod["spec"]["nodeName"]], self.sim.behavior_of(uid))

    def _volume_problem(self, pod: dict) -> str | None:
        """The VolumeBinding plugin's reason when a claim of the Pod is missing or unbound (Immediate)."""
        volumes = getattr(self.sim, "volumes", None)
        for v in pod["spec"].get("volumes") or []:
            claim = (v.get("persistentVolumeClaim") or {}).get("claimName")
            if not claim:
                continue
            if self.sim.store.get("persistentvolumeclaims", pod["metadata"]["namespace"], claim) is None:
                return f'persistentvolumeclaim "{claim}" not found'
            if volumes is not None and volumes.bound(pod["metadata"]["namespace"], claim) is False:
                return "pod has unbound immediate PersistentVolumeClaims"
        return None

    def _unschedulable_message(self, pod: dict, problem: str | None = None) -> str:
        n = len(self.sim.nodes)
        if problem:
            return (
                f"0/{n} nodes are available: {problem}. preemption: 0/{n} nodes are available: "
                f"{n} Preemption is not helpful for scheduling."
            )
        return (
            f"0/{n} nodes are available: {n} Insufficient cpu. preemption: 0/{n} nodes are available: "
            f"{n} No preemption victims found for incoming pod."
        )

    def _fits(self, pod: dict) -> bool:
        cpu = 0.0
        for c in pod["spec"].get("containers") or []:
            cpu += parse_cpu(((c.get("resources") or {}).get("requests") or {}).get("cpu"))
        return cpu <= self.sim.node_cpu

    def try_schedule(self, ns: str, name: str, uid: str) -> None:
        sim = self.sim
        pod = sim.store.get("pods", ns, name)
        if (
            pod is None
            or pod["metadata"]["uid"] != uid
            or pod["spec"].get("nodeName")
            or pod["metadata"].get("deletionTimestamp")
        ):
            return
        now = sim.clock.now()
        behavior = sim.behavior_of(uid)
        created = pod["metadata"]["creationTimestamp"]
        blocked = behavior.unschedulable_for and now < parse_rfc3339(created) + behavior.unschedulable_for
        problem = self._volume_problem(pod)
        if blocked or problem or not self._fits(pod):
            self._unschedulable(pod, problem)
            return
        # nodes with a NoSchedule taint (unreachable, disk-pressure) take no new Pods
        nodes = sorted(
            (n for n in sim.nodes.values() if n.ready and not n.disk_pressure),
            key=lambda n: (n.pods, n.index),
        )
        if not nodes:
            self._unschedulable(pod, f"{len(sim.nodes)} node(s) had untolerated taint")
            return
        node = nodes[0] if len(nodes) < 2 or nodes[0].pods < nodes[1].pods else nodes[self._rr % len(nodes)]
        self._rr += 1
        conds = [c for c in pod["status"].get("conditions") or [] if c["type"] != "PodScheduled"]
        conds.append(
            {
                "type": "PodScheduled",
                "status": "True",
                "lastProbeTime": None,
                "lastTransitionTime": rfc3339(now),
            }
        )
        bound = sim.store.update(
            "pods",
            {
                **pod,
                "spec": {**pod["spec"], "nodeName": node.name},
                "status": {**pod["status"], "conditions": conds},
            },
        )
        sim.events.scheduler(
            bound, "Normal", "Scheduled", f"Successfully assigned {ns}/{name} to {node.name}", "Binding"
        )
        self.attempts.pop(uid, None)
        sim.kubelet.admit(bound, node, behavior)

    def _unschedulable(self, pod: dict, problem: str | None = None) -> None:
        sim = self.sim
        md = pod["metadata"]
        msg = self._unschedulable_message(pod, problem)
        conds = pod["status"].get("conditions") or []
        if not any(c["type"] == "PodScheduled" and c["status"] == "False" for c in conds):
            cond = {
                "type": "PodScheduled",
                "status": "False",
                "lastProbeTime": None,
                "lastTransitionTime": rfc3339(sim.clock.now()),
                "reason": "Unschedulable",
                "message": msg,
            }
            pod = sim.store.update("pods", {**pod, "status": {**pod["status"], "conditions": [cond]}})
        sim.events.scheduler(pod, "Warning", "FailedScheduling", msg, "Scheduling")
        n = self.attempts.get(md["uid"], 0)
        self.attempts[md["uid"]] = n + 1
        retry = min(math.pow(2, n), 15.0)
        sim.clock.call_later(retry, self.try_schedule, md["namespace"], md["name"], md["uid"])
