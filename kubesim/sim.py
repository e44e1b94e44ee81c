"""``KubeSim``: the simulator — store, scheduler, kubelet, controllers, scenario and HTTP server.

Usage (inside a running event loop)::

    sim = KubeSim(scenario="crash-loop", clock=ManualClock())
    url = await sim.start()          # binds 127.0.0.1 on a free port unless port= is given
    sim.advance(30)                  # ManualClock only: run 30 simulated seconds
    sim.truth.attempts()             # ground truth
    sim.faults.apply({"expire_next_watches": 1})
    await sim.stop()

All simulator state lives on the event loop that called :meth:`start`; from another thread use
:mod:`kubesim.testing` (``running_kubesim``), which marshals calls onto that loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import secrets
from pathlib import Path

import yaml

from .behavior import PodBehavior
from .clock import Clock, ManualClock, RealClock
from .controllers import Controllers
from .events import EventRecorder
from .faults import Faults
from .kubelet import Kubelet, NodeState
from .logs import LogBook
from .logs import render as render_log
from .objects import admit_pod, namespace_obj, node_obj
from .scheduler import Scheduler
from .store import BadRequest, NotFound, Store
from .truth import GroundTruth
from .util import Ids, rfc3339

log = logging.getLogger("kubesim")

DEFAULT_USER = "system:serviceaccount:initscope:initscope"


class KubeSim:
    """A Kubernetes API server with a virtual kubelet playing a scenario.

    ``scenario`` is a built-in name (see :func:`kubesim.scenarios.builtin_names`), a path to a
    YAML/JSON file, a dict in that format, or a :class:`kubesim.scenarios.Scenario`.
    ``clock`` defaults to ``RealClock(speed)``. ``forbidden`` is a set of ``(verb, resource)``
    pairs answered with 403 (resource may be ``pods/log``). ``port=0`` picks a free port.
    """

    def __init__(
        self,
        scenario=None,
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
        ground_truth: str | Path | None = None,
        truth_limit: int = 200_000,
        forbidden: set[tuple[str, str]] | None = None,
        user: str = DEFAULT_USER,
        bookmark_interval: float = 60.0,
        nodes: int = 3,
        node_cpu: float = 4.0,
        status_interval: float = 1.0,
        scenario_options: dict | None = None,
        max_watch_queue: int = 200_000,
    ) -> None:
        from .scenarios import load_scenario

        self.clock: Clock = clock if clock is not None else RealClock(speed)
        self.rng = random.Random(seed)
        self.ids = Ids(self.rng)
        self.store = Store(history_size=history_size)
        self.events = EventRecorder(self.store, self.clock, self.ids, ttl=event_ttl, max_events=max_events)
        self.truth = GroundTruth(ground_truth, limit=truth_limit)
        self.logs = LogBook()
        self.faults = Faults()
        self.host = host
        self.port = port
        self.token = token or secrets.token_hex(16)
        self.tls = tls
        self.user = user
        self.forbidden: set[tuple[str, str]] = set(forbidden or ())
        self.bookmark_interval = bookmark_interval
        self.max_watch_queue = max_watch_queue
        self.node_count = nodes
        self.node_cpu = node_cpu
        self.behaviors: dict[str, PodBehavior] = {}
        self.kubelet = Kubelet(self, status_interval=status_interval)
        self.scheduler = Scheduler(self)
        self.controllers = Controllers(self)
        self.scenario = load_scenario(scenario or "healthy", **(scenario_options or {}))
        self.loop: asyncio.AbstractEventLoop | None = None
        self.ca_path: str | None = None
        self._server = None
        self._driver: asyncio.Task | None = None
        self._started = False
        self.started_at: float | None = None

    # ------------------------------------------------------------ lifecycle
    @property
    def url(self) -> str:
        scheme = "https" if self.tls else "http"
        host = "127.0.0.1" if self.host in ("0.0.0.0", "") else self.host  # noqa: S104
        return f"{scheme}://{host}:{self.port}"

    async def start(self) -> str:
        """Set up the cluster and scenario (first call only), serve HTTP, drive the clock."""
        from .server import ApiServer

        self.loop = asyncio.get_running_loop()
        if not self._started:
            self._started = True
            self.started_at = self.clock.now()
            self._setup_cluster()
            self.events.start()
            self.scenario.setup(self)
        self._server = ApiServer(self)
        self.port = await self._server.start(self.host, self.port)
        self._driver = asyncio.create_task(self.clock.drive())
        log.info("kubesim serving %s (scenario %s)", self.url, self.scenario.name)
        return self.url

    async def stop(self) -> None:
        if self._driver is not None:
            self._driver.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._driver
            self._driver = None
        if self._server is not None:
            await self._server.stop()
            self._server = None

    async def restart(self) -> None:
        """Restart the HTTP server on the same port; every connection drops, all state is kept."""
        if self._server is not None:
            await self._server.stop()
        from .server import ApiServer

        self._server = ApiServer(self)
        for _ in range(50):
            try:
                await self._server.start(self.host, self.port)
                return
            except OSError:
                await asyncio.sleep(0.05)
        raise RuntimeError(f"could not rebind port {self.port}")

    def close(self) -> None:
        self.truth.close()

    def advance(self, seconds: float) -> int:
        """Advance a :class:`ManualClock` (on the simulator's loop thread)."""
        if not isinstance(self.clock, ManualClock):
            raise TypeError("advance() needs a ManualClock")
        return self.clock.advance(seconds)

    def _setup_cluster(self) -> None:
        now = self.clock.now()
        for ns in ("default", "kube-system", "kube-public", "kube-node-lease"):
            self.ensure_namespace(ns)
        for i in range(self.node_count):
            name = f"kubesim-node-{i + 1}"
            self.store.create("nodes", node_obj(name, str(int(self.node_cpu)), "16Gi", self.ids, now, i))
            self.kubelet.nodes[name] = NodeState(name, i, f"172.18.0.{i + 2}")

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
        """DELETE semantics: set deletionTimestamp and let the kubelet stop the Pod; immediate for
        unbound Pods or ``grace == 0``. Returns the stored object (or the deleted one)."""
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
        pr = self.kubelet.pods.get(md["uid"])
        if pr is None or grace == 0:
            if pr is not None:
                self.kubelet.remove(pr)
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

    # ------------------------------------------------------------ kubeconfig
    def kubeconfig(self, context: str = "kubesim") -> dict:
        cluster: dict = {"server": self.url}
        if self.tls and self.ca_path:
            import base64

            cluster["certificate-authority-data"] = base64.b64encode(Path(self.ca_path).read_bytes()).decode()
        return {
            "apiVersion": "v1",
            "kind": "Config",
            "preferences": {},
            "clusters": [{"name": context, "cluster": cluster}],
            "users": [{"name": context, "user": {"token": self.token}}],
            "contexts": [
                {"name": context, "context": {"cluster": context, "user": context, "namespace": "default"}}
            ],
            "current-context": context,
        }

    def write_kubeconfig(self, path: str | Path, context: str = "kubesim") -> str:
        """Write a kubeconfig reaching this server (token, and CA with TLS); returns the path."""
        path = Path(path)
        path.write_text(yaml.safe_dump(self.kubeconfig(context), sort_keys=False))
        path.chmod(0o600)
        return str(path)
