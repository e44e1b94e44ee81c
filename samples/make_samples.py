"""Build the bundled sample recordings in `samples/` (run: `python samples/make_samples.py`).

Each sample is one situation recorded the way a real capture looks (k8s-semantics.md §2-§7): objects in
the exact shapes a 1.30+ API server, scheduler and kubelet write. The builder DSL below keeps one
cluster-global, strictly increasing resourceVersion counter per file, a node clock in whole seconds, and
aggregates identical kubelet Events (count + 1) the way client-go's recorder does. Everything is
deterministic (fixed uids, ids and times), so regenerating gives byte-identical files.

The `expected` dict of each scenario is written by hand from the situation built here (what really happened
and what the API shows), not computed by any engine: it goes to `expected/<name>.json` for the integration
tests. No Secret values or secret-looking env values appear anywhere.
"""

from __future__ import annotations

import copy
import hashlib
import json
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

HERE = Path(__file__).resolve().parent
SCHED_INSTANCE = "default-scheduler-control-plane"
STUCK_NOTE = (
    "diagnosis_code is evaluated at the time of the last record (evaluated_at: the clock when the last "
    "object was written), "
    "stuck threshold 5 minutes, per DESIGN.md 'Stuck and diagnosis'"
)

# ---------------------------------------------------------------------------------------------------------
# deterministic ids


def _hex(*parts: str) -> str:
    return hashlib.sha256("/".join(parts).encode()).hexdigest()


def uid(*parts: str) -> str:
    """A v4-shaped uuid derived from `parts`."""
    h = _hex("uid", *parts)
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) % 4]}{h[17:20]}-{h[20:32]}"


def suffix(*parts: str, n: int = 5) -> str:
    alphabet = "bcdfghjklmnpqrstvwxz2456789"
    h = int(_hex("sfx", *parts), 16)
    out = ""
    for _ in range(n):
        h, r = divmod(h, len(alphabet))
        out += alphabet[r]
    return out


def ts(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def ts_micro(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def full_image(image: str) -> str:
    """The image name as containerd reports it once the container exists."""
    first = image.split("/")[0]
    if "/" not in image:
        return f"docker.io/library/{image}"
    if "." not in first and ":" not in first and first != "localhost":
        return f"docker.io/{image}"
    return image


def image_id(image: str) -> str:
    repo = full_image(image).rsplit(":", 1)[0]
    return f"{repo}@sha256:{_hex('img', image)}"


# ---------------------------------------------------------------------------------------------------------
# the capture: clock, global resourceVersion, output records


class Capture:
    """One recording: a clock, the cluster-global RV counter and the records in write order."""

    def __init__(self, name: str, start: datetime, rv: int, *, kubelet: str = "1.33", node: str = "node-1"):
        self.name = name
        self.t = start
        self.rv = rv
        self.kubelet = kubelet
        self.node = node
        self.records: list[tuple[str, str, dict[str, Any]]] = []  # (stream, type, object)
        self._events: dict[tuple, dict[str, Any]] = {}
        self._nanos = 0
        self.last_time = start

    # time and versions
    def tick(self, seconds: float) -> None:
        self.t += timedelta(seconds=seconds)

    def next_rv(self) -> str:
        # Other objects in the cluster write too: the counter jumps by a deterministic 1..9.
        self.rv += 1 + int(_hex("rv", self.name, str(self.rv))[:2], 16) % 9
        return str(self.rv)

    def emit(self, stream: str, etype: str, obj: dict[str, Any]) -> None:
        self.records.append((stream, etype, copy.deepcopy(obj)))
        self.last_time = self.t

    def raw(self, etype: str, obj: dict[str, Any]) -> None:
        """A record that is not a Pod or Event (BOOKMARK skeleton, ERROR Status)."""
        self.records.append(("pods", etype, obj))

    # events
    def _event_name(self, pod: str) -> str:
        self._nanos += 1
        nanos = int(self.t.timestamp()) * 1_000_000_000 + int(_hex("ns", self.name, str(self._nanos))[:6], 16)
        return f"{pod}.{nanos:x}"

    def event(
        self,
        pod: Pod,
        reason: str,
        message: str,
        *,
        type: str = "Normal",  # noqa: A002 - the API's field name
        container: str | None = None,
        component: str = "kubelet",
        host: str | None = None,
    ) -> None:
        """A kubelet (or controller) Event as core/v1 shows it; an identical repeat bumps count."""
        field_path = pod.field_path(container) if container else None
        host = host or pod.node or self.node
        key = (pod.uid, reason, message, field_path, type, component)
        ev = self._events.get(key)
        if ev is not None:
            ev["count"] += 1
            ev["lastTimestamp"] = ts(self.t)
            ev["metadata"]["resourceVersion"] = self.next_rv()
            self.emit("events", "MODIFIED", ev)
            return
        involved = {
            "kind": "Pod",
            "namespace": pod.namespace,
            "name": pod.name,
            "uid": pod.uid,
            "apiVersion": "v1",
            "resourceVersion": pod.rv,
        }
        if field_path:
            involved["fieldPath"] = field_path
        ev = {
            "kind": "Event",
            "apiVersion": "v1",
            "metadata": {
                "name": self._event_name(pod.name),
                "namespace": pod.namespace,
                "uid": uid(self.name, "event", str(len(self._events))),
                "resourceVersion": self.next_rv(),
                "creationTimestamp": ts(self.t),
            },
            "involvedObject": involved,
            "reason": reason,
            "message": message,
            "source": {"component": component, "host": host},
            "firstTimestamp": ts(self.t),
            "lastTimestamp": ts(self.t),
            "count": 1,
            "type": type,
            "eventTime": None,
            "reportingComponent": component,
            "reportingInstance": host,
        }
        self._events[key] = ev
        self.emit("events", "ADDED", ev)

    def scheduler_event(self, pod: Pod, reason: str, message: str, *, type: str = "Normal") -> None:  # noqa: A002
        """A scheduler Event (events.k8s.io/v1 written, core/v1 view); repeats grow `series`."""
        action = "Binding" if reason == "Scheduled" else "Scheduling"
        key = (pod.uid, reason, message, "scheduler")
        micro = int(_hex("us", self.name, str(len(self.records)))[:5], 16) % 1_000_000
        now = self.t + timedelta(microseconds=micro)
        ev = self._events.get(key)
        if ev is not None:
            count = ev.get("series", {}).get("count", 1) + 1
            ev["series"] = {"count": count, "lastObservedTime": ts_micro(now)}
            ev["metadata"]["resourceVersion"] = self.next_rv()
            self.emit("events", "MODIFIED", ev)
            return
        ev = {
            "kind": "Event",
            "apiVersion": "v1",
            "metadata": {
                "name": self._event_name(pod.name),
                "namespace": pod.namespace,
                "uid": uid(self.name, "event", str(len(self._events))),
                "resourceVersion": self.next_rv(),
                "creationTimestamp": ts(self.t),
            },
            "involvedObject": {
                "kind": "Pod",
                "namespace": pod.namespace,
                "name": pod.name,
                "uid": pod.uid,
                "apiVersion": "v1",
                "resourceVersion": pod.rv,
            },
            "reason": reason,
            "message": message,
            "source": {},
            "firstTimestamp": None,
            "lastTimestamp": None,
            "type": type,
            "eventTime": ts_micro(now),
            "action": action,
            "reportingComponent": "default-scheduler",
            "reportingInstance": SCHED_INSTANCE,
        }
        self._events[key] = ev
        self.emit("events", "ADDED", ev)

    # kubelet event vocabulary (message formats by kubelet minor, k8s-semantics §5)
    def created_msg(self, c: str) -> str:
        return "Container created" if self.kubelet >= "1.35" else f"Created container: {c}"

    def started_msg(self, c: str) -> str:
        return "Container started" if self.kubelet >= "1.35" else f"Started container {c}"

    def present_msg(self, image: str) -> str:
        tail = " and can be accessed by the pod" if self.kubelet >= "1.35" else ""
        return f'Container image "{image}" already present on machine{tail}'


# ---------------------------------------------------------------------------------------------------------
# containers and Pods


class C:
    """One container of the spec plus the kubelet's view of its status."""

    def __init__(
        self,
        name: str,
        image: str,
        kind: str = "app",
        *,
        command: list[str] | None = None,
        startup_probe: dict | None = None,
        readiness_probe: dict | None = None,
        resources: dict | None = None,
        mounts: list[dict] | None = None,
        extra: dict | None = None,
        pull_policy: str = "IfNotPresent",
    ):
        self.name, self.image, self.kind = name, image, kind
        self.command = command
        self.startup_probe, self.readiness_probe = startup_probe, readiness_probe
        self.resources = resources or {}
        self.mounts = mounts or []
        self.extra = extra or {}
        self.pull_policy = pull_policy
        # status
        self.state: dict[str, Any] = {"waiting": {"reason": "PodInitializing"}}
        self.last_state: dict[str, Any] = {}
        self.ready = False
        self.started = False
        self.restart_count = 0
        self.container_id = ""
        self.created = False
        self.ran = False
        self.generation = 0
        self.started_at: datetime | None = None

    def spec(self, api_mount: dict) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "image": self.image}
        if self.command:
            out["command"] = self.command
        out.update(self.extra)
        out["resources"] = self.resources
        out["volumeMounts"] = [*self.mounts, api_mount]
        if self.readiness_probe:
            out["readinessProbe"] = self.readiness_probe
        if self.startup_probe:
            out["startupProbe"] = self.startup_probe
        out["terminationMessagePath"] = "/dev/termination-log"
        out["terminationMessagePolicy"] = "File"
        out["imagePullPolicy"] = self.pull_policy
        if self.kind == "sidecar":
            out["restartPolicy"] = "Always"
        return out

    def status(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": self.name,
            "state": self.state,
            "lastState": self.last_state,
            "ready": self.ready,
            "restartCount": self.restart_count,
            "image": full_image(self.image) if self.created else self.image,
            "imageID": image_id(self.image) if self.created else "",
        }
        if self.container_id:
            out["containerID"] = self.container_id
        out["started"] = self.started
        return out


def probe(path: str, port: int, *, period: int = 10, failure: int = 3) -> dict[str, Any]:
    return {
        "httpGet": {"path": path, "port": port, "scheme": "HTTP"},
        "timeoutSeconds": 1,
        "periodSeconds": period,
        "successThreshold": 1,
        "failureThreshold": failure,
    }


RES_SMALL = {"limits": {"memory": "128Mi"}, "requests": {"cpu": "50m", "memory": "64Mi"}}
RES_APP = {"limits": {"memory": "512Mi"}, "requests": {"cpu": "250m", "memory": "256Mi"}}
COND_ORDER = ["PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady", "PodScheduled"]


class Pod:
    """A Pod object evolving through API writes; `write()` stamps a new RV and records a watch event."""

    def __init__(
        self,
        cap: Capture,
        *,
        name: str,
        namespace: str,
        owner: tuple[str, str, str],
        labels: dict[str, str],
        containers: list[C],
        restart_policy: str = "Always",
        volumes: list[dict] | None = None,
        active_deadline: int | None = None,
        extra_meta: dict | None = None,
        extra_spec: dict | None = None,
        pod_ip: str = "10.244.1.23",
        host_ip: str = "10.0.1.11",
        created: datetime | None = None,
    ):
        self.cap = cap
        self.name, self.namespace = name, namespace
        self.uid = uid(cap.name, "pod", name, str(created or cap.t))
        self.owner = owner
        self.labels = labels
        self.containers = containers
        self.restart_policy = restart_policy
        self.volumes = volumes or []
        self.active_deadline = active_deadline
        self.extra_meta = extra_meta or {}
        self.extra_spec = extra_spec or {}
        self.pod_ip_value, self.host_ip = pod_ip, host_ip
        self.created = created or cap.t
        self.api_volume = f"kube-api-access-{suffix(cap.name, name, 'vol')}"
        self.rv = ""
        self.node = ""
        self.phase = "Pending"
        self.reason = ""
        self.message = ""
        self.conditions: dict[str, dict[str, Any]] = {}
        self.start_time: datetime | None = None
        self.pod_ip = ""
        self.deletion: tuple[str, int] | None = None
        self.finalizers: list[str] = []
        self.delete_requested = self.created
        self.kubelet_seen = False

    # helpers
    def c(self, name: str) -> C:
        return next(c for c in self.containers if c.name == name)

    def field_path(self, container: str) -> str:
        kind = self.c(container).kind
        return f"spec.{'containers' if kind == 'app' else 'initContainers'}{{{container}}}"

    @property
    def inits(self) -> list[C]:
        return [c for c in self.containers if c.kind != "app"]

    @property
    def apps(self) -> list[C]:
        return [c for c in self.containers if c.kind == "app"]

    def cond(self, ctype: str, status: str, reason: str | None = None, message: str | None = None) -> None:
        """Set a condition; lastTransitionTime changes only when status flips."""
        old = self.conditions.get(ctype)
        ltt = old["lastTransitionTime"] if old and old["status"] == status else ts(self.cap.t)
        cond: dict[str, Any] = {
            "type": ctype,
            "status": status,
            "lastProbeTime": None,
            "lastTransitionTime": ltt,
        }
        if reason:
            cond["reason"] = reason
        if message:
            cond["message"] = message
        self.conditions[ctype] = cond

    # object rendering (server field order)
    def render(self) -> dict[str, Any]:
        meta: dict[str, Any] = {"name": self.name}
        if self.owner[0] != "StatefulSet":
            meta["generateName"] = self.name[:-5] if self.owner[0] in ("ReplicaSet", "Job") else self.name
        meta.update(
            {
                "namespace": self.namespace,
                "uid": self.uid,
                "resourceVersion": self.rv,
                "creationTimestamp": ts(self.created),
            }
        )
        if self.deletion:
            meta["deletionTimestamp"], meta["deletionGracePeriodSeconds"] = self.deletion
        meta["labels"] = self.labels
        meta.update(self.extra_meta)
        kind, oname, ouid = self.owner
        meta["ownerReferences"] = [
            {
                "apiVersion": "batch/v1" if kind == "Job" else "apps/v1",
                "kind": kind,
                "name": oname,
                "uid": ouid,
                "controller": True,
                "blockOwnerDeletion": True,
            }
        ]
        if self.finalizers:
            meta["finalizers"] = self.finalizers
        api_mount = {
            "name": self.api_volume,
            "readOnly": True,
            "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount",
        }
        volumes = [
            *self.volumes,
            {
                "name": self.api_volume,
                "projected": {
                    "sources": [
                        {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
                        {
                            "configMap": {
                                "name": "kube-root-ca.crt",
                                "items": [{"key": "ca.crt", "path": "ca.crt"}],
                            }
                        },
                        {
                            "downwardAPI": {
                                "items": [
                                    {
                                        "path": "namespace",
                                        "fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"},
                                    }
                                ]
                            }
                        },
                    ],
                    "defaultMode": 420,
                },
            },
        ]
        spec: dict[str, Any] = {"volumes": volumes}
        if self.inits:
            spec["initContainers"] = [c.spec(api_mount) for c in self.inits]
        spec["containers"] = [c.spec(api_mount) for c in self.apps]
        spec["restartPolicy"] = self.restart_policy
        spec["terminationGracePeriodSeconds"] = 30
        if self.active_deadline is not None:
            spec["activeDeadlineSeconds"] = self.active_deadline
        spec.update(
            {"dnsPolicy": "ClusterFirst", "serviceAccountName": "default", "serviceAccount": "default"}
        )
        if self.node:
            spec["nodeName"] = self.node
        spec["securityContext"] = {}
        spec.update(self.extra_spec)
        spec["schedulerName"] = "default-scheduler"
        spec["tolerations"] = [
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
        ]
        spec.update({"priority": 0, "enableServiceLinks": True, "preemptionPolicy": "PreemptLowerPriority"})
        status: dict[str, Any] = {"phase": self.phase}
        if self.conditions:
            status["conditions"] = [self.conditions[t] for t in COND_ORDER if t in self.conditions]
        if self.message:
            status["message"] = self.message
        if self.reason:
            status["reason"] = self.reason
        if self.kubelet_seen:
            status["hostIP"] = self.host_ip
            status["hostIPs"] = [{"ip": self.host_ip}]
            if self.pod_ip:
                status["podIP"] = self.pod_ip
                status["podIPs"] = [{"ip": self.pod_ip}]
            status["startTime"] = ts(self.start_time or self.cap.t)
            if self.inits:
                status["initContainerStatuses"] = [c.status() for c in self.inits]
            status["containerStatuses"] = [c.status() for c in self.apps]
        status["qosClass"] = "Burstable"
        return {"kind": "Pod", "apiVersion": "v1", "metadata": meta, "spec": spec, "status": status}

    def write(self, etype: str = "MODIFIED") -> None:
        self.rv = self.cap.next_rv()
        self.cap.emit("pods", etype, self.render())

    # --- lifecycle steps -------------------------------------------------------------------------------
    def create(self) -> None:
        self.write("ADDED")

    def schedule(self, node: str | None = None) -> None:
        """Binding (server sets nodeName + PodScheduled) and the scheduler's Scheduled event."""
        self.node = node or self.cap.node
        self.cond("PodScheduled", "True")
        seen_by_scheduler = self.rv
        self.write()
        bound_rv, self.rv = self.rv, seen_by_scheduler
        self.cap.scheduler_event(
            self, "Scheduled", f"Successfully assigned {self.namespace}/{self.name} to {self.node}"
        )
        self.rv = bound_rv

    def unready_message(self) -> str:
        names = [c.name for c in self.containers if c.kind != "init" and not c.ready]
        return f"containers with unready status: [{' '.join(names)}]"

    def refresh_conditions(self) -> None:
        """Initialized / ContainersReady / Ready from the container statuses (kubelet status/generate.go)."""
        incomplete = [
            c.name
            for c in self.inits
            if (c.kind == "init" and not c.ready) or (c.kind == "sidecar" and not c.started)
        ]
        # TerminatePod's ContainerStatusUnknown is written after the conditions: it never started anything
        app_started = any(
            "running" in c.state
            or ("terminated" in c.state and c.state["terminated"]["reason"] != "ContainerStatusUnknown")
            for c in self.apps
        )
        if incomplete and not app_started:
            self.cond(
                "Initialized",
                "False",
                "ContainersNotInitialized",
                f"containers with incomplete status: [{' '.join(incomplete)}]",
            )
        else:
            self.cond("Initialized", "True")
        if self.phase in ("Failed", "Succeeded"):
            reason = "PodFailed" if self.phase == "Failed" else "PodCompleted"
            self.cond("Ready", "False", reason)
            self.cond("ContainersReady", "False", reason)
            return
        unready = [c for c in self.containers if c.kind != "init" and not c.ready]
        if unready:
            self.cond("Ready", "False", "ContainersNotReady", self.unready_message())
            self.cond("ContainersReady", "False", "ContainersNotReady", self.unready_message())
        else:
            self.cond("Ready", "True")
            self.cond("ContainersReady", "True")

    def kubelet_first_status(self) -> None:
        """The kubelet's first status: startTime, hostIP, every container waiting PodInitializing."""
        self.kubelet_seen = True
        self.start_time = self.cap.t
        default = "PodInitializing" if self.inits else "ContainerCreating"
        for c in self.containers:
            c.state = {"waiting": {"reason": default}}
        self.cond("PodReadyToStartContainers", "False")
        self.refresh_conditions()
        self.write()

    def sandbox_ready(self, ip: str | None = None) -> None:
        self.pod_ip = ip or self.pod_ip_value
        self.cond("PodReadyToStartContainers", "True")

    def update(self) -> None:
        self.refresh_conditions()
        self.write()

    # container transitions (status only; call update() to write)
    def run(self, name: str, *, started: bool | None = None, ready: bool | None = None) -> None:
        c = self.c(name)
        if c.ran:
            if "terminated" in c.state:
                c.last_state = c.state
            c.restart_count += 1
        c.ran = True
        c.created = True
        attempt = f"{c.generation}.{c.restart_count}"
        c.container_id = "containerd://" + _hex("cid", self.uid, name, attempt)
        c.started_at = self.cap.t
        c.state = {"running": {"startedAt": ts(self.cap.t)}}
        c.started = (c.startup_probe is None) if started is None else started
        if c.kind == "init":
            c.ready = False
        else:
            c.ready = (c.readiness_probe is None and c.started) if ready is None else ready

    def exit(self, name: str, code: int, reason: str | None = None, message: str | None = None) -> None:
        c = self.c(name)
        term: dict[str, Any] = {"exitCode": code, "reason": reason or ("Completed" if code == 0 else "Error")}
        if message:
            term["message"] = message
        term.update(
            {
                "startedAt": ts(c.started_at or self.cap.t),
                "finishedAt": ts(self.cap.t),
                "containerID": c.container_id,
            }
        )
        c.state = {"terminated": term}
        c.started = False
        c.ready = c.kind == "init" and code == 0

    def crash_backoff(self, name: str, delay: str) -> None:
        c = self.c(name)
        c.last_state = c.state
        c.state = {
            "waiting": {
                "reason": "CrashLoopBackOff",
                "message": f"back-off {delay} restarting failed container={name} "
                f"pod={self.name}_{self.namespace}({self.uid})",
            }
        }
        c.ready = False
        c.started = False

    def wait(self, name: str, reason: str, message: str | None = None) -> None:
        c = self.c(name)
        c.state = {"waiting": {"reason": reason, "message": message} if message else {"reason": reason}}

    def unknown_after_termination(self) -> None:
        """status manager TerminatePod: app containers not terminated get ContainerStatusUnknown."""
        for c in self.apps:
            if "terminated" not in c.state:
                c.state = {
                    "terminated": {
                        "exitCode": 137,
                        "reason": "ContainerStatusUnknown",
                        "message": "The container could not be located when the pod was terminated",
                        "startedAt": None,
                        "finishedAt": None,
                    }
                }
                c.ready = c.started = False

    # kubelet event helpers
    def ev(self, reason: str, message: str, *, type: str = "Normal", c: str | None = None) -> None:  # noqa: A002
        self.cap.event(self, reason, message, type=type, container=c)

    def start_events(self, name: str, *, pulled: str | None = None, pull_wait: float = 0.0) -> None:
        """Pulling/Pulled (or already present), Created, Started for one attempt of `name`."""
        c = self.c(name)
        if pulled is None:
            self.ev("Pulled", self.cap.present_msg(c.image), c=name)
        else:
            self.ev("Pulling", f'Pulling image "{c.image}"', c=name)
            self.cap.tick(_seconds(pulled) + pull_wait)
            total = _fmt_seconds(_seconds(pulled) + pull_wait)
            size = 10_000_000 + int(_hex("size", c.image)[:7], 16)
            self.ev(
                "Pulled",
                f'Successfully pulled image "{c.image}" in {pulled} ({total} including waiting). '
                f"Image size: {size} bytes.",
                c=name,
            )
        self.ev("Created", self.cap.created_msg(name), c=name)
        self.ev("Started", self.cap.started_msg(name), c=name)

    def backoff_event(self, name: str) -> None:
        self.ev(
            "BackOff",
            f"Back-off restarting failed container {name} in pod {self.name}_{self.namespace}({self.uid})",
            type="Warning",
            c=name,
        )

    # deletion
    def request_delete(self, grace: int = 30) -> None:
        self.delete_requested = self.cap.t
        self.deletion = (ts(self.cap.t + timedelta(seconds=grace)), grace)
        self.write()

    def finish_delete(self) -> None:
        """The kubelet's grace-0 DELETE: deletionTimestamp back to the request time, then DELETED."""
        self.deletion = (ts(self.delete_requested), 0)
        self.write()
        self.write("DELETED")


def _seconds(go_duration: str) -> float:
    return float(go_duration[:-2]) / 1000 if go_duration.endswith("ms") else float(go_duration[:-1])


def _fmt_seconds(value: float) -> str:
    if value < 1:
        return f"{int(round(value * 1000))}ms"
    return f"{value:.3f}".rstrip("0").rstrip(".") + "s"


# ---------------------------------------------------------------------------------------------------------
# workload helpers


def deployment_pod(cap: Capture, deploy: str, namespace: str, containers: list[C], **kw: Any) -> Pod:
    pth = suffix(cap.name, deploy, "hash", n=10)
    rs = f"{deploy}-{pth}"
    name = f"{rs}-{suffix(cap.name, deploy, 'pod')}"
    return Pod(
        cap,
        name=name,
        namespace=namespace,
        owner=("ReplicaSet", rs, uid(cap.name, "rs", rs)),
        labels={"app.kubernetes.io/name": deploy, "pod-template-hash": pth},
        containers=containers,
        **kw,
    )


def job_pod(cap: Capture, job: str, namespace: str, containers: list[C], **kw: Any) -> Pod:
    job_uid = uid(cap.name, "job", job)
    name = f"{job}-{suffix(cap.name, job, 'pod')}"
    labels = {
        "batch.kubernetes.io/controller-uid": job_uid,
        "batch.kubernetes.io/job-name": job,
        "controller-uid": job_uid,
        "job-name": job,
    }
    pod = Pod(
        cap,
        name=name,
        namespace=namespace,
        owner=("Job", job, job_uid),
        labels=labels,
        containers=containers,
        restart_policy=kw.pop("restart_policy", "Never"),
        **kw,
    )
    pod.finalizers = ["batch.kubernetes.io/job-tracking"]
    return pod


def owner_fact(pod: Pod, workload: tuple[str, str] | None = None) -> dict[str, Any]:
    kind, name, _ = pod.owner
    if workload is None:
        workload = ("Deployment", name.rsplit("-", 1)[0]) if kind == "ReplicaSet" else (kind, name)
    return {"owner": {"kind": workload[0], "name": workload[1]}, "controller": {"kind": kind, "name": name}}


def attempt(
    number: int, exit_code: int | None = None, reason: str = "", *, generation: int = 0, known: bool = True
) -> dict[str, Any]:
    return {
        "number": number,
        "generation": generation,
        "exit_code": exit_code,
        "reason": reason,
        "known": known,
    }


def pod_fact(
    pod: Pod,
    *,
    status: str,
    restarts: int,
    phase: str,
    deleted: bool,
    diagnosis: str | None,
    diagnosis_container: str | None,
    attempts: dict[str, list[dict]],
    **extra: Any,
) -> dict[str, Any]:
    containers = [
        {"name": c.name, "kind": c.kind, "attempts": attempts.get(c.name, [])} for c in pod.containers
    ]
    return {
        "uid": pod.uid,
        "namespace": pod.namespace,
        "name": pod.name,
        "status": status,
        "restarts": restarts,
        "phase": phase,
        "deleted": deleted,
        "diagnosis_code": diagnosis,
        "diagnosis_container": diagnosis_container,
        **owner_fact(pod),
        **extra,
        "containers": containers,
    }


def wait_for_db(image: str = "busybox:1.36") -> C:
    return C(
        "wait-for-db",
        image,
        "init",
        command=["sh", "-c", "until nc -z db 5432; do sleep 2; done"],
        resources=RES_SMALL,
    )


def healthy_start(
    pod: Pod,
    *,
    pulls: dict[str, str] | None = None,
    durations: dict[str, int] | None = None,
    ready_after: int = 6,
) -> None:
    """Create, schedule and start every container in order, ending Running and Ready."""
    cap = pod.cap
    pulls = pulls or {}
    durations = durations or {}
    pod.create()
    cap.tick(1)
    pod.schedule()
    cap.tick(1)
    pod.kubelet_first_status()
    first = True
    for c in pod.inits:
        cap.tick(1)
        pod.start_events(c.name, pulled=pulls.get(c.name))
        if first:
            pod.sandbox_ready()
            first = False
        pod.run(c.name)
        pod.update()
        cap.tick(durations.get(c.name, 3))
        pod.exit(c.name, 0)
        pod.update()
    for c in pod.apps:
        cap.tick(1)
        pod.start_events(c.name, pulled=pulls.get(c.name))
        if first:
            pod.sandbox_ready()
            first = False
        pod.run(c.name, ready=c.readiness_probe is None)
        pod.phase = "Running"
        pod.update()
    if any(not c.ready for c in pod.apps):
        cap.tick(ready_after)
        for c in pod.apps:
            c.ready = True
        pod.update()


# ---------------------------------------------------------------------------------------------------------
# scenarios: each returns (capture, format, expected)

Scenario = tuple[Capture, str, dict[str, Any]]
T0 = datetime(2025, 6, 2, 9, 0, 0, tzinfo=UTC)


def s01() -> Scenario:
    cap = Capture("01-healthy-deployment", T0, 4_810_000)
    api = C(
        "api",
        "ghcr.io/acme/shop-api:2.3.1",
        readiness_probe=probe("/healthz", 8080, period=5),
        resources=RES_APP,
        extra={
            "ports": [{"name": "http", "containerPort": 8080, "protocol": "TCP"}],
            "env": [{"name": "DB_HOST", "value": "db"}],
        },
    )
    pod = deployment_pod(
        cap,
        "api",
        "shop",
        [
            wait_for_db(),
            C(
                "migrate",
                "ghcr.io/acme/shop-migrate:2.3.1",
                "init",
                command=["/app/migrate", "up"],
                resources=RES_SMALL,
            ),
            C("warm-cache", "ghcr.io/acme/shop-cache-warmer:1.0.4", "init", resources=RES_SMALL),
            api,
        ],
    )
    cap.kubelet = "1.33"
    # Pulls: wait-for-db already present; the others pulled; migrate waited 2.2s for a pull slot.
    pod.create()
    cap.tick(1)
    pod.schedule()
    cap.tick(1)
    pod.kubelet_first_status()
    cap.tick(1)
    pod.start_events("wait-for-db")
    pod.sandbox_ready()
    pod.run("wait-for-db")
    pod.update()
    cap.tick(4)
    pod.exit("wait-for-db", 0)
    pod.update()
    pod.start_events("migrate", pulled="1.2s", pull_wait=2.2)
    cap.tick(1)
    pod.run("migrate")
    pod.update()
    cap.tick(12)
    pod.exit("migrate", 0)
    pod.update()
    pod.start_events("warm-cache", pulled="1.532s")
    cap.tick(1)
    pod.run("warm-cache")
    pod.update()
    cap.tick(8)
    pod.exit("warm-cache", 0)
    pod.update()
    pod.start_events("api", pulled="2.841s")
    cap.tick(1)
    pod.run("api", ready=False)
    pod.phase = "Running"
    pod.update()
    cap.tick(6)
    pod.c("api").ready = True
    pod.update()
    expected = pod_fact(
        pod,
        status="Running",
        restarts=0,
        phase="Running",
        deleted=False,
        diagnosis=None,
        diagnosis_container=None,
        attempts={
            "wait-for-db": [attempt(0, 0, "Completed")],
            "migrate": [attempt(0, 0, "Completed")],
            "warm-cache": [attempt(0, 0, "Completed")],
            "api": [attempt(0)],
        },
        pulls={
            "wait-for-db": {"already_present": True},
            "migrate": {"pull_seconds": 1.2, "wait_seconds": 2.2},
            "warm-cache": {"pull_seconds": 1.532, "wait_seconds": 0.0},
            "api": {"pull_seconds": 2.841, "wait_seconds": 0.0},
        },
    )
    return cap, "kubectl-watch", {"pods": [expected]}


MIGRATE_MSG = 'ERROR: relation "orders_v2" does not exist (migration 0042_split_orders)'


def s02() -> Scenario:
    cap = Capture("02-init-crashloop", T0 + timedelta(minutes=1), 4_930_000)
    pod = deployment_pod(
        cap,
        "orders",
        "shop",
        [
            wait_for_db(),
            C(
                "migrate",
                "ghcr.io/acme/orders-migrate:5.0.0",
                "init",
                command=["/app/migrate", "up"],
                resources=RES_SMALL,
            ),
            C("orders", "ghcr.io/acme/orders:5.0.0", resources=RES_APP),
        ],
    )
    pod.create()
    cap.tick(1)
    pod.schedule()
    cap.tick(1)
    pod.kubelet_first_status()
    cap.tick(1)
    pod.start_events("wait-for-db")
    pod.sandbox_ready()
    pod.run("wait-for-db")
    pod.update()
    cap.tick(3)
    pod.exit("wait-for-db", 0)
    pod.update()
    pod.start_events("migrate", pulled="3.104s")
    cap.tick(1)
    # attempt 0, then the immediate first restart (attempt 1), then back-off 10s, 20s, 40s, 80s
    delays = [None, "10s", "20s", "40s", "80s"]
    for number, delay in enumerate(delays):
        if number:
            pod.start_events("migrate")
        pod.run("migrate")
        pod.update()
        cap.tick(2)
        pod.exit("migrate", 1, message=MIGRATE_MSG)
        pod.update()
        if delay is None:
            cap.tick(1)
            continue
        cap.tick(1)
        pod.crash_backoff("migrate", delay)
        pod.update()
        seconds = int(delay[:-1])
        # the kubelet re-syncs during back-off and reports BackOff each time (aggregated: count + 1)
        syncs = seconds // 10
        if number == len(delays) - 1:
            syncs = 3  # the capture ends 30s into the last back-off
        for _ in range(syncs):
            pod.backoff_event("migrate")
            cap.tick(10)
        if number == len(delays) - 1:
            break
        cap.tick(1)
    expected = pod_fact(
        pod,
        status="Init:CrashLoopBackOff",
        restarts=4,
        phase="Pending",
        deleted=False,
        diagnosis="crash-loop",
        diagnosis_container="migrate",
        attempts={
            "wait-for-db": [attempt(0, 0, "Completed")],
            "migrate": [attempt(n, 1, "Error") for n in range(5)],
        },
        backoff="80s",
    )
    return cap, "kubectl-watch", {"pods": [expected]}


def s03() -> Scenario:
    cap = Capture("03-missed-transitions", T0 + timedelta(minutes=2), 5_010_000)
    pod = deployment_pod(
        cap,
        "invoicer",
        "billing",
        [
            C("render-config", "ghcr.io/acme/config-render:0.9.2", "init", resources=RES_SMALL),
            C("migrate", "ghcr.io/acme/invoicer-migrate:1.8.0", "init", resources=RES_SMALL),
            C(
                "invoicer",
                "ghcr.io/acme/invoicer:1.8.0",
                resources=RES_APP,
                readiness_probe=probe("/ready", 8080),
            ),
        ],
    )
    pod.extra_meta["managedFields"] = [
        {
            "manager": "kube-controller-manager",
            "operation": "Update",
            "apiVersion": "v1",
            "time": ts(cap.t),
            "fieldsType": "FieldsV1",
            "fieldsV1": {
                "f:metadata": {"f:generateName": {}, "f:labels": {".": {}, "f:pod-template-hash": {}}}
            },
        },
    ]
    pod.create()
    cap.tick(1)
    pod.schedule()
    cap.tick(1)
    pod.kubelet_first_status()
    cap.tick(1)
    pod.start_events("render-config")
    pod.sandbox_ready()
    pod.update()  # sandbox up, render-config still waiting PodInitializing
    pod.run("render-config")
    cap.tick(1)
    pod.exit("render-config", 0)  # ran < 1 s between two kubelet reports: seen waiting -> terminated
    pod.update()
    pod.start_events("migrate")
    cap.tick(1)
    pod.run("migrate")
    pod.update()
    cap.tick(3)
    pod.exit("migrate", 1, message="could not connect to server: Connection refused")
    pod.update()
    cap.tick(1)
    pod.start_events("migrate")
    pod.run("migrate")  # immediate first restart: rc 1
    pod.update()
    cap.tick(3)
    pod.exit("migrate", 1, message="could not connect to server: Connection refused")
    pod.update()
    last_seen = pod.rv
    cap.tick(30)
    cap.raw(
        "BOOKMARK",
        {
            "kind": "Pod",
            "apiVersion": "v1",
            "metadata": {"resourceVersion": cap.next_rv(), "creationTimestamp": None},
            "spec": {"containers": None},
            "status": {},
        },
    )
    # --- the watcher is disconnected: attempts 2 and 3 (and back-offs) happen unseen -------------------
    # the Pod's events watch broke too: nothing is recorded for the gap, the kubelet's events exist anyway.
    for number, delay in ((1, "10s"), (2, "20s"), (3, "40s")):
        pod.crash_backoff("migrate", delay)
        pod.refresh_conditions()
        cap.tick(int(delay[:-1]) + 1)
        pod.run("migrate")
        cap.tick(3)
        if number < 3:
            pod.exit("migrate", 1, message="could not connect to server: Connection refused")
    pod.rv = cap.next_rv()  # unseen writes still consume resourceVersions
    pod.rv = cap.next_rv()
    cap.tick(2)
    cap.raw(
        "ERROR",
        {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": f"too old resource version: {last_seen} ({cap.rv - 3})",
            "reason": "Expired",
            "code": 410,
        },
    )
    # re-watch without a resourceVersion: a synthetic ADDED with the current state (migrate attempt 4 running)
    cap.emit("pods", "ADDED", pod.render())
    cap.tick(5)
    pod.exit("migrate", 0)
    pod.update()
    pod.start_events("invoicer")
    cap.tick(1)
    pod.run("invoicer", ready=False)
    pod.phase = "Running"
    pod.update()
    cap.tick(10)
    pod.c("invoicer").ready = True
    pod.update()
    cap.raw(
        "BOOKMARK",
        {
            "kind": "Pod",
            "apiVersion": "v1",
            "metadata": {"resourceVersion": cap.next_rv(), "creationTimestamp": None},
            "spec": {"containers": None},
            "status": {},
        },
    )
    expected = pod_fact(
        pod,
        status="Running",
        restarts=0,
        phase="Running",
        deleted=False,
        diagnosis=None,
        diagnosis_container=None,
        attempts={
            "render-config": [attempt(0, 0, "Completed")],
            "migrate": [
                attempt(0, 1, "Error"),
                attempt(1, 1, "Error"),
                attempt(2, known=False),
                attempt(3, 1, "Error"),
                attempt(4, 0, "Completed"),
            ],
            "invoicer": [attempt(0)],
        },
        notes="migrate restartCount jumps 1 -> 4 across an ERROR 410 gap; attempt 2 is proven "
        "by restartCount but never shown (known false); attempt 3 comes from lastState "
        "of the re-listed object; render-config was only ever seen waiting then "
        "terminated.",
    )
    return cap, "raw-watch", {"pods": [expected]}


def s04() -> Scenario:
    cap = Capture("04-init-image-pull-backoff", T0 + timedelta(minutes=3), 5_120_000)
    image = "ghcr.io/acme/index-fetcher:3.2.0-rc1"
    pod = deployment_pod(
        cap,
        "search",
        "shop",
        [
            wait_for_db(),
            C("fetch-index", image, "init", resources=RES_SMALL),
            C("search", "ghcr.io/acme/search:3.1.7", resources=RES_APP),
        ],
    )
    err = (
        f'failed to pull and unpack image "{image}": failed to resolve reference "{image}": '
        f"{image}: not found"
    )
    rpc = f"rpc error: code = NotFound desc = {err}"
    pod.create()
    cap.tick(1)
    pod.schedule()
    cap.tick(1)
    pod.kubelet_first_status()
    cap.tick(1)
    pod.start_events("wait-for-db")
    pod.sandbox_ready()
    pod.run("wait-for-db")
    pod.update()
    cap.tick(2)
    pod.exit("wait-for-db", 0)
    pod.update()
    for delay in (10, 20, 40, 80, 160):
        pod.ev("Pulling", f'Pulling image "{image}"', c="fetch-index")
        cap.tick(1)
        pod.ev("Failed", f'Failed to pull image "{image}": {rpc}', type="Warning", c="fetch-index")
        pod.ev("Failed", "Error: ErrImagePull", type="Warning", c="fetch-index")
        pod.wait("fetch-index", "ErrImagePull", rpc)
        pod.update()
        cap.tick(1)
        pod.wait("fetch-index", "ImagePullBackOff", f'Back-off pulling image "{image}": ErrImagePull: {rpc}')
        pod.update()
        for _ in range(max(1, delay // 15)):
            pod.ev("BackOff", f'Back-off pulling image "{image}"', c="fetch-index")
            pod.ev("Failed", "Error: ImagePullBackOff", type="Warning", c="fetch-index")
            cap.tick(min(15, delay))
        cap.tick(max(0, delay - 15 * max(1, delay // 15)) + 1)
    expected = pod_fact(
        pod,
        status="Init:ImagePullBackOff",
        restarts=0,
        phase="Pending",
        deleted=False,
        diagnosis="image-pull",
        diagnosis_container="fetch-index",
        attempts={"wait-for-db": [attempt(0, 0, "Completed")]},
        pulls={"fetch-index": {"failures": 5}},
    )
    return cap, "kubectl-watch", {"pods": [expected]}


def s05() -> Scenario:
    cap = Capture("05-init-oomkilled", T0 + timedelta(minutes=4), 5_230_000)
    pod = deployment_pod(
        cap,
        "recommender",
        "ml",
        [
            C(
                "load-model",
                "ghcr.io/acme/model-loader:2.0.1",
                "init",
                resources={"limits": {"memory": "256Mi"}, "requests": {"cpu": "500m", "memory": "256Mi"}},
            ),
            C("recommender", "ghcr.io/acme/recommender:2.0.1", resources=RES_APP),
        ],
        pod_ip="10.244.2.41",
        host_ip="10.0.1.12",
    )
    pod.create()
    cap.tick(1)
    pod.schedule("node-2")
    cap.tick(1)
    pod.kubelet_first_status()
    cap.tick(1)
    pod.start_events("load-model", pulled="6.817s")
    pod.sandbox_ready()
    for number, delay in enumerate((None, "10s", "20s")):
        if number:
            pod.start_events("load-model")
        pod.run("load-model")
        pod.update()
        cap.tick(9)
        pod.exit("load-model", 137, "OOMKilled")
        pod.update()
        cap.tick(1)
        if delay is None:
            continue
        pod.crash_backoff("load-model", delay)
        pod.update()
        pod.backoff_event("load-model")
        if number == 2:
            break  # the capture ends during the 20s back-off
        cap.tick(int(delay[:-1]) + 1)
    expected = pod_fact(
        pod,
        status="Init:CrashLoopBackOff",
        restarts=2,
        phase="Pending",
        deleted=False,
        diagnosis="oom-killed",
        diagnosis_container="load-model",
        attempts={"load-model": [attempt(n, 137, "OOMKilled") for n in range(3)]},
    )
    return cap, "kubectl-watch", {"pods": [expected]}


def s06() -> Scenario:
    cap = Capture("06-create-container-config-error", T0 + timedelta(minutes=5), 5_340_000)
    render = C(
        "render-config",
        "ghcr.io/acme/config-render:0.9.2",
        "init",
        resources=RES_SMALL,
        extra={"envFrom": [{"configMapRef": {"name": "app-config"}}]},
    )
    pod = deployment_pod(
        cap, "checkout", "shop", [render, C("checkout", "ghcr.io/acme/checkout:4.4.0", resources=RES_APP)]
    )
    pod.create()
    cap.tick(1)
    pod.schedule()
    cap.tick(1)
    pod.kubelet_first_status()
    cap.tick(1)
    pod.sandbox_ready()
    # every sync: image present, then the config cannot be resolved; nothing is created
    for i in range(14):
        pod.ev("Pulled", cap.present_msg(render.image), c="render-config")
        pod.ev("Failed", 'Error: configmap "app-config" not found', type="Warning", c="render-config")
        if i == 0:
            pod.wait("render-config", "CreateContainerConfigError", 'configmap "app-config" not found')
            pod.update()
        cap.tick(13)
    expected = pod_fact(
        pod,
        status="Init:CreateContainerConfigError",
        restarts=0,
        phase="Pending",
        deleted=False,
        diagnosis="config-error",
        diagnosis_container="render-config",
        attempts={},
    )
    return cap, "kubectl-list", {"pods": [expected]}


def s07() -> Scenario:
    cap = Capture("07-job-init-failed-never", T0 + timedelta(minutes=6), 5_450_000)
    pod = job_pod(
        cap,
        "reindex-catalog",
        "batch",
        [
            C(
                "fetch-inputs",
                "ghcr.io/acme/fetcher:1.3.0",
                "init",
                resources=RES_SMALL,
                command=["/fetch", "--to=/work/inputs"],
            ),
            C("reindex", "ghcr.io/acme/reindexer:7.1.0", resources=RES_APP),
        ],
    )
    pod.create()
    cap.tick(1)
    pod.schedule()
    cap.tick(1)
    pod.kubelet_first_status()
    cap.tick(1)
    pod.start_events("fetch-inputs", pulled="812ms")
    pod.sandbox_ready()
    pod.run("fetch-inputs")
    pod.update()
    cap.tick(4)
    pod.exit("fetch-inputs", 2, message="download failed: inputs/catalog-2025-06-02.csv: 404 Not Found")
    pod.phase = "Failed"
    pod.update()
    cap.tick(1)
    pod.cond("PodReadyToStartContainers", "False")
    pod.unknown_after_termination()
    pod.update()
    cap.tick(1)
    pod.finalizers = []  # the Job controller has accounted for the Pod
    pod.write()
    expected = pod_fact(
        pod,
        status="Init:Error",
        restarts=0,
        phase="Failed",
        deleted=False,
        diagnosis="failed",
        diagnosis_container="fetch-inputs",
        attempts={"fetch-inputs": [attempt(0, 2, "Error")]},
        notes="the app container ends terminated 137 ContainerStatusUnknown with no containerID "
        "or times (kubelet TerminatePod): it never ran, so no attempt",
    )
    return cap, "kubectl-watch", {"pods": [expected]}


def s08() -> Scenario:
    cap = Capture("08-native-sidecar", T0 + timedelta(minutes=7), 5_560_000, kubelet="1.35")
    proxy = C(
        "proxy",
        "docker.io/istio/proxyv2:1.26.2",
        "sidecar",
        resources=RES_SMALL,
        startup_probe=probe("/healthz/ready", 15021, period=1, failure=30),
        extra={"args": ["proxy", "sidecar"]},
    )
    pod = deployment_pod(
        cap,
        "ledger",
        "payments",
        [
            proxy,
            C("migrate", "ghcr.io/acme/ledger-migrate:3.0.2", "init", resources=RES_SMALL),
            C(
                "ledger",
                "ghcr.io/acme/ledger:3.0.2",
                resources=RES_APP,
                readiness_probe=probe("/ready", 8080),
            ),
        ],
        pod_ip="10.244.1.57",
    )
    pod.create()
    cap.tick(1)
    pod.schedule()
    cap.tick(1)
    pod.kubelet_first_status()
    cap.tick(1)
    pod.start_events("proxy")
    pod.sandbox_ready()
    pod.run("proxy")  # started: false until the startup probe passes
    pod.update()
    cap.tick(1)
    pod.ev(
        "Unhealthy",
        'Startup probe failed: Get "http://10.244.1.57:15021/healthz/ready": dial tcp '
        "10.244.1.57:15021: connect: connection refused",
        type="Warning",
        c="proxy",
    )
    cap.tick(1)
    proxy.started = proxy.ready = True
    pod.update()
    pod.start_events("migrate", pulled="1.904s")
    cap.tick(1)
    pod.run("migrate")
    pod.update()
    cap.tick(7)
    pod.exit("migrate", 0)
    pod.update()
    pod.start_events("ledger")
    cap.tick(1)
    pod.run("ledger", ready=False)
    pod.phase = "Running"
    pod.update()
    cap.tick(8)
    pod.c("ledger").ready = True
    pod.update()
    # three minutes later the sidecar starts crashing
    cap.tick(180)
    for number, delay in enumerate((None, "10s", "20s", "40s")):
        pod.exit("proxy", 1)
        pod.update()
        cap.tick(1)
        if delay is None:
            pod.start_events("proxy")
            pod.run("proxy", started=False, ready=False)
            pod.update()
            cap.tick(2)
            proxy.started = proxy.ready = True
            pod.update()
            cap.tick(12)
            continue
        pod.crash_backoff("proxy", delay)
        pod.update()
        pod.backoff_event("proxy")
        if number == 3:
            break
        cap.tick(int(delay[:-1]) + 1)
        pod.start_events("proxy")
        pod.run("proxy", started=False, ready=False)
        pod.update()
        cap.tick(2)
        proxy.started = proxy.ready = True
        pod.update()
        cap.tick(10)
    expected = pod_fact(
        pod,
        status="Init:CrashLoopBackOff",
        restarts=3,
        phase="Running",
        deleted=False,
        diagnosis="crash-loop",
        diagnosis_container="proxy",
        attempts={
            "proxy": [attempt(n, 1, "Error") for n in range(4)],
            "migrate": [attempt(0, 0, "Completed")],
            "ledger": [attempt(0)],
        },
        ready="1/2",
        notes="k8s-semantics §3 example 12: a sidecar crash-looping after init keeps an Init: "
        "STATUS on a Running Pod; RESTARTS counts only the sidecar tally (3)",
    )
    return cap, "kubectl-watch", {"pods": [expected]}


def s09() -> Scenario:
    cap = Capture("09-sandbox-recreated", T0 + timedelta(minutes=8), 5_670_000)
    pod = deployment_pod(
        cap,
        "cart",
        "shop",
        [
            wait_for_db(),
            C("migrate", "ghcr.io/acme/cart-migrate:1.1.0", "init", resources=RES_SMALL),
            C("cart", "ghcr.io/acme/cart:1.1.0", resources=RES_APP),
        ],
        pod_ip="10.244.1.30",
    )
    healthy_start(pod)
    cap.tick(600)
    # node reboot: the kubelet finds the sandbox gone and the app container exited 255 (Unknown)
    pod.cond("PodReadyToStartContainers", "False")
    pod.exit("cart", 255, "Unknown")
    pod.pod_ip = ""
    pod.update()
    pod.ev("SandboxChanged", "Pod sandbox changed, it will be killed and re-created.")
    cap.tick(2)
    # new sandbox, new IP; init records purged: init restartCounts back to 0, init reruns from the first
    pod.sandbox_ready("10.244.1.74")
    for c in pod.inits:
        c.generation, c.ran, c.restart_count, c.ready, c.last_state = 1, False, 0, False, {}
        c.state = {"waiting": {"reason": "PodInitializing"}}
    pod.c("cart").generation = 1
    pod.start_events("wait-for-db")
    pod.run("wait-for-db")
    pod.update()
    cap.tick(3)
    pod.exit("wait-for-db", 0)
    pod.update()
    pod.start_events("migrate")
    cap.tick(1)
    pod.run("migrate")
    pod.update()
    cap.tick(4)
    pod.exit("migrate", 0)
    pod.update()
    pod.start_events("cart")
    cap.tick(1)
    pod.run("cart")  # restartCount 0 -> 1, lastState = the 255 exit
    pod.update()
    expected = pod_fact(
        pod,
        status="Running",
        restarts=1,
        phase="Running",
        deleted=False,
        diagnosis=None,
        diagnosis_container=None,
        attempts={
            "wait-for-db": [attempt(0, 0, "Completed"), attempt(0, 0, "Completed", generation=1)],
            "migrate": [attempt(0, 0, "Completed"), attempt(0, 0, "Completed", generation=1)],
            "cart": [attempt(0, 255, "Unknown"), attempt(1, generation=1)],
        },
        notes="init restartCounts stay 0 across the sandbox change: the second generation is "
        "recognised by the SandboxChanged event and new containerIDs, not by restartCount",
    )
    return cap, "kubectl-watch", {"pods": [expected]}


def s10() -> Scenario:
    cap = Capture("10-deleted-while-initializing", T0 + timedelta(minutes=9), 5_780_000)
    pod = deployment_pod(
        cap,
        "catalog",
        "shop",
        [
            C(
                "wait-for-db",
                "ghcr.io/acme/wait-for:1.2.0",
                "init",
                resources=RES_SMALL,
                command=["/wait-for", "db:5432", "--timeout=0"],
            ),
            C("migrate", "ghcr.io/acme/catalog-migrate:9.0.0", "init", resources=RES_SMALL),
            C("catalog", "ghcr.io/acme/catalog:9.0.0", resources=RES_APP),
        ],
    )
    pod.create()
    cap.tick(1)
    pod.schedule()
    cap.tick(1)
    pod.kubelet_first_status()
    cap.tick(1)
    pod.start_events("wait-for-db", pulled="655ms")
    pod.sandbox_ready()
    pod.run("wait-for-db")
    pod.update()
    cap.tick(130)
    pod.request_delete(30)  # the ReplicaSet is scaled down by a rollout
    pod.ev("Killing", "Stopping container wait-for-db", c="wait-for-db")
    cap.tick(1)
    pod.exit("wait-for-db", 143)  # wait-for handles SIGTERM
    pod.update()  # phase still Pending: STATUS Terminating
    cap.tick(1)
    pod.cond("PodReadyToStartContainers", "False")
    pod.phase = "Failed"
    pod.unknown_after_termination()
    pod.update()
    cap.tick(1)
    pod.finish_delete()
    expected = pod_fact(
        pod,
        status="Init:Error",
        restarts=0,
        phase="Failed",
        deleted=True,
        diagnosis=None,
        diagnosis_container=None,
        attempts={"wait-for-db": [attempt(0, 143, "Error")]},
        notes="the last object is terminal (Failed) with a deletionTimestamp: kubectl 1.35 "
        "prints Init:Error, not Terminating (Terminating while phase was Pending); the "
        "143 is the deletion's SIGTERM, not an init failure; catalog's "
        "ContainerStatusUnknown is no attempt",
    )
    return cap, "kubectl-watch", {"pods": [expected]}


def s11() -> Scenario:
    cap = Capture("11-unschedulable", T0 + timedelta(minutes=10), 5_890_000, node="node-4")
    pod = deployment_pod(
        cap,
        "trainer",
        "ml",
        [
            C("download-dataset", "ghcr.io/acme/dataset-sync:0.4.0", "init", resources=RES_SMALL),
            C(
                "trainer",
                "ghcr.io/acme/trainer:0.12.0",
                resources={"limits": {"memory": "24Gi"}, "requests": {"cpu": "8", "memory": "16Gi"}},
            ),
        ],
        pod_ip="10.244.4.9",
        host_ip="10.0.1.14",
    )
    msg = (
        "0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, "
        "2 Insufficient cpu. preemption: 0/3 nodes are available: "
        "1 Preemption is not helpful for scheduling, 2 No preemption victims found for incoming pod."
    )
    pod.create()
    cap.tick(1)
    pod.cond("PodScheduled", "False", "Unschedulable", msg)
    pod.write()
    cap.scheduler_event(pod, "FailedScheduling", msg, type="Warning")
    for wait in (10, 20, 40, 80, 160, 60):
        cap.tick(wait)
        cap.scheduler_event(pod, "FailedScheduling", msg, type="Warning")
    cap.tick(75)  # the cluster autoscaler adds node-4
    pod.cond("PodScheduled", "True")
    pod.node = "node-4"
    pod.write()
    cap.scheduler_event(pod, "Scheduled", f"Successfully assigned {pod.namespace}/{pod.name} to node-4")
    cap.tick(3)
    pod.kubelet_first_status()
    cap.tick(2)
    pod.start_events("download-dataset", pulled="4.227s")
    pod.sandbox_ready()
    pod.run("download-dataset")
    pod.update()
    cap.tick(40)
    pod.exit("download-dataset", 0)
    pod.update()
    pod.start_events("trainer", pulled="38.56s")
    cap.tick(1)
    pod.run("trainer")
    pod.phase = "Running"
    pod.update()
    expected = pod_fact(
        pod,
        status="Running",
        restarts=0,
        phase="Running",
        deleted=False,
        diagnosis=None,
        diagnosis_container=None,
        attempts={"download-dataset": [attempt(0, 0, "Completed")], "trainer": [attempt(0)]},
        notes="Events are the events.k8s.io/v1 view (note/regarding/deprecated*); the "
        "FailedScheduling repeats are counted in series.count (7 in all)",
    )
    return cap, "kubectl-watch-events-k8s-io", {"pods": [expected]}


def s12() -> Scenario:
    cap = Capture("12-failed-mount", T0 + timedelta(minutes=11), 6_000_000)
    creds = {"name": "smtp-credentials", "secret": {"secretName": "mailer-smtp", "defaultMode": 420}}
    mount = {"name": "smtp-credentials", "readOnly": True, "mountPath": "/etc/mailer/smtp"}
    pod = deployment_pod(
        cap,
        "mailer",
        "notify",
        [
            C(
                "render-templates",
                "ghcr.io/acme/mailer-templates:2.2.0",
                "init",
                resources=RES_SMALL,
                mounts=[mount],
            ),
            C("mailer", "ghcr.io/acme/mailer:2.2.0", resources=RES_APP, mounts=[mount]),
        ],
        volumes=[creds],
        pod_ip="10.244.1.88",
    )
    pod.create()
    cap.tick(1)
    pod.schedule()
    cap.tick(1)
    pod.kubelet_first_status()
    # kubelet volume manager retries with exponential back-off (0.5s doubling, capped at 2m2s)
    setup_failed = 'MountVolume.SetUp failed for volume "smtp-credentials" : secret "mailer-smtp" not found'
    for gap in (1, 1, 1, 2, 4, 8, 16, 32, 58):
        pod.ev("FailedMount", setup_failed, type="Warning")
        cap.tick(gap)
    pod.ev(
        "FailedMount",
        "Unable to attach or mount volumes: unmounted volumes=[smtp-credentials], unattached "
        f"volumes=[smtp-credentials {pod.api_volume}]: timed out waiting for the condition",
        type="Warning",
    )
    cap.tick(6)
    pod.ev("FailedMount", setup_failed, type="Warning")
    cap.tick(30)  # someone creates the Secret; the next retry mounts it
    pod.start_events("render-templates")
    pod.sandbox_ready()
    pod.run("render-templates")
    pod.update()
    cap.tick(2)
    pod.exit("render-templates", 0)
    pod.update()
    pod.start_events("mailer")
    cap.tick(1)
    pod.run("mailer")
    pod.phase = "Running"
    pod.update()
    expected = pod_fact(
        pod,
        status="Running",
        restarts=0,
        phase="Running",
        deleted=False,
        diagnosis=None,
        diagnosis_container=None,
        attempts={"render-templates": [attempt(0, 0, "Completed")], "mailer": [attempt(0)]},
        notes="while the Secret was missing (about 2.5 min, under the 5 min threshold) the "
        "diagnosis would have been mount (FailedMount, Pod not initialized)",
    )
    return cap, "kubectl-watch", {"pods": [expected]}


def s13() -> Scenario:
    cap = Capture("13-active-deadline-exceeded", T0 + timedelta(minutes=12), 6_110_000)
    pod = job_pod(
        cap,
        "export-orders",
        "batch",
        [
            C(
                "wait-for-export-lock",
                "busybox:1.36",
                "init",
                resources=RES_SMALL,
                command=["sh", "-c", "until [ ! -e /locks/export.lock ]; do sleep 5; done"],
            ),
            C("export", "ghcr.io/acme/exporter:2.9.0", resources=RES_APP),
        ],
        restart_policy="OnFailure",
        active_deadline=120,
    )
    pod.create()
    cap.tick(1)
    pod.schedule()
    cap.tick(1)
    pod.kubelet_first_status()
    cap.tick(1)
    pod.start_events("wait-for-export-lock")
    pod.sandbox_ready()
    pod.run("wait-for-export-lock")
    pod.update()
    cap.tick(119)  # startTime + 120s
    deadline = "Pod was active on the node longer than the specified deadline"
    pod.ev("DeadlineExceeded", deadline)
    pod.phase, pod.reason, pod.message = "Failed", "DeadlineExceeded", deadline
    pod.update()
    pod.ev("Killing", "Stopping container wait-for-export-lock", c="wait-for-export-lock")
    cap.tick(30)  # sh as PID 1 ignores SIGTERM: SIGKILL after the 30s grace period
    pod.exit("wait-for-export-lock", 137)
    pod.cond("PodReadyToStartContainers", "False")
    pod.unknown_after_termination()
    pod.update()
    cap.tick(1)
    pod.finalizers = []
    pod.write()
    expected = pod_fact(
        pod,
        status="Init:Error",
        restarts=0,
        phase="Failed",
        deleted=False,
        diagnosis="deadline",
        diagnosis_container=None,
        attempts={"wait-for-export-lock": [attempt(0, 137, "Error")]},
        notes="status.reason is DeadlineExceeded, but kubectl's init walk overrides it: the "
        "killed init container (137 Error) prints Init:Error",
    )
    return cap, "kubectl-watch", {"pods": [expected]}


def s14() -> Scenario:
    cap = Capture("14-slow-init", T0 + timedelta(minutes=13), 6_220_000)
    pod = deployment_pod(
        cap,
        "reports-api",
        "analytics",
        [
            wait_for_db(),
            C("migrate", "ghcr.io/acme/reports-migrate:1.0.3", "init", resources=RES_SMALL),
            C(
                "reports-api",
                "ghcr.io/acme/reports-api:1.0.3",
                resources=RES_APP,
                readiness_probe=probe("/ready", 8000),
            ),
        ],
    )
    healthy_start(pod, durations={"wait-for-db": 540, "migrate": 6})
    expected = pod_fact(
        pod,
        status="Running",
        restarts=0,
        phase="Running",
        deleted=False,
        diagnosis=None,
        diagnosis_container=None,
        attempts={
            "wait-for-db": [attempt(0, 0, "Completed")],
            "migrate": [attempt(0, 0, "Completed")],
            "reports-api": [attempt(0)],
        },
        notes="wait-for-db ran 9m0s; between 5 and 9 minutes into it the diagnosis was slow "
        "(wait-for-db); at the last record the Pod is Ready, so no diagnosis",
    )
    return cap, "kubectl-pretty", {"pods": [expected]}


def s15() -> Scenario:
    cap = Capture("15-statefulset-recreated", T0 + timedelta(minutes=14), 6_330_000)
    sts_uid = uid(cap.name, "sts", "db")

    def make(rev: str, ip: str) -> Pod:
        return Pod(
            cap,
            name="db-0",
            namespace="data",
            owner=("StatefulSet", "db", sts_uid),
            labels={
                "app.kubernetes.io/name": "db",
                "apps.kubernetes.io/pod-index": "0",
                "controller-revision-hash": rev,
                "statefulset.kubernetes.io/pod-name": "db-0",
            },
            containers=[
                C(
                    "init-permissions",
                    "busybox:1.36",
                    "init",
                    resources=RES_SMALL,
                    command=["sh", "-c", "chown -R 999:999 /var/lib/postgresql/data"],
                    mounts=[{"name": "data", "mountPath": "/var/lib/postgresql/data"}],
                ),
                C(
                    "postgres",
                    "docker.io/library/postgres:16.3",
                    resources=RES_APP,
                    readiness_probe={
                        "exec": {"command": ["pg_isready", "-U", "postgres"]},
                        "timeoutSeconds": 1,
                        "periodSeconds": 5,
                        "successThreshold": 1,
                        "failureThreshold": 3,
                    },
                    mounts=[{"name": "data", "mountPath": "/var/lib/postgresql/data"}],
                ),
            ],
            volumes=[{"name": "data", "persistentVolumeClaim": {"claimName": "data-db-0"}}],
            extra_spec={"hostname": "db-0", "subdomain": "db"},
            pod_ip=ip,
            created=cap.t,
        )

    old = make("db-6b7f9c8d5", "10.244.1.40")
    healthy_start(old, pulls={"postgres": "9.12s"}, ready_after=4)
    cap.tick(300)
    old.request_delete(30)  # rolling update of the StatefulSet
    old.ev("Killing", "Stopping container postgres", c="postgres")
    cap.tick(2)
    old.exit("postgres", 0)  # smart shutdown on SIGTERM
    old.c("postgres").ready = False
    old.phase = "Succeeded"
    old.cond("PodReadyToStartContainers", "False")
    old.update()
    cap.tick(1)
    old.finish_delete()
    cap.tick(1)
    new = make("db-7c9d8b6f4", "10.244.1.77")
    healthy_start(new, ready_after=4)
    old_fact = pod_fact(
        old,
        status="Completed",
        restarts=0,
        phase="Succeeded",
        deleted=True,
        diagnosis=None,
        diagnosis_container=None,
        attempts={"init-permissions": [attempt(0, 0, "Completed")], "postgres": [attempt(0, 0, "Completed")]},
    )
    new_fact = pod_fact(
        new,
        status="Running",
        restarts=0,
        phase="Running",
        deleted=False,
        diagnosis=None,
        diagnosis_container=None,
        attempts={"init-permissions": [attempt(0, 0, "Completed")], "postgres": [attempt(0)]},
    )
    for fact in (old_fact, new_fact):
        fact["owner"] = {"kind": "StatefulSet", "name": "db"}
    return (
        cap,
        "kubectl-watch",
        {"pods": [old_fact, new_fact], "notes": "same name db-0, two uids: two timelines"},
    )


SCENARIOS: list[Callable[[], Scenario]] = [
    s01,
    s02,
    s03,
    s04,
    s05,
    s06,
    s07,
    s08,
    s09,
    s10,
    s11,
    s12,
    s13,
    s14,
    s15,
]


# ---------------------------------------------------------------------------------------------------------
# writers (framings as k8s-semantics §6 "kubectl framing" describes them)


def _strip_for_kubectl(obj: dict[str, Any]) -> dict[str, Any]:
    """kubectl omits managedFields unless --show-managed-fields."""
    meta = obj.get("metadata")
    if isinstance(meta, dict) and "managedFields" in meta:
        obj = dict(obj, metadata={k: v for k, v in meta.items() if k != "managedFields"})
    return obj


def to_events_k8s_io(ev: dict[str, Any]) -> dict[str, Any]:
    """The events.k8s.io/v1 view of a core/v1 Event (k8s-semantics §5)."""
    out: dict[str, Any] = {
        "kind": "Event",
        "apiVersion": "events.k8s.io/v1",
        "metadata": ev["metadata"],
        "eventTime": ev.get("eventTime"),
    }
    if "series" in ev:
        out["series"] = ev["series"]
    out["reportingController"] = ev.get("reportingComponent", "")
    out["reportingInstance"] = ev.get("reportingInstance", "")
    if ev.get("action"):
        out["action"] = ev["action"]
    out["reason"] = ev["reason"]
    out["regarding"] = ev["involvedObject"]
    out["note"] = ev["message"]
    out["type"] = ev["type"]
    if ev.get("source"):
        out["deprecatedSource"] = ev["source"]
    if ev.get("firstTimestamp"):
        out["deprecatedFirstTimestamp"] = ev["firstTimestamp"]
    if ev.get("lastTimestamp"):
        out["deprecatedLastTimestamp"] = ev["lastTimestamp"]
    if ev.get("count"):
        out["deprecatedCount"] = ev["count"]
    return out


def _go_json_indent(obj: Any) -> bytes:
    """Like Go's json.MarshalIndent(obj, "", "    ") on a map: sorted keys, 4-space indent."""
    return json.dumps(obj, indent=4, sort_keys=True, ensure_ascii=False).encode() + b"\n"


def render(cap: Capture, fmt: str) -> bytes:
    out: list[bytes] = []
    if fmt == "kubectl-list":
        pods: dict[str, dict] = {}
        events: dict[str, dict] = {}
        for stream, _etype, obj in cap.records:
            target = pods if stream == "pods" else events
            target[obj["metadata"]["uid"]] = _strip_for_kubectl(obj)
        lst = {
            "apiVersion": "v1",
            "items": [*pods.values(), *events.values()],
            "kind": "List",
            "metadata": {"resourceVersion": ""},
        }
        return _go_json_indent(lst)
    for stream, etype, obj in cap.records:
        if fmt == "raw-watch":
            out.append(orjson.dumps({"type": etype, "object": obj}) + b"\n")
            continue
        if etype in ("BOOKMARK", "ERROR"):
            continue  # kubectl does not print them
        obj = _strip_for_kubectl(obj)
        if stream == "events" and fmt == "kubectl-watch-events-k8s-io":
            obj = to_events_k8s_io(obj)
        if fmt == "kubectl-pretty":
            if etype == "DELETED":
                continue  # without --output-watch-events a deletion prints the final state again
            out.append(_go_json_indent(obj))
        else:
            out.append(orjson.dumps({"object": obj, "type": etype}, option=orjson.OPT_SORT_KEYS) + b"\n")
    return b"".join(out)


FORMAT_FILES = {"raw-watch": ".jsonl"}


def main(argv: list[str]) -> int:
    for build in SCENARIOS:
        cap, fmt, expected = build()
        path = HERE / f"{cap.name}{FORMAT_FILES.get(fmt, '.json')}"
        path.write_bytes(render(cap, fmt))
        last = cap.last_time
        expected = {
            "sample": path.name,
            "format": fmt,
            "evaluated_at": ts(last),
            "stuck_threshold_seconds": 300,
            "note": STUCK_NOTE,
            **expected,
        }
        (HERE / "expected" / f"{cap.name}.json").write_bytes(
            orjson.dumps(expected, option=orjson.OPT_INDENT_2) + b"\n"
        )
        print(f"{path.name}: {len(cap.records)} records, {path.stat().st_size} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
