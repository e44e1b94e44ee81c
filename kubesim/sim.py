"""The assembly: :class:`KubeSim` wires the core to its parts and runs them.

Usage (inside a running event loop)::

    sim = KubeSim(scenario="crash-loop", clock=ManualClock())
    url = await sim.start()          # binds 127.0.0.1 on a free port unless port= is given
    sim.advance(30)                  # ManualClock only: run 30 simulated seconds
    sim.truth.attempts()             # ground truth
    sim.faults.apply({"expire_next_watches": 1})
    await sim.stop()

The state and the Pod operations live in :mod:`kubesim.core` (``KubeSim`` is a
:class:`~kubesim.core.Cluster`); this module only builds the kubelet, scheduler, controllers and
scenario on it, serves HTTP and drives the clock. :meth:`KubeSim.boot` sets the cluster up without
serving (for recordings on a manual clock, see :mod:`kubesim.recorder`).

All simulator state lives on the event loop that called :meth:`start`; from another thread use
:mod:`kubesim.testing` (``running_kubesim``), which marshals calls onto that loop.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
from pathlib import Path

import yaml

from .bulk import settle_replicas
from .clock import Clock
from .controllers import Controllers, NodeLifecycle, VolumeClaims
from .core import DEFAULT_USER, Cluster
from .kubelet import Kubelet
from .scenarios import load_scenario
from .scheduler import Scheduler

log = logging.getLogger("kubesim")

__all__ = ["DEFAULT_USER", "KubeSim"]


class KubeSim(Cluster):
    """A Kubernetes API server with a virtual kubelet playing a scenario.

    ``scenario`` is a built-in name (see :func:`kubesim.scenarios.builtin_names`), a path to a
    YAML/JSON file, a dict in that format, or a :class:`kubesim.scenarios.Scenario`.
    ``clock`` defaults to ``RealClock(speed)``. ``forbidden`` is a set of ``(verb, resource)``
    pairs answered with 403 (resource may be ``pods/log``), or ``(verb, resource, namespace)`` triples
    that deny only requests in that namespace (``"*"`` matches any verb or resource). ``port=0`` picks
    a free port. The other keywords are :class:`~kubesim.core.Cluster`'s.
    """

    def __init__(
        self,
        scenario=None,
        *,
        clock: Clock | None = None,
        status_interval: float = 1.0,
        scenario_options: dict | None = None,
        **settings,
    ) -> None:
        super().__init__(clock=clock, **settings)
        self.kubelet = Kubelet(self, status_interval=status_interval)
        self.scheduler = Scheduler(self)
        self.controllers = Controllers(self)
        self.controllers.settle = lambda owner, count: settle_replicas(self, owner, count)
        self.volumes = VolumeClaims(self)
        self.node_lifecycle = NodeLifecycle(self)
        self.scenario = load_scenario(scenario or "healthy", **(scenario_options or {}))
        self.scenario_name = self.scenario.name
        self.loop: asyncio.AbstractEventLoop | None = None
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

    def boot(self) -> None:
        """Set up the cluster (nodes, namespaces) and the scenario; first call only. No HTTP."""
        if self._started:
            return
        self._started = True
        self.started_at = self.clock.now()
        self._setup_cluster()
        self.events.start()
        self.scenario.setup(self)

    async def start(self) -> str:
        """Boot (first call only), serve HTTP, drive the clock."""
        from .server import ApiServer  # aiohttp only when serving

        self.loop = asyncio.get_running_loop()
        self.boot()
        self._server = ApiServer(self, restart=self.restart)
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
        """Restart the API server on the same port: every connection drops, the stored state is
        kept, and the watch caches start again at the current resourceVersion (a Pod watch from an
        older RV then gets 410, docs/kubernetes.md §6 "Observed")."""
        if self._server is not None:
            await self._server.stop()
        self.store.reset_watch_cache()
        from .server import ApiServer

        self._server = ApiServer(self, restart=self.restart)
        for _ in range(50):
            try:
                await self._server.start(self.host, self.port)
                return
            except OSError:
                await asyncio.sleep(0.05)
        raise RuntimeError(f"could not rebind port {self.port}")

    def close(self) -> None:
        self.truth.close()

    def _setup_cluster(self) -> None:
        for ns in ("default", "kube-system", "kube-public", "kube-node-lease"):
            self.ensure_namespace(ns)
        self.setup_nodes()

    # ------------------------------------------------------------ kubeconfig
    def kubeconfig(self, context: str = "kubesim") -> dict:
        cluster: dict = {"server": self.url}
        if self.tls and self.ca_path:
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
