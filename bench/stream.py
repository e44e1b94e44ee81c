"""A generated, realistic stream of Pod watch events for B1.

Each Pod goes through what a kubelet reports (k8s-semantics §2): ADDED unscheduled, scheduled, first
kubelet status with every container waiting PodInitializing, then each init container running and
terminated (some fail and crash-loop with lastState, restartCount and CrashLoopBackOff back-off
messages), Initialized, the app running and Ready, and for some a graceful deletion ending in DELETED.
Objects carry what the API server adds (managedFields, the kube-api-access volume, tolerations, qosClass)
so parsing costs what it costs against a real cluster. Many Pods are in flight at once, so a batch
touches many Pods, as a busy cluster's watch does.
"""

from __future__ import annotations

import copy
import random
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import orjson

T0 = datetime(2026, 1, 5, 9, 0, 0, tzinfo=UTC)
IMAGES = ["acme/wait-for:1.2", "acme/migrate:4.1", "acme/warm-cache:2.0", "acme/config-render:0.9"]
INIT_NAMES = ["wait-for-db", "migrate", "warm-cache", "render-config"]


def _ts(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


class _PodLife:
    """Yields the successive Pod objects of one Pod's life."""

    def __init__(self, rng: random.Random, n: int, start: datetime) -> None:
        self.rng = rng
        self.uid = str(uuid.UUID(int=rng.getrandbits(128)))
        self.ns = f"team-{n % 17}"
        self.rs = f"svc-{n % 230}-{rng.getrandbits(32):08x}"[:20]
        self.name = f"{self.rs}-{rng.getrandbits(25):05x}"
        self.inits = INIT_NAMES[: rng.randint(1, 4)]
        self.t = start
        self.pod = self._base()

    def _base(self) -> dict:
        containers = [
            {
                "name": "app",
                "image": "acme/app:7.3",
                "ports": [{"containerPort": 8080, "protocol": "TCP"}],
                "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}},
                "volumeMounts": [
                    {
                        "name": "kube-api-access-x7k2p",
                        "readOnly": True,
                        "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount",
                    }
                ],
                "terminationMessagePath": "/dev/termination-log",
                "terminationMessagePolicy": "File",
                "imagePullPolicy": "IfNotPresent",
            }
        ]
        inits = [
            dict(copy.deepcopy(containers[0]), name=n, image=IMAGES[i]) for i, n in enumerate(self.inits)
        ]
        return {
            "kind": "Pod",
            "apiVersion": "v1",
            "metadata": {
                "name": self.name,
                "generateName": self.rs + "-",
                "namespace": self.ns,
                "uid": self.uid,
                "resourceVersion": "0",
                "creationTimestamp": _ts(self.t),
                "labels": {"app": self.rs.rsplit("-", 1)[0], "pod-template-hash": self.rs.rsplit("-", 1)[1]},
                "ownerReferences": [
                    {
                        "apiVersion": "apps/v1",
                        "kind": "ReplicaSet",
                        "name": self.rs,
                        "uid": str(uuid.UUID(int=self.rng.getrandbits(128))),
                        "controller": True,
                        "blockOwnerDeletion": True,
                    }
                ],
                "managedFields": [
                    {
                        "manager": "kube-controller-manager",
                        "operation": "Update",
                        "apiVersion": "v1",
                        "time": _ts(self.t),
                        "fieldsType": "FieldsV1",
                        "fieldsV1": {
                            "f:metadata": {"f:generateName": {}, "f:labels": {".": {}}},
                            "f:spec": {"f:containers": {'k:{"name":"app"}': {".": {}}}},
                        },
                    }
                ],
            },
            "spec": {
                "volumes": [
                    {
                        "name": "kube-api-access-x7k2p",
                        "projected": {
                            "sources": [
                                {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
                                {
                                    "configMap": {
                                        "name": "kube-root-ca.crt",
                                        "items": [{"key": "ca.crt", "path": "ca.crt"}],
                                    }
                                },
                            ],
                            "defaultMode": 420,
                        },
                    }
                ],
                "initContainers": inits,
                "containers": containers,
                "restartPolicy": "Always",
                "terminationGracePeriodSeconds": 30,
                "dnsPolicy": "ClusterFirst",
                "serviceAccountName": "default",
                "schedulerName": "default-scheduler",
                "tolerations": [
                    {
                        "key": "node.kubernetes.io/not-ready",
                        "operator": "Exists",
                        "effect": "NoExecute",
                        "tolerationSeconds": 300,
                    },
                    {
                        "key": "node.kubernetes.io/unreachable",
                        "operator": "Exists",
                        "effect": "NoExecute",
                        "tolerationSeconds": 300,
                    },
                ],
                "priority": 0,
                "enableServiceLinks": True,
                "preemptionPolicy": "PreemptLowerPriority",
            },
            "status": {"phase": "Pending", "qosClass": "Burstable"},
        }

    def _tick(self, seconds: float) -> str:
        self.t += timedelta(seconds=seconds)
        return _ts(self.t)

    def _cond(self, kind: str, status: str, reason: str = "", message: str = "") -> None:
        conds = self.pod["status"].setdefault("conditions", [])
        for c in conds:
            if c["type"] == kind:
                if c["status"] != status:
                    c.update(status=status, lastTransitionTime=_ts(self.t))
                if reason:
                    c["reason"], c["message"] = reason, message
                else:
                    c.pop("reason", None)
                    c.pop("message", None)
                return
        cond = {"type": kind, "status": status, "lastProbeTime": None, "lastTransitionTime": _ts(self.t)}
        if reason:
            cond.update(reason=reason, message=message)
        conds.append(cond)

    def _cid(self) -> str:
        return f"containerd://{self.rng.getrandbits(256):064x}"

    def lifecycle(self) -> Iterator[tuple[str, dict]]:
        pod, status = self.pod, self.pod["status"]
        yield "ADDED", pod
        self._tick(1)
        pod["spec"]["nodeName"] = f"node-{self.rng.randint(1, 40)}"
        self._cond("PodScheduled", "True")
        yield "MODIFIED", pod
        self._tick(1)
        status.update(hostIP="10.0.0.7", podIP="10.244.1.9", startTime=_ts(self.t))
        for kind in ("PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady"):
            self._cond(kind, "False" if kind != "PodReadyToStartContainers" else "True")
        waiting = {"waiting": {"reason": "PodInitializing"}}
        status["initContainerStatuses"] = [
            {
                "name": c["name"],
                "image": c["image"],
                "imageID": "",
                "ready": False,
                "restartCount": 0,
                "started": False,
                "state": copy.deepcopy(waiting),
                "lastState": {},
            }
            for c in pod["spec"]["initContainers"]
        ]
        status["containerStatuses"] = [
            {
                "name": "app",
                "image": "acme/app:7.3",
                "imageID": "",
                "ready": False,
                "restartCount": 0,
                "started": False,
                "state": copy.deepcopy(waiting),
                "lastState": {},
            }
        ]
        yield "MODIFIED", pod
        for st in status["initContainerStatuses"]:
            failures = self.rng.choice([0, 0, 0, 0, 1, 2, 4])
            for attempt in range(failures + 1):
                started = self._tick(self.rng.randint(1, 20))
                cid = self._cid()
                st.update(
                    state={"running": {"startedAt": started}},
                    containerID=cid,
                    started=True,
                    imageID=f"{st['image']}@sha256:{self.rng.getrandbits(256):064x}",
                )
                yield "MODIFIED", pod
                finished = self._tick(self.rng.randint(1, 30))
                ok = attempt == failures
                term = {
                    "exitCode": 0 if ok else 1,
                    "reason": "Completed" if ok else "Error",
                    "startedAt": started,
                    "finishedAt": finished,
                    "containerID": cid,
                }
                if not ok:
                    term["message"] = 'relation "schema_migrations" does not exist'
                    backoff = (
                        f"back-off {10 * 2**attempt}s restarting failed container={st['name']} "
                        f"pod={self.name}_{self.ns}({self.uid})"
                    )
                    st.update(
                        state={
                            "waiting": {
                                "reason": "CrashLoopBackOff",
                                "message": backoff,
                            }
                        },
                        lastState={"terminated": term},
                        started=False,
                    )
                    yield "MODIFIED", pod
                    st["restartCount"] += 1
                else:
                    st.update(state={"terminated": term}, ready=True, started=False)
                    yield "MODIFIED", pod
        self._tick(1)
        self._cond("Initialized", "True")
        app = status["containerStatuses"][0]
        started = self._tick(self.rng.randint(1, 5))
        app.update(
            state={"running": {"startedAt": started}},
            containerID=self._cid(),
            started=True,
            imageID=f"acme/app@sha256:{self.rng.getrandbits(256):064x}",
        )
        status["phase"] = "Running"
        yield "MODIFIED", pod
        self._tick(self.rng.randint(2, 10))
        app["ready"] = True
        self._cond("ContainersReady", "True")
        self._cond("Ready", "True")
        yield "MODIFIED", pod
        if self.rng.random() < 0.3:
            self._tick(self.rng.randint(60, 600))
            pod["metadata"]["deletionTimestamp"] = _ts(self.t)
            pod["metadata"]["deletionGracePeriodSeconds"] = 30
            yield "MODIFIED", pod
            finished = self._tick(2)
            app.update(
                state={
                    "terminated": {
                        "exitCode": 143,
                        "reason": "Error",
                        "startedAt": started,
                        "finishedAt": finished,
                        "containerID": app["containerID"],
                    }
                },
                ready=False,
                started=False,
            )
            status["phase"] = "Succeeded"
            yield "MODIFIED", pod
            yield "DELETED", pod


def generate(path: str, *, events: int, seed: int = 7, in_flight: int = 2000) -> int:
    """Write at least `events` watch events as JSON lines to `path`; returns the count written."""
    rng = random.Random(seed)
    rv = 1000
    written = 0
    pods = 0
    active: list[Iterator[tuple[str, dict]]] = []
    with open(path, "wb") as out:
        while written < events:
            while len(active) < in_flight:
                start = T0 + timedelta(seconds=pods // 20)
                active.append(_PodLife(rng, pods, start).lifecycle())
                pods += 1
            i = rng.randrange(len(active))
            try:
                kind, obj = next(active[i])
            except StopIteration:
                active[i] = active[-1]
                active.pop()
                continue
            rv += 1
            obj["metadata"]["resourceVersion"] = str(rv)
            out.write(orjson.dumps({"type": kind, "object": obj}) + b"\n")
            written += 1
    return written
