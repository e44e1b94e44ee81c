"""The scenario format: :class:`Scenario` and the parsers of scenario dicts and of the behaviour
annotation of Pods created through the API. The format is documented in ``kubesim/README.md``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from ..behavior import INF, ContainerBehavior, PodBehavior
from ..controllers import WorkloadSpec
from ..core import Cluster
from ..kubelet import KUBELET_CONFIG_KEYS, configure_node

WORKLOAD_OPTIONS = (  # WorkloadSpec fields a scenario may set as they are
    "replicas",
    "start_after",
    "rollout_every",
    "delete_after",
    "recreate_every",
    "schedule_every",
    "backoff_limit",
    "ttl_after_finished",
    "create_failure",
    "settled",
)
WORKLOAD_KEYS = {
    "kind",
    "name",
    "namespace",
    "labels",
    "restartPolicy",
    "activeDeadlineSeconds",
    "terminationGracePeriodSeconds",
    "initContainers",
    "containers",
    "pod",
    *WORKLOAD_OPTIONS,
}
CONTAINER_KEYS = {
    "name",
    "image",
    "sidecar",
    "startupProbe",
    "readinessProbe",
    "resources",
    "behavior",
    "imagePullPolicy",
    "command",
    "restartPolicy",  # container-level (KEP-5307); on an init container, Always makes a sidecar
    "restartPolicyRules",
    "lifecycle",  # e.g. {stopSignal: SIGUSR1} (KEP-4960)
}
RULE_ACTIONS = {"Restart", "RestartAllContainers"}
POD_KEYS = {
    "unschedulable_for",
    "mount_failure",
    "sandbox_recreate_after",
    "delete_after_finish",
    "sandbox_failure",
}
SPEC_POD_KEYS = {"pvc", "node_name"}  # pod keys that shape the Pod spec rather than its behaviour


@dataclass
class Scenario:
    name: str
    namespaces: list[str] = field(default_factory=list)
    workloads: list[WorkloadSpec] = field(default_factory=list)
    drivers: list[Callable[[Cluster], None]] = field(default_factory=list)
    controller_events: bool = False  #: controllers emit their Normal Events (ScalingReplicaSet …)
    pvcs: list[dict] = field(default_factory=list)  #: PersistentVolumeClaims (see VolumeClaims)
    node_problems: list[dict] = field(default_factory=list)  #: {"node", "problem", "after"}
    kubelet: dict = field(default_factory=dict)  #: kubelet configuration of the nodes (configure_node)

    def setup(self, sim: Cluster) -> None:
        """Create namespaces, claims, workloads (delayed ones via the clock); break nodes; run drivers."""
        if self.controller_events:
            sim.controller_events = True
        if self.kubelet:
            names = self.kubelet.get("nodes")
            config = {k: v for k, v in self.kubelet.items() if k != "nodes"}
            for node in sim.nodes.values():
                if names is None or node.name in names:
                    configure_node(node, config)
        for ns in self.namespaces:
            sim.ensure_namespace(ns)
        for claim in self.pvcs:
            sim.volumes.create(claim)
        for np in self.node_problems:
            sim.clock.call_later(
                float(np.get("after", 0)), sim.node_lifecycle.break_node, np["node"], np["problem"]
            )
        for w in self.workloads:
            sim.ensure_namespace(w.namespace)
            if w.start_after > 0:
                sim.clock.call_later(w.start_after, sim.controllers.create, w)
            else:
                sim.controllers.create(w)
        for driver in self.drivers:
            driver(sim)


def _probe() -> dict:
    return {"exec": {"command": ["/bin/true"]}, "periodSeconds": 1, "failureThreshold": 30}


def _restart_fields(c: dict, spec: dict) -> None:
    """Container-level ``restartPolicy`` and ``restartPolicyRules`` (KEP-5307), validated as the API
    server does."""
    if c.get("restartPolicy"):
        if c["restartPolicy"] not in ("Always", "OnFailure", "Never"):
            raise ValueError(f"container {c['name']!r}: bad restartPolicy {c['restartPolicy']!r}")
        spec["restartPolicy"] = c["restartPolicy"]
    if c.get("restartPolicyRules"):
        if not c.get("restartPolicy"):  # as the API server's validation says
            raise ValueError(f"container {c['name']!r}: restartPolicyRules needs a container restartPolicy")
        for rule in c["restartPolicyRules"]:
            ec = rule.get("exitCodes") or {}
            if rule.get("action") not in RULE_ACTIONS or ec.get("operator") not in ("In", "NotIn"):
                raise ValueError(f"container {c['name']!r}: bad restart rule {rule!r}")
        spec["restartPolicyRules"] = [dict(r) for r in c["restartPolicyRules"]]


def _container(c: dict, kind: str) -> tuple[dict, ContainerBehavior]:
    unknown = set(c) - CONTAINER_KEYS
    if unknown:
        raise ValueError(f"container {c.get('name')!r}: unknown keys {sorted(unknown)}")
    spec: dict = {"name": c["name"], "image": c.get("image", "busybox:1.36")}
    if c.get("command"):
        spec["command"] = list(c["command"])
    if c.get("imagePullPolicy"):
        spec["imagePullPolicy"] = c["imagePullPolicy"]
    if c.get("resources"):
        spec["resources"] = c["resources"]
    _restart_fields(c, spec)
    if c.get("lifecycle"):
        spec["lifecycle"] = dict(c["lifecycle"])
    behavior = ContainerBehavior.from_dict(
        c.get("behavior"), default_duration=1.0 if kind == "init" else None
    )
    if kind == "sidecar":
        spec["restartPolicy"] = "Always"
    if c.get("startupProbe") or (kind != "init" and behavior.startup_delay > 0):
        spec["startupProbe"] = c["startupProbe"] if isinstance(c.get("startupProbe"), dict) else _probe()
    if c.get("readinessProbe") or (kind != "init" and behavior.ready_delay > 0):
        spec["readinessProbe"] = (
            c["readinessProbe"] if isinstance(c.get("readinessProbe"), dict) else _probe()
        )
    if behavior.missing_configmap:
        spec["envFrom"] = [{"configMapRef": {"name": behavior.missing_configmap}}]
    return spec, behavior


def _pod_behavior(pod: dict | None, containers: dict) -> PodBehavior:
    pod = {k: v for k, v in (pod or {}).items() if k not in SPEC_POD_KEYS}
    unknown = set(pod) - POD_KEYS
    if unknown:
        raise ValueError(f"unknown pod behavior keys {sorted(unknown)}")
    if pod.get("unschedulable_for") in ("forever", "inf"):
        pod["unschedulable_for"] = INF
    elif pod.get("unschedulable_for") is None:
        pod.pop("unschedulable_for", None)
    return PodBehavior(containers=containers, **pod)


def parse_workload(d: dict) -> WorkloadSpec:
    unknown = set(d) - WORKLOAD_KEYS
    if unknown:
        raise ValueError(f"workload {d.get('name')!r}: unknown keys {sorted(unknown)}")
    behaviors: dict[str, ContainerBehavior] = {}
    spec: dict = {}
    inits = []
    for c in d.get("initContainers") or []:
        sidecar = c.get("sidecar") or c.get("restartPolicy") == "Always"
        cs, b = _container(c, "sidecar" if sidecar else "init")
        inits.append(cs)
        behaviors[cs["name"]] = b
    if inits:
        spec["initContainers"] = inits
    apps = []
    for c in d.get("containers") or [{"name": "app", "image": "nginx:1.27"}]:
        cs, b = _container(c, "app")
        apps.append(cs)
        behaviors[cs["name"]] = b
    spec["containers"] = apps
    for key in ("restartPolicy", "activeDeadlineSeconds", "terminationGracePeriodSeconds"):
        if key in d:
            spec[key] = d[key]
    pod_b = _pod_behavior(d.get("pod"), behaviors)
    if pod_b.mount_failure:
        vol = pod_b.mount_failure.get("volume", "config")
        spec["volumes"] = [
            {"name": vol, "configMap": {"name": pod_b.mount_failure.get("configmap", "app-config")}}
        ]
        apps[0]["volumeMounts"] = [{"name": vol, "mountPath": "/etc/config"}]
    pod_extra = d.get("pod") or {}
    if pod_extra.get("pvc"):
        spec.setdefault("volumes", []).append(
            {"name": "data", "persistentVolumeClaim": {"claimName": pod_extra["pvc"]}}
        )
        apps[0].setdefault("volumeMounts", []).append({"name": "data", "mountPath": "/data"})
    if pod_extra.get("node_name"):
        spec["nodeName"] = pod_extra["node_name"]
    if any((c.get("lifecycle") or {}).get("stopSignal") for c in inits + apps):
        spec["os"] = {"name": "linux"}  # stopSignal is only allowed with spec.os.name
    if pod_b.unschedulable_for:
        apps[0].setdefault("resources", {"requests": {"cpu": "2", "memory": "1Gi"}})
    kw = {k: d[k] for k in WORKLOAD_OPTIONS if k in d}
    return WorkloadSpec(
        kind=d.get("kind", "Deployment"),
        name=d["name"],
        namespace=d.get("namespace", "default"),
        labels=dict(d.get("labels") or {}),
        spec=spec,
        behavior=pod_b,
        **kw,
    )


def parse_pod_behavior(data: dict, spec: dict) -> PodBehavior:
    """Behaviour for a Pod created through the API (annotation ``kubesim.io/behavior``)::

    {"pod": {...pod keys...}, "containers": {"<name>": {...container behavior...}}}
    """
    per = data.get("containers") or {}
    behaviors = {}
    for c in spec.get("initContainers") or []:
        kind = "sidecar" if c.get("restartPolicy") == "Always" else "init"
        behaviors[c["name"]] = ContainerBehavior.from_dict(
            per.get(c["name"]), default_duration=1.0 if kind == "init" else None
        )
    for c in spec.get("containers") or []:
        behaviors[c["name"]] = ContainerBehavior.from_dict(per.get(c["name"]), default_duration=None)
    return _pod_behavior(data.get("pod"), behaviors)


def scenario_from_dict(data: dict, name: str | None = None) -> Scenario:
    unknown = set(data) - {
        "name",
        "namespaces",
        "workloads",
        "description",
        "controller_events",
        "pvcs",
        "node_problems",
        "kubelet",
    }
    if unknown:
        raise ValueError(f"unknown scenario keys {sorted(unknown)}")
    return Scenario(
        name=data.get("name") or name or "custom",
        namespaces=list(data.get("namespaces") or []),
        workloads=[parse_workload(w) for w in data.get("workloads") or []],
        controller_events=bool(data.get("controller_events")),
        pvcs=[dict(c) for c in data.get("pvcs") or []],
        node_problems=[dict(n) for n in data.get("node_problems") or []],
        kubelet=_kubelet_config(data.get("kubelet")),
    )


def _kubelet_config(data: dict | None) -> dict:
    data = dict(data or {})
    unknown = set(data) - KUBELET_CONFIG_KEYS
    if unknown:
        raise ValueError(f"unknown kubelet config keys {sorted(unknown)}")
    return data
