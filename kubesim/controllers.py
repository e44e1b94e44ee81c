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
from dataclasses import dataclass, field

import orjson

from .behavior import PodBehavior
from .core import Cluster
from .objects import new_meta, owner_ref
from .store import Change, NotFound
from .util import rfc3339, stable_hash

TERMINAL = ("Succeeded", "Failed")


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


class Controllers:
    def __init__(self, sim: Cluster) -> None:
        self.sim = sim
        self.owners: dict[str, Owner] = {}
        self.deployments: dict[tuple[str, str], dict] = {}
        sim.store.subscribe("pods", self._on_pod)

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

    def _pod(self, owner: Owner, name: str | None, labels: dict) -> None:
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
        for _ in range(w.replicas):
            self._pod(owner, None, {"pod-template-hash": pth})
        if old is not None:
            old.active = False
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
        if owner.active and len(owner.pods) < owner.w.replicas:
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
