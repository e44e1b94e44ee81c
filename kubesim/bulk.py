"""Settled Pods in bulk, for benchmarks: a ReplicaSet's replicas stored as they stand once started.

A workload with ``settled: true`` gets its Pods without the scheduler, the kubelet or Events: one
prototype Pod of the same spec and behaviour is played on a private manual clock by the real scheduler
and kubelet (so its status is exactly what they would report ``settle_seconds`` after creation) and each
replica is a copy of it with its own name, uid, node, Pod IP and container IDs. Copies share every part
that does not differ between replicas (the spec per node, labels, owner references, managed fields, the
conditions), so 150,000 Pods of ~4.8 KB of JSON fit in a fraction of the memory of as many separate
objects, and are created at some 10,000 a second instead of some 300. Nothing runs for them afterwards:
their status stays as stored until they are deleted (a deleted one is replaced through the normal path,
by the ReplicaSet's controller).
"""

from __future__ import annotations

import gc
from typing import TYPE_CHECKING, Any

import orjson

from .clock import ManualClock
from .core import Cluster
from .kubelet import Kubelet
from .objects import owner_ref
from .scheduler import Scheduler

if TYPE_CHECKING:
    from .controllers import Owner

SETTLE_SECONDS = 120.0  # how long the prototype runs before its state is copied


_prototypes: dict[tuple[str, str, float], dict] = {}
_node_specs: dict[int, dict[int, tuple[dict, dict]]] = {}  # id(prototype) -> node index -> parts


def prototype_pod(sim: Cluster, owner: Owner, settle_seconds: float = SETTLE_SECONDS) -> dict:
    """One Pod of ``owner``'s template played by the real scheduler and kubelet on a one-node manual
    clock, ``settle_seconds`` after its creation at ``sim``'s current time (its whole second; no Events).
    Played once per spec, behaviour and second: ReplicaSets of the same template share it."""
    at = float(int(sim.clock.now()))  # the API's times are whole seconds: one play per second at most
    key = (
        orjson.dumps(owner.template["spec"], option=orjson.OPT_SORT_KEYS).decode(),
        repr(owner.w.behavior),
        at + settle_seconds,
    )
    if key not in _prototypes:
        if len(_prototypes) >= 64:
            _prototypes.clear()
            _node_specs.clear()
        _prototypes[key] = _play(sim, owner, at, settle_seconds)
    return _prototypes[key]


def _play(sim: Cluster, owner: Owner, at: float, settle_seconds: float) -> dict:
    md = owner.obj["metadata"]
    proto = Cluster(clock=ManualClock(at), nodes=1, record_events=False, seed=sim.rng.randrange(2**32))
    proto.kubelet = Kubelet(proto)
    Scheduler(proto)
    proto.setup_nodes()
    manifest = {
        "metadata": {
            "namespace": md["namespace"],
            "generateName": md["name"] + "-",
            "labels": dict(owner.template["metadata"].get("labels") or {}),
        },
        "spec": owner.template["spec"],
    }
    proto.create_pod(manifest, owner.w.behavior)
    proto.advance(settle_seconds)
    pod = next(iter(proto.store.objects["pods"].values()))
    proto.truth.close()
    return pod


def settle_replicas(sim: Cluster, owner: Owner, count: int) -> None:
    """Store ``count`` settled Pods of ``owner`` (a ReplicaSet, see the module docstring)."""
    if count <= 0:
        return
    proto = prototype_pod(sim, owner)
    rs_md = owner.obj["metadata"]
    ns = rs_md["namespace"]
    labels = {**owner.template["metadata"].get("labels", {})}
    base_md = {
        "namespace": ns,
        "labels": labels,
        "ownerReferences": [owner_ref(owner.obj)],
        "generateName": rs_md["name"] + "-",
    }
    if owner.template["metadata"].get("annotations"):
        base_md["annotations"] = dict(owner.template["metadata"]["annotations"])
    managed = proto["metadata"].get("managedFields")
    created = proto["metadata"]["creationTimestamp"]
    nodes = list(sim.nodes.values())
    # The prototype's spec and host fields per node, built for the nodes Pods land on, shared by every
    # ReplicaSet of the same prototype.
    per_node = _node_specs.setdefault(id(proto), {})
    status = proto["status"]
    enabled = gc.isenabled()
    gc.disable()  # some 30 new containers per Pod: no collection would find garbage among them
    try:
        for _ in range(count):
            name = rs_md["name"] + "-" + sim.ids.suffix()
            while sim.store.get("pods", ns, name) is not None:
                name = rs_md["name"] + "-" + sim.ids.suffix()
            k = sim.rng.randrange(len(nodes))
            if k not in per_node:
                per_node[k] = _node_parts(proto, nodes[k])
            node, (spec, host_ips) = nodes[k], per_node[k]
            pod_ip = node.allocate_ip()
            md: dict[str, Any] = {**base_md, "name": name, "uid": sim.ids.uid(), "creationTimestamp": created}
            if managed is not None:
                md["managedFields"] = managed
            pod = {
                "metadata": md,
                "spec": spec,
                "kind": "Pod",
                "apiVersion": "v1",
                "status": _status(sim, status, host_ips, pod_ip),
            }
            stored = sim.store.create("pods", pod)
            owner.pods.add((ns, stored["metadata"]["name"]))
            node.pods += 1
    finally:
        if enabled:
            gc.enable()


def _node_parts(proto: dict, node: Any) -> tuple[dict, dict]:
    """The prototype's spec on ``node`` and the status fields that name the node (shared by its Pods)."""
    spec = {**proto["spec"], "nodeName": node.name}
    return spec, {"hostIP": node.ip, "hostIPs": [{"ip": node.ip}]}


def _status(sim: Cluster, proto: dict, host_ips: dict, pod_ip: str) -> dict:
    """The prototype's status with this Pod's node, Pod IP and container IDs of its own."""
    status = {**proto, **host_ips}
    if "podIP" in proto:
        status["podIP"] = pod_ip
        status["podIPs"] = [{"ip": pod_ip}]
    ids: dict[str, str] = {}
    for key in ("initContainerStatuses", "containerStatuses", "ephemeralContainerStatuses"):
        if key in proto:
            status[key] = [_container_status(sim, st, ids) for st in proto[key]]
    return status


def _container_status(sim: Cluster, st: dict, ids: dict[str, str]) -> dict:
    """A copy of a container status whose container IDs (its own, in ``state`` and ``lastState``) are new;
    the parts without one are shared."""
    out = dict(st)
    if st.get("containerID"):
        out["containerID"] = _new_id(sim, st["containerID"], ids)
    for key in ("state", "lastState"):
        state = st.get(key) or {}
        for kind, detail in state.items():
            if isinstance(detail, dict) and detail.get("containerID"):
                new = {**detail, "containerID": _new_id(sim, detail["containerID"], ids)}
                out[key] = {**state, kind: new}
    return out


def _new_id(sim: Cluster, old: str, ids: dict[str, str]) -> str:
    if old not in ids:
        ids[old] = sim.ids.container_id()
    return ids[old]
