"""The simulator's core: the shared cluster state every part works on, and the Pod operations of the API.

:class:`Cluster` owns the store (one global resourceVersion), the clock, the random source and id
maker, the Event recorder, the ground truth, the container logs, the faults, the nodes, each Pod's
behaviour and the API server's settings. It implements what the API server does to Pods (admit,
graceful delete, final removal, ``pods/log``).

The parts (kubelet, scheduler, controllers, scenarios, HTTP server) import this module and receive a
:class:`Cluster`; the core never imports them. It reaches the kubelet and the controllers only through
the small :class:`NodeAgent` and :class:`Workloads` protocols, filled in by the assembly
(:class:`kubesim.sim.KubeSim`), so there is no import circle.
"""

from __future__ import annotations

import random
import secrets
from dataclasses import dataclass, field
from typing import Any, Protocol

from .behavior import PodBehavior
from .clock import Clock, ManualClock, RealClock
from .events import EventRecorder
from .faults import Faults
from .logs import LogBook
from .logs import render as render_log
from .objects import admit_pod, namespace_obj, node_obj
from .store import BadRequest, NotFound, Store
from .truth import GroundTruth
from .util import Ids, rfc3339

DEFAULT_USER = "system:serviceaccount:initscope:initscope"


@dataclass
class NodeState:
    """A node as the scheduler and kubelet see it: its image cache and its (serial) image puller."""

    name: str
    index: int
    ip: str
    images: set = field(default_factory=set)
    pull_free_at: float = 0.0
    next_ip: int = 2
    pods: int = 0
    ready: bool = True  #: False once a scenario's node problem made it NotReady (its Pods are stuck)
    disk_pressure: bool = False  #: image pulls fail with "no space left on device"
    max_parallel_pulls: int = 1  #: kubelet ``maxParallelImagePulls`` (1: serialized pulls)
    pull_slots: list = field(default_factory=list)  #: when each parallel pull slot frees up
    crash_backoff_initial: float = 10.0  #: kubelet crash-loop back-off: first delay (docs §4)
    crash_backoff_max: float = 300.0  #: … and its cap (``crashLoopBackOff.maxContainerRestartPeriod``)

    def allocate_ip(self) -> str:
        ip = f"10.244.{self.index}.{self.next_ip}"
        self.next_ip = self.next_ip + 1 if self.next_ip < 250 else 2
        return ip


class NodeAgent(Protocol):
    """What the core and the scheduler need from the kubelet."""

    pods: dict[str, Any]

    def admit(self, pod: dict, node: NodeState, behavior: PodBehavior) -> None: ...

    def delete(self, uid: str, grace: float) -> None: ...

    def remove(self, run: Any) -> None: ...

    def stop_reporting(self, node: str) -> None: ...


class Workloads(Protocol):
    """What scenarios and the HTTP server need from the workload controllers."""

    def create(self, w: Any) -> None: ...

    def rollout(self, namespace: str, name: str) -> None: ...


class Cluster:
    """The state of one simulated cluster, shared by all parts; see the module docstring."""

    kubelet: NodeAgent
    controllers: Workloads
    volumes: Any  # the persistentvolume-controller (kubesim.controllers.VolumeClaims)
    node_lifecycle: Any  # kubesim.controllers.NodeLifecycle

    def __init__(
        self,
        *,
        clock: Clock | None = None,
        speed: float = 1.0,
        seed: int = 0,
        host: str = "127.0.0.1",
        port: int = 0,
        token: str | None = None,
        tls: bool = False,
        history_size: int = 10_000,
        event_ttl: float = 3600.0,
        max_events: int = 50_000,
        ground_truth: Any = None,
        truth_limit: int = 200_000,
        forbidden: set[tuple[str, ...]] | None = None,
        user: str = DEFAULT_USER,
        bookmark_interval: float = 60.0,
        nodes: int = 3,
        node_cpu: float = 4.0,
        max_watch_queue: int = 200_000,
        record_events: bool = True,
    ) -> None:
        self.clock: Clock = clock if clock is not None else RealClock(speed)
        self.rng = random.Random(seed)
        self.ids = Ids(self.rng)
        self.store = Store(history_size=history_size)
        self.events = EventRecorder(self.store, self.clock, self.ids, ttl=event_ttl, max_events=max_events)
        self.events.enabled = record_events  # off: no Event objects at all (Pod-only streams)
        self.truth = GroundTruth(ground_truth, limit=truth_limit)
        self.logs = LogBook()
        self.faults = Faults()
        self.nodes: dict[str, NodeState] = {}
        self.node_count = nodes
        self.node_cpu = node_cpu
        self.behaviors: dict[str, PodBehavior] = {}
        # the API server's settings (read by kubesim.server)
        self.host = host
        self.port = port
        self.token = token or secrets.token_hex(16)
        self.tls = tls
        self.user = user
        # (verb, resource) or (verb, resource, namespace); "*" matches any verb or resource
        self.forbidden: set[tuple[str, ...]] = set(forbidden or ())
        self.bookmark_interval = bookmark_interval
        self.max_watch_queue = max_watch_queue
        self.ca_path: str | None = None
        self.tls_files: tuple[str, str, str] | None = None
        self.scenario_name = ""
        # controllers' own Events (ScalingReplicaSet, SuccessfulCreate …): on in scenarios that ask
        # for them, off by default so the Pod-centred recordings stay as they were
        self.controller_events = False

    def advance(self, seconds: float) -> int:
        """Advance a :class:`ManualClock`, running everything due (on the simulator's loop thread)."""
        if not isinstance(self.clock, ManualClock):
            raise TypeError("advance() needs a ManualClock")
        return self.clock.advance(seconds)

    def setup_nodes(self) -> None:
        """Create the cluster's ``node_count`` Nodes (``kubesim-node-N``) and their kubelet-side state."""
        now = self.clock.now()
        for i in range(self.node_count):
            name = f"kubesim-node-{i + 1}"
            self.store.create("nodes", node_obj(name, str(int(self.node_cpu)), "16Gi", self.ids, now, i))
            self.nodes[name] = NodeState(name, i, f"172.18.0.{i + 2}")

    def ensure_namespace(self, name: str) -> None:
        if self.store.get("namespaces", "", name) is None:
            self.store.create("namespaces", namespace_obj(name, self.ids, self.clock.now()))

    # ------------------------------------------------------------ pods
    def behavior_of(self, uid: str) -> PodBehavior:
        return self.behaviors.get(uid) or PodBehavior()

    def create_pod(
        self, manifest: dict, behavior: PodBehavior | None = None, manager: str = "kube-controller-manager"
    ) -> dict:
        """Admit and store a Pod; the scheduler and kubelet take it from there."""
        for _ in range(8):  # generateName collisions are retried, as controllers do on 409
            pod = admit_pod(manifest, self.ids, self.clock.now(), manager)
            if (
                not manifest.get("metadata", {}).get("generateName")
                or self.store.get("pods", pod["metadata"]["namespace"], pod["metadata"]["name"]) is None
            ):
                break
        self.ensure_namespace(pod["metadata"]["namespace"])
        stored = self.store.create("pods", pod)
        self.behaviors[pod["metadata"]["uid"]] = behavior or PodBehavior()
        return stored

    def delete_pod(
        self, ns: str, name: str, grace: float | None = None, uid: str | None = None
    ) -> dict | None:
        """DELETE semantics: set deletionTimestamp (request time + grace) and let the kubelet stop the
        Pod; immediate for unbound Pods or ``grace == 0``. Returns the stored (or deleted) object."""
        obj = self.store.get("pods", ns, name)
        if obj is None:
            raise NotFound(f'pods "{name}" not found', {"name": name, "kind": "pods"})
        md = obj["metadata"]
        if uid is not None and md["uid"] != uid:
            return None
        if md.get("deletionTimestamp"):
            return obj
        if grace is None:
            grace = obj["spec"].get("terminationGracePeriodSeconds", 30)
        run = self.kubelet.pods.get(md["uid"])
        if run is None or grace == 0:
            if run is not None:
                self.kubelet.remove(run)
            return self.remove_pod(ns, name, md["uid"])
        now = self.clock.now()
        obj = self.store.update(
            "pods",
            {
                **obj,
                "metadata": {
                    **md,
                    "deletionTimestamp": rfc3339(now + grace),
                    "deletionGracePeriodSeconds": int(grace),
                },
            },
        )
        self.kubelet.delete(md["uid"], float(grace))
        return obj

    def remove_pod(self, ns: str, name: str, uid: str) -> dict | None:
        """The object leaves the store (DELETED) and the ground truth records the deletion."""
        obj = self.store.get("pods", ns, name)
        if obj is None or obj["metadata"]["uid"] != uid:
            return None
        deleted = self.store.delete("pods", ns, name)
        self.truth.deletion(ns, name, uid, self.clock.now())
        self.behaviors.pop(uid, None)
        return deleted

    def pod_log(
        self,
        ns: str,
        name: str,
        container: str | None,
        *,
        previous: bool = False,
        tail: int | None = None,
        since_seconds: float | None = None,
        timestamps: bool = False,
    ) -> bytes:
        """The text ``GET pods/{name}/log`` returns, with the real server's 400 messages."""
        pod = self.store.get("pods", ns, name)
        if pod is None:
            raise NotFound(f'pods "{name}" not found', {"name": name, "kind": "pods"})
        uid = pod["metadata"]["uid"]
        apps = [c["name"] for c in pod["spec"].get("containers") or []]
        inits = [c["name"] for c in pod["spec"].get("initContainers") or []]
        if not container:
            if len(apps) != 1:
                raise BadRequest(
                    f"a container name must be specified for pod {name}, choose one of: "
                    f"[{' '.join(apps)}] or one of the init containers: [{' '.join(inits)}]"
                )
            container = apps[0]
        if container not in apps and container not in inits:
            raise BadRequest(f"container {container} is not valid for pod {name}")
        attempt = self.logs.previous(uid, container) if previous else self.logs.current(uid, container)
        if attempt is None:
            if previous:
                raise BadRequest(f'previous terminated container "{container}" in pod "{name}" not found')
            statuses = (pod["status"].get("initContainerStatuses") or []) + (
                pod["status"].get("containerStatuses") or []
            )
            st = next((s for s in statuses if s["name"] == container), None)
            reason = ((st or {}).get("state", {}).get("waiting") or {}).get("reason", "ContainerCreating")
            raise BadRequest(f'container "{container}" in pod "{name}" is waiting to start: {reason}')
        now = self.clock.now()
        since = now - since_seconds if since_seconds is not None else None
        return render_log(attempt.entries(now), timestamps=timestamps, tail=tail, since=since)
