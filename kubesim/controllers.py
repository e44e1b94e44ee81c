"""Workload controllers: Deployment -> ReplicaSet -> Pods, StatefulSet, Job, CronJob -> Job.

They produce the objects and owner chains of docs/kubernetes.md §7: ``<rs>-<5 chars>`` Pods with
``pod-template-hash`` labels, ``<sts>-<ordinal>`` Pods recreated with new uids, Job Pods with
``batch.kubernetes.io/job-name`` / ``controller-uid`` labels, CronJob Jobs named
``<cronjob>-<scheduled unix minutes>``. Every Pod has one ``controller: true`` ownerReference.
Controllers react to Pod changes through :meth:`Store.subscribe` (replacements, Job completion).
"""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Callable
from dataclasses import dataclass, field

import orjson

from .behavior import PodBehavior
from .core import Cluster
from .objects import new_meta, owner_ref, parse_cpu
from .store import Change, NotFound
from .util import parse_rfc3339, rfc3339, stable_hash

TERMINAL = ("Succeeded", "Failed")
COMPONENT = {
    "ReplicaSet": "replicaset-controller",
    "Job": "job-controller",
    "StatefulSet": "statefulset-controller",
}
CREATE_RETRY_BASE, CREATE_RETRY_MAX = 0.005, 1000.0  # client-go DefaultControllerRateLimiter (per item)


def create_error(kind: str, pod: str, ns: str, container: str = "app", cpu: str = "1") -> str:
    """The API server's answer to a refused Pod create, as controllers quote it."""
    if kind == "quota":
        return (
            f'pods "{pod}" is forbidden: exceeded quota: compute, requested: cpu={cpu}, used: cpu=8, '
            "limited: cpu=8"
        )
    if kind == "webhook":
        return (
            'admission webhook "validate.policy.example.com" denied the request: image registry '
            '"docker.io" is not allowed'
        )
    if kind == "pod-security":
        return (
            f'pods "{pod}" is forbidden: violates PodSecurity "restricted:latest": allowPrivilegeEscalation '
            f'!= false (container "{container}" must set securityContext.allowPrivilegeEscalation=false), '
            f'unrestricted capabilities (container "{container}" must set '
            'securityContext.capabilities.drop=["ALL"]), runAsNonRoot != true (pod or container '
            f'"{container}" must set securityContext.runAsNonRoot=true), seccompProfile (pod or container '
            f'"{container}" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")'
        )
    if kind == "serviceaccount":
        return (
            f'pods "{pod}" is forbidden: error looking up service account {ns}/deployer: '
            'serviceaccount "deployer" not found'
        )
    raise ValueError(f"unknown create_failure kind {kind!r}")


@dataclass
class WorkloadSpec:
    """A workload as scenarios describe it (see kubesim/README.md for the file format)."""

    kind: str
    name: str
    namespace: str = "default"
    replicas: int = 1
    labels: dict = field(default_factory=dict)
    spec: dict = field(default_factory=dict)  #: Pod spec (containers, initContainers, …)
    behavior: PodBehavior = field(default_factory=PodBehavior)
    start_after: float = 0.0
    rollout_every: float | None = None  #: Deployment: rolling restart period
    delete_after: float | None = None  #: Pod: graceful delete this long after creation
    recreate_every: float | None = None  #: StatefulSet: delete ``<sts>-0`` periodically
    schedule_every: float = 300.0  #: CronJob period
    backoff_limit: int = 6  #: Job
    ttl_after_finished: float | None = None  #: Job: delete the Job and its Pods after this
    #: Pod creation is refused (``{"kind": quota|webhook|pod-security|serviceaccount,
    #: "resolve_after": s}``): FailedCreate Warning Events on the workload, retried with back-off
    create_failure: dict | None = None
    #: Deployment: the Pods are stored as they stand once started, without the scheduler, the kubelet or
    #: Events (kubesim.bulk: benchmarks of large clusters)
    settled: bool = False

    def template(self) -> dict:
        return {
            "metadata": {"labels": dict(self.labels or {"app": self.name})},
            "spec": copy.deepcopy(self.spec),
        }


@dataclass
class Owner:
    obj: dict
    w: WorkloadSpec
    template: dict
    active: bool = True
    failed: int = 0
    succeeded: int = 0
    done: bool = False
    rev: str = ""
    pods: set = field(default_factory=set)  # (ns, name) of live Pods
    missing: list = field(default_factory=list)  # (name, labels) of Pods whose creation failed
    create_failures: int = 0  # consecutive failed creations (the work queue's back-off)


class Controllers:
    def __init__(self, sim: Cluster) -> None:
        self.sim = sim
        self.owners: dict[str, Owner] = {}
        self.deployments: dict[tuple[str, str], dict] = {}
        sim.store.subscribe("pods", self._on_pod)
        #: stores a ReplicaSet's Pods as they stand once started (``settled`` workloads; the assembly sets
        #: it: kubesim.bulk.settle_replicas)
        self.settle: Callable[[Owner, int], None] = self._no_settling

    @staticmethod
    def _no_settling(owner: Owner, count: int) -> None:
        raise ValueError("settled workloads need kubesim.bulk (a KubeSim)")

    # ------------------------------------------------------------ helpers
    def _meta(
        self, name: str, ns: str, labels: dict, owner: dict | None = None, api_version: str = "apps/v1"
    ) -> dict:
        return new_meta(
            name,
            ns,
            self.sim.ids,
            self.sim.clock.now(),
            labels,
            owner_ref(owner) if owner else None,
            api_version=api_version,
        )

    def _event(self, obj: dict, type_: str, reason: str, message: str, component: str, combine=False) -> None:
        if self.sim.controller_events or type_ == "Warning":
            self.sim.events.record(obj, type_, reason, message, component=component, combine=combine)

    def _create_refused(self, owner: Owner) -> bool:
        cf = owner.w.create_failure
        if not cf:
            return False
        resolve = cf.get("resolve_after")
        created = parse_rfc3339(owner.obj["metadata"]["creationTimestamp"])
        return resolve is None or self.sim.clock.now() < created + float(resolve)

    def _fail_create(self, owner: Owner) -> None:
        """One failed create: the controller's FailedCreate Warning, then a retry with back-off."""
        name, _labels = owner.missing[0]
        kind = owner.obj["kind"]
        md = owner.obj["metadata"]
        pod_name = name or f"{md['name']}-{self.sim.ids.suffix()}"
        container = (owner.template["spec"].get("containers") or [{"name": "app"}])[0]["name"]
        cpu = sum(
            parse_cpu(((c.get("resources") or {}).get("requests") or {}).get("cpu"))
            for c in owner.template["spec"].get("containers") or []
        )
        cpu_text = f"{cpu:g}" if cpu >= 1 or cpu == 0 else f"{int(cpu * 1000)}m"
        err = create_error(owner.w.create_failure["kind"], pod_name, md["namespace"], container, cpu_text)
        if kind == "StatefulSet":
            msg = f"create Pod {pod_name} in StatefulSet {md['name']} failed error: {err}"
        else:
            msg = f"Error creating: {err}"
        self.sim.events.record(
            owner.obj, "Warning", "FailedCreate", msg, component=COMPONENT[kind], combine=True
        )
        if kind == "ReplicaSet":
            self._set_replica_failure(owner, err)
        delay = min(CREATE_RETRY_BASE * 2**owner.create_failures, CREATE_RETRY_MAX)
        owner.create_failures += 1
        self.sim.clock.call_later(delay, self._retry_create, owner)

    def _retry_create(self, owner: Owner) -> None:
        if not owner.active or not owner.missing:
            return
        if self._create_refused(owner):
            self._fail_create(owner)
            return
        owner.create_failures = 0
        missing, owner.missing = owner.missing, []
        if owner.obj["kind"] == "ReplicaSet":
            self._set_replica_failure(owner, None)
        for name, labels in missing:
            self._pod(owner, name, labels)

    def _set_replica_failure(self, owner: Owner, err: str | None) -> None:
        md = owner.obj["metadata"]
        current = self.sim.store.get("replicasets", md["namespace"], md["name"])
        if current is None:
            return
        status = {k: v for k, v in current["status"].items() if k != "conditions"}
        if err is not None:
            now = rfc3339(self.sim.clock.now())
            status["conditions"] = [
                {
                    "type": "ReplicaFailure",
                    "status": "True",
                    "lastTransitionTime": now,
                    "reason": "FailedCreate",
                    "message": err,
                }
            ]
        if status != current["status"]:
            owner.obj = self.sim.store.update("replicasets", {**current, "status": status})

    def _pod(self, owner: Owner, name: str | None, labels: dict) -> None:
        if owner.missing or self._create_refused(owner):
            owner.missing.append((name, labels))
            if len(owner.missing) == 1:
                self._fail_create(owner)
            return
        tmpl = owner.template
        md: dict = {
            "namespace": owner.obj["metadata"]["namespace"],
            "labels": {**tmpl["metadata"].get("labels", {}), **labels},
            "ownerReferences": [owner_ref(owner.obj)],
        }
        if tmpl["metadata"].get("annotations"):
            md["annotations"] = dict(tmpl["metadata"]["annotations"])
        if name:
            md["name"] = name
        else:
            md["generateName"] = owner.obj["metadata"]["name"] + "-"
        pod = self.sim.create_pod({"metadata": md, "spec": copy.deepcopy(tmpl["spec"])}, owner.w.behavior)
        owner.pods.add((pod["metadata"]["namespace"], pod["metadata"]["name"]))
        kind, pname = owner.obj["kind"], pod["metadata"]["name"]
        if kind == "StatefulSet":
            msg = f"create Pod {pname} in StatefulSet {owner.obj['metadata']['name']} successful"
        else:
            msg = f"Created pod: {pname}"
        self._event(owner.obj, "Normal", "SuccessfulCreate", msg, COMPONENT[kind])

    # ------------------------------------------------------------ creation
    def create(self, w: WorkloadSpec) -> None:
        if w.kind == "Deployment":
            self._deployment(w)
        elif w.kind == "StatefulSet":
            self._statefulset(w)
        elif w.kind == "Job":
            self._job(w, w.name, None)
        elif w.kind == "CronJob":
            self._cronjob(w)
        elif w.kind == "Pod":
            md = {"name": w.name, "namespace": w.namespace, "labels": dict(w.labels or {"app": w.name})}
            self.sim.create_pod({"metadata": md, "spec": copy.deepcopy(w.spec)}, w.behavior)
            if w.delete_after is not None:
                self.sim.clock.call_later(w.delete_after, self.sim.delete_pod, w.namespace, w.name)
        else:
            raise ValueError(f"unknown workload kind {w.kind!r}")

    def _deployment(self, w: WorkloadSpec) -> None:
        labels = dict(w.labels or {"app": w.name})
        dep = {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {
                **self._meta(w.name, w.namespace, labels),
                "generation": 1,
                "annotations": {"deployment.kubernetes.io/revision": "1"},
            },
            "spec": {
                "replicas": w.replicas,
                "selector": {"matchLabels": labels},
                "template": w.template(),
                "strategy": {
                    "type": "RollingUpdate",
                    "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"},
                },
                "revisionHistoryLimit": 10,
                "progressDeadlineSeconds": 600,
            },
            "status": {"observedGeneration": 1, "replicas": w.replicas},
        }
        dep = self.sim.store.create("deployments", dep)
        self.deployments[(w.namespace, w.name)] = {"obj": dep, "w": w, "revision": 1, "rs": None}
        self._new_replicaset(w.namespace, w.name)
        if w.rollout_every:
            self.sim.clock.call_later(w.rollout_every, self._periodic_rollout, w.namespace, w.name)

    def _new_replicaset(self, ns: str, name: str) -> None:
        d = self.deployments[(ns, name)]
        w, dep = d["w"], d["obj"]
        template = copy.deepcopy(dep["spec"]["template"])
        if d["revision"] > 1:
            template["metadata"].setdefault("annotations", {})["kubectl.kubernetes.io/restartedAt"] = rfc3339(
                self.sim.clock.now()
            )
        pth = stable_hash(orjson.dumps(template, option=orjson.OPT_SORT_KEYS).decode() + name, 10)
        template["metadata"]["labels"]["pod-template-hash"] = pth
        labels = dict(template["metadata"]["labels"])
        rs = {
            "apiVersion": "apps/v1",
            "kind": "ReplicaSet",
            "metadata": {
                **self._meta(f"{name}-{pth}", ns, labels, dep),
                "generation": 1,
                "annotations": {
                    "deployment.kubernetes.io/desired-replicas": str(w.replicas),
                    "deployment.kubernetes.io/max-replicas": str(w.replicas + 1),
                    "deployment.kubernetes.io/revision": str(d["revision"]),
                },
            },
            "spec": {"replicas": w.replicas, "selector": {"matchLabels": labels}, "template": template},
            "status": {"replicas": w.replicas, "observedGeneration": 1},
        }
        rs = self.sim.store.create("replicasets", rs)
        owner = Owner(rs, w, template)
        self.owners[rs["metadata"]["uid"]] = owner
        old = d["rs"]
        d["rs"] = owner
        self._event(
            d["obj"],
            "Normal",
            "ScalingReplicaSet",
            f"Scaled up replica set {rs['metadata']['name']} from 0 to {w.replicas}",
            "deployment-controller",
        )
        if w.settled:
            self.settle(owner, w.replicas)
        else:
            for _ in range(w.replicas):
                self._pod(owner, None, {"pod-template-hash": pth})
        if old is not None:
            old.active = False
            self._event(
                d["obj"],
                "Normal",
                "ScalingReplicaSet",
                f"Scaled down replica set {old.obj['metadata']['name']} from {old.w.replicas} to 0",
                "deployment-controller",
            )
            with contextlib.suppress(NotFound):
                self.sim.store.update("replicasets", {**old.obj, "spec": {**old.obj["spec"], "replicas": 0}})
            for i, (pns, pname) in enumerate(sorted(old.pods)):
                self.sim.clock.call_later(2.0 + 3.0 * i, self.sim.delete_pod, pns, pname)

    def rollout(self, ns: str, name: str) -> None:
        """``kubectl rollout restart``: a new ReplicaSet, then the old Pods deleted one by one."""
        d = self.deployments.get((ns, name))
        if d is None:
            raise NotFound(f'deployments.apps "{name}" not found')
        d["revision"] += 1
        dep = d["obj"]
        md = {
            **dep["metadata"],
            "generation": dep["metadata"]["generation"] + 1,
            "annotations": {"deployment.kubernetes.io/revision": str(d["revision"])},
        }
        d["obj"] = self.sim.store.update("deployments", {**dep, "metadata": md})
        self._new_replicaset(ns, name)

    def _periodic_rollout(self, ns: str, name: str) -> None:
        d = self.deployments.get((ns, name))
        if d is None:
            return
        self.rollout(ns, name)
        self.sim.clock.call_later(d["w"].rollout_every, self._periodic_rollout, ns, name)

    def _statefulset(self, w: WorkloadSpec) -> None:
        labels = dict(w.labels or {"app": w.name})
        template = w.template()
        rev = f"{w.name}-{stable_hash(orjson.dumps(template, option=orjson.OPT_SORT_KEYS).decode(), 10)}"
        sts = {
            "apiVersion": "apps/v1",
            "kind": "StatefulSet",
            "metadata": {**self._meta(w.name, w.namespace, labels), "generation": 1},
            "spec": {
                "replicas": w.replicas,
                "selector": {"matchLabels": labels},
                "template": template,
                "serviceName": w.name,
                "podManagementPolicy": "OrderedReady",
                "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"partition": 0}},
            },
            "status": {"replicas": w.replicas, "currentRevision": rev, "updateRevision": rev},
        }
        sts = self.sim.store.create("statefulsets", sts)
        owner = Owner(sts, w, template, rev=rev)
        self.owners[sts["metadata"]["uid"]] = owner
        self._sts_pod(owner, 0)
        if w.recreate_every:
            self.sim.clock.call_later(w.recreate_every, self._sts_recreate, owner)

    def _sts_pod(self, owner: Owner, i: int) -> None:
        name = f"{owner.w.name}-{i}"
        if self.sim.store.get("pods", owner.w.namespace, name) is not None or i >= owner.w.replicas:
            return
        self._pod(
            owner,
            name,
            {
                "controller-revision-hash": owner.rev,
                "statefulset.kubernetes.io/pod-name": name,
                "apps.kubernetes.io/pod-index": str(i),
            },
        )

    def _sts_recreate(self, owner: Owner) -> None:
        if owner.active:
            self.sim.delete_pod(owner.w.namespace, f"{owner.w.name}-0")
            self.sim.clock.call_later(owner.w.recreate_every, self._sts_recreate, owner)

    def _job(self, w: WorkloadSpec, name: str, cronjob: dict | None) -> Owner:
        uid = self.sim.ids.uid()
        sel = {"batch.kubernetes.io/controller-uid": uid}
        job_labels = {**sel, "batch.kubernetes.io/job-name": name, "controller-uid": uid, "job-name": name}
        template = w.template()
        template["metadata"]["labels"].update(job_labels)
        template["spec"].setdefault("restartPolicy", "Never")
        md = self._meta(name, w.namespace, dict(job_labels), cronjob, api_version="batch/v1")
        md["uid"] = uid
        spec = {
            "parallelism": 1,
            "completions": 1,
            "backoffLimit": w.backoff_limit,
            "completionMode": "NonIndexed",
            "selector": {"matchLabels": sel},
            "template": template,
            "suspend": False,
        }
        if w.ttl_after_finished is not None:
            spec["ttlSecondsAfterFinished"] = int(w.ttl_after_finished)
        job = {
            "apiVersion": "batch/v1",
            "kind": "Job",
            "metadata": {**md, "generation": 1},
            "spec": spec,
            "status": {"active": 1, "startTime": rfc3339(self.sim.clock.now())},
        }
        job = self.sim.store.create("jobs", job)
        owner = Owner(job, w, template)
        self.owners[uid] = owner
        self._pod(owner, None, {})
        return owner

    def _cronjob(self, w: WorkloadSpec) -> None:
        minutes = max(1, int(w.schedule_every // 60))
        cj = {
            "apiVersion": "batch/v1",
            "kind": "CronJob",
            "metadata": {
                **self._meta(w.name, w.namespace, dict(w.labels or {"app": w.name}), api_version="batch/v1"),
                "generation": 1,
            },
            "spec": {
                "schedule": f"*/{minutes} * * * *",
                "concurrencyPolicy": "Allow",
                "suspend": False,
                "successfulJobsHistoryLimit": 3,
                "failedJobsHistoryLimit": 1,
                "jobTemplate": {"spec": {"template": w.template(), "backoffLimit": w.backoff_limit}},
            },
            "status": {},
        }
        cj = self.sim.store.create("cronjobs", cj)
        self._cron_tick(cj["metadata"]["uid"], w, [])

    def _cron_tick(self, cj_uid: str, w: WorkloadSpec, history: list[Owner]) -> None:
        cj = self.sim.store.get("cronjobs", w.namespace, w.name)
        if cj is None or cj["metadata"]["uid"] != cj_uid:
            return
        now = self.sim.clock.now()
        job = self._job(w, f"{w.name}-{int(now // 60)}", cj)
        history.append(job)
        cj = self.sim.store.update(
            "cronjobs",
            {
                **cj,
                "status": {
                    "lastScheduleTime": rfc3339(now),
                    "active": [
                        {
                            "kind": "Job",
                            "name": job.obj["metadata"]["name"],
                            "namespace": w.namespace,
                            "uid": job.obj["metadata"]["uid"],
                        }
                    ],
                },
            },
        )
        while len(history) > 3:
            self.delete_job(history.pop(0))
        self.sim.clock.call_later(w.schedule_every, self._cron_tick, cj_uid, w, history)

    def delete_job(self, owner: Owner) -> None:
        """Delete a Job and (gracefully) its Pods, as the garbage collector would."""
        owner.active = False
        md = owner.obj["metadata"]
        with contextlib.suppress(NotFound):
            self.sim.store.delete("jobs", md["namespace"], md["name"])
        self.owners.pop(md["uid"], None)
        for ns, name in sorted(owner.pods):
            self.sim.delete_pod(ns, name)

    # ------------------------------------------------------------ reactions
    def _on_pod(self, change: Change) -> None:
        refs = change.obj["metadata"].get("ownerReferences") or ()
        if not refs:
            return
        owner = self.owners.get(refs[0]["uid"])
        if owner is None:
            return
        md = change.obj["metadata"]
        key = (md["namespace"], md["name"])
        kind = owner.obj["kind"]
        if change.type == "DELETED":
            owner.pods.discard(key)
            if not owner.active:
                return
            if kind == "ReplicaSet" and len(owner.pods) < owner.w.replicas:
                self.sim.clock.call_later(0.1, self._replace_rs_pod, owner)
            elif kind == "StatefulSet":
                idx = int(md["labels"].get("apps.kubernetes.io/pod-index", "0"))
                self.sim.clock.call_later(0.2, self._sts_pod, owner, idx)
            return
        phase = change.obj["status"].get("phase")
        if kind == "StatefulSet" and self._is_ready(change.obj):
            idx = int(md["labels"].get("apps.kubernetes.io/pod-index", "0"))
            self.sim.clock.call_later(0.1, self._sts_pod, owner, idx + 1)
        if (
            kind == "Job"
            and phase in TERMINAL
            and change.prev is not None
            and change.prev["status"].get("phase") not in TERMINAL
        ):
            self._job_pod_finished(owner, phase)

    @staticmethod
    def _is_ready(pod: dict) -> bool:
        return any(
            c["type"] == "Ready" and c["status"] == "True" for c in pod["status"].get("conditions") or []
        )

    def _replace_rs_pod(self, owner: Owner) -> None:
        if owner.active and len(owner.pods) + len(owner.missing) < owner.w.replicas:
            self._pod(
                owner, None, {"pod-template-hash": owner.template["metadata"]["labels"]["pod-template-hash"]}
            )

    def _job_pod_finished(self, owner: Owner, phase: str) -> None:
        if owner.done or not owner.active:
            return
        now = rfc3339(self.sim.clock.now())
        status = dict(owner.obj["status"])
        if phase == "Succeeded":
            owner.succeeded += 1
            owner.done = True
            status.update(
                active=0,
                succeeded=owner.succeeded,
                completionTime=now,
                conditions=[
                    {
                        "type": "SuccessCriteriaMet",
                        "status": "True",
                        "lastProbeTime": now,
                        "lastTransitionTime": now,
                    },
                    {"type": "Complete", "status": "True", "lastProbeTime": now, "lastTransitionTime": now},
                ],
            )
        else:
            owner.failed += 1
            status["failed"] = owner.failed
            if owner.failed > owner.w.backoff_limit:
                owner.done = True
                status.update(
                    active=0,
                    conditions=[
                        {
                            "type": "Failed",
                            "status": "True",
                            "lastProbeTime": now,
                            "lastTransitionTime": now,
                            "reason": "BackoffLimitExceeded",
                            "message": "Job has reached the specified backoff limit",
                        }
                    ],
                )
            else:
                delay = min(10.0 * 2 ** (owner.failed - 1), 360.0)
                self.sim.clock.call_later(delay, self._retry_job, owner)
        md = owner.obj["metadata"]
        current = self.sim.store.get("jobs", md["namespace"], md["name"])
        if current is not None:
            owner.obj = self.sim.store.update("jobs", {**current, "status": status})
        if owner.done and owner.w.ttl_after_finished is not None:
            self.sim.clock.call_later(owner.w.ttl_after_finished, self.delete_job, owner)

    def _retry_job(self, owner: Owner) -> None:
        if owner.active and not owner.done:
            self._pod(owner, None, {})


# ---------------------------------------------------------------- nodes and volumes
NODE_PROBLEMS = ("not-ready", "disk-pressure")
PV_RESYNC = 15.0  # the persistentvolume-controller's resync period (--pvclaimbinder-sync-period)


class NodeLifecycle:
    """What the node lifecycle controller and a node's kubelet report when a scenario breaks a node.

    * ``not-ready``: the kubelet stops posting status. The node's Ready condition turns ``Unknown``
      (``NodeStatusUnknown``), it gets the ``unreachable`` taints, a Normal ``NodeNotReady`` Event
      (``Node X status is now: NodeNotReady``) from node-controller; each of its Pods gets
      ``Ready=False`` and a Warning ``NodeNotReady`` ``Node is not ready``, and stays as it was (the
      kubelet no longer reports). Eviction after ``tolerationSeconds`` is not simulated.
    * ``disk-pressure``: the kubelet reports ``DiskPressure=True`` (``NodeHasDiskPressure`` Event),
      image GC fails (``FreeDiskSpaceFailed``), the eviction manager warns (``EvictionThresholdMet``),
      the node is tainted ``disk-pressure:NoSchedule`` and every image pull on it fails with
      ``no space left on device`` (ImagePullBackOff).
    """

    def __init__(self, sim: Cluster) -> None:
        self.sim = sim

    def _node_event(self, node: dict, type_: str, reason: str, message: str, kubelet: bool) -> None:
        name = node["metadata"]["name"]
        if kubelet:  # the kubelet's node reference uses the node name as uid
            self.sim.events.record(node, type_, reason, message, component="kubelet", host=name, uid=name)
        else:
            self.sim.events.record(node, type_, reason, message, component="node-controller")

    def break_node(self, name: str, problem: str) -> None:
        sim = self.sim
        state = sim.nodes[name]
        node = sim.store.get("nodes", "", name)
        now = rfc3339(sim.clock.now())
        status = dict(node["status"])
        conds = [dict(c) for c in status["conditions"]]
        taints = list(node["spec"].get("taints") or [])
        if problem == "not-ready":
            state.ready = False
            for c in conds:
                if c["type"] == "Ready":
                    c.update(
                        status="Unknown",
                        reason="NodeStatusUnknown",
                        message="Kubelet stopped posting node status.",
                        lastTransitionTime=now,
                    )
            taints += [
                {"key": "node.kubernetes.io/unreachable", "effect": "NoSchedule", "timeAdded": now},
                {"key": "node.kubernetes.io/unreachable", "effect": "NoExecute", "timeAdded": now},
            ]
        elif problem == "disk-pressure":
            state.disk_pressure = True
            conds.append(
                {
                    "type": "DiskPressure",
                    "status": "True",
                    "lastHeartbeatTime": now,
                    "lastTransitionTime": now,
                    "reason": "KubeletHasDiskPressure",
                    "message": "kubelet has disk pressure",
                }
            )
            taints.append(
                {"key": "node.kubernetes.io/disk-pressure", "effect": "NoSchedule", "timeAdded": now}
            )
        else:
            raise ValueError(f"unknown node problem {problem!r}; known: {', '.join(NODE_PROBLEMS)}")
        node = sim.store.update(
            "nodes",
            {**node, "spec": {**node["spec"], "taints": taints}, "status": {**status, "conditions": conds}},
        )
        if problem == "not-ready":
            self._node_event(
                node, "Normal", "NodeNotReady", f"Node {name} status is now: NodeNotReady", False
            )
            sim.kubelet.stop_reporting(name)
            for _key, pod in sim.store.items("pods"):
                if pod["spec"].get("nodeName") == name and pod["status"].get("phase") not in TERMINAL:
                    self._mark_pod_not_ready(pod, now)
        else:
            self._node_event(
                node, "Normal", "NodeHasDiskPressure", f"Node {name} status is now: NodeHasDiskPressure", True
            )
            self._disk_pressure_tick(name)

    def _mark_pod_not_ready(self, pod: dict, now: str) -> None:
        conds = []
        for c in pod["status"].get("conditions") or []:
            if c["type"] == "Ready" and c["status"] == "True":
                c = {**c, "status": "False", "lastTransitionTime": now}
            conds.append(c)
        pod = self.sim.store.update("pods", {**pod, "status": {**pod["status"], "conditions": conds}})
        self.sim.events.record(
            pod, "Warning", "NodeNotReady", "Node is not ready", component="node-controller"
        )

    def _disk_pressure_tick(self, name: str) -> None:
        node = self.sim.store.get("nodes", "", name)
        if node is None or not self.sim.nodes[name].disk_pressure:
            return
        self._node_event(
            node,
            "Warning",
            "FreeDiskSpaceFailed",
            "Failed to garbage collect required amount of images. Attempted to free 4145877811 bytes, "
            "but only found 0 bytes eligible to free.",
            True,
        )
        self._node_event(
            node, "Warning", "EvictionThresholdMet", "Attempting to reclaim ephemeral-storage", True
        )
        self.sim.clock.call_later(300.0, self._disk_pressure_tick, name)  # image GC runs every 5 minutes


class VolumeClaims:
    """PersistentVolumeClaims and the persistentvolume-controller's Events about them.

    A claim whose StorageClass binds ``Immediate`` and cannot be provisioned stays ``Pending``; the
    controller emits a Warning ``ProvisioningFailed`` at every resync (count+1) and the scheduler
    reports its Pods ``pod has unbound immediate PersistentVolumeClaims``. A claim whose class is
    ``WaitForFirstConsumer`` and that no Pod uses gets a Normal ``WaitForFirstConsumer`` Event.
    ``resolve_after`` binds the claim (``Bound``, ``volumeName: pvc-<uid>``).
    """

    def __init__(self, sim: Cluster) -> None:
        self.sim = sim
        self.specs: dict[tuple[str, str], dict] = {}

    def create(self, spec: dict) -> None:
        sim = self.sim
        ns, name = spec.get("namespace", "default"), spec["name"]
        sim.ensure_namespace(ns)
        sc = spec.get("storageClassName", "standard")
        pvc = {
            "apiVersion": "v1",
            "kind": "PersistentVolumeClaim",
            "metadata": {
                **new_meta(name, ns, sim.ids, sim.clock.now(), None, None, api_version="v1"),
                "finalizers": ["kubernetes.io/pvc-protection"],
            },
            "spec": {
                "accessModes": ["ReadWriteOnce"],
                "resources": {"requests": {"storage": spec.get("storage", "10Gi")}},
                "storageClassName": sc,
                "volumeMode": "Filesystem",
            },
            "status": {"phase": "Pending"},
        }
        sim.store.create("persistentvolumeclaims", pvc)
        self.specs[(ns, name)] = spec
        self._sync(ns, name)

    def bound(self, ns: str, name: str) -> bool | None:
        """True when bound, False when Pending with Immediate binding, None when unknown or WFFC."""
        pvc = self.sim.store.get("persistentvolumeclaims", ns, name)
        if pvc is None:
            return None
        if pvc["status"].get("phase") == "Bound":
            return True
        return None if self.specs.get((ns, name), {}).get("binding") == "WaitForFirstConsumer" else False

    def _sync(self, ns: str, name: str) -> None:
        sim = self.sim
        pvc = sim.store.get("persistentvolumeclaims", ns, name)
        spec = self.specs.get((ns, name))
        if pvc is None or spec is None or pvc["status"].get("phase") == "Bound":
            return
        created = parse_rfc3339(pvc["metadata"]["creationTimestamp"])
        resolve = spec.get("resolve_after")
        if resolve is not None and sim.clock.now() >= created + float(resolve):
            uid = pvc["metadata"]["uid"]
            sim.store.update(
                "persistentvolumeclaims",
                {
                    **pvc,
                    "spec": {**pvc["spec"], "volumeName": f"pvc-{uid}"},
                    "status": {
                        "phase": "Bound",
                        "accessModes": ["ReadWriteOnce"],
                        "capacity": {"storage": spec.get("storage", "10Gi")},
                    },
                },
            )
            return
        if spec.get("binding") == "WaitForFirstConsumer":
            sim.events.record(
                pvc,
                "Normal",
                "WaitForFirstConsumer",
                "waiting for first consumer to be created before binding",
                component="persistentvolume-controller",
            )
        else:
            sc = pvc["spec"]["storageClassName"]
            err = spec.get("provisioning_error") or f'storageclass.storage.k8s.io "{sc}" not found'
            sim.events.record(
                pvc, "Warning", "ProvisioningFailed", err, component="persistentvolume-controller"
            )
        sim.clock.call_later(PV_RESYNC, self._sync, ns, name)
