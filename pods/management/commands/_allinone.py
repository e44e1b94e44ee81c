"""The parts `manage.py serve` runs beside Daphne, in the same process: a Celery worker and beat in
threads (the in-memory channel layer and the memory:// broker only work inside one process; with REDIS_URL
they simply join the shared broker), and with `--demo` kubesim's `demo` scenario. Each part has `start()`
and `stop(timeout)`; stopping never blocks longer than its timeout.
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from django.conf import settings

if TYPE_CHECKING:
    from celery import Celery
    from celery.beat import EmbeddedService
    from celery.worker import WorkController

    from kubesim.testing import RunningKubeSim

log = logging.getLogger("initscope.serve")

WATCH_QUEUES = ["watch", "default"]
DEMO_CLUSTER = "demo"


class EmbeddedWorker:
    """A Celery worker consuming the watch and default queues, with a threads pool, in a daemon thread.

    Celery's own `WorkController` (what `celery worker` runs, without the command's signal handlers,
    which only the main thread may install: Daphne owns Ctrl-C here and `stop()` ends the worker).
    """

    def __init__(self, app: Celery, *, concurrency: int) -> None:
        self.app = app
        self.concurrency = concurrency
        self.controller: WorkController | None = None
        self.thread: threading.Thread | None = None
        self.ready = threading.Event()

    def start(self, timeout: float = 60.0) -> None:
        """Start the worker and wait (up to `timeout` seconds) until it consumes."""
        from celery.utils.nodenames import anon_nodename

        self.app.set_current()
        self.app.set_default()
        self.app.finalize()
        self.app.loader.import_default_modules()
        self.controller = self.app.WorkController(
            hostname=f"serve-{anon_nodename()}",
            concurrency=self.concurrency,
            pool="threads",
            loglevel=os.environ.get("LOG_LEVEL", "INFO").upper(),
            queues=WATCH_QUEUES,
            ready_callback=lambda consumer: self.ready.set(),
            without_heartbeat=True,
            without_mingle=True,
            without_gossip=True,
        )
        self.thread = threading.Thread(target=self.controller.start, name="celery-worker", daemon=True)
        self.thread.start()
        if not self.ready.wait(timeout):
            log.warning("the embedded Celery worker is not consuming after %.0f s", timeout)

    def stop(self, timeout: float) -> bool:
        """Ask the worker to stop; True when its thread ended within `timeout` seconds."""
        if self.controller is None or self.thread is None:
            return True
        stopper = threading.Thread(
            target=self.controller.stop, kwargs={"in_sighandler": False}, name="celery-stop", daemon=True
        )
        stopper.start()
        stopper.join(timeout)
        self.thread.join(max(0.1, timeout / 2))
        return not self.thread.is_alive()


class EmbeddedBeat:
    """Celery beat in a daemon thread, its schedule file under var/."""

    def __init__(self, app) -> None:
        self.app = app
        self.service: EmbeddedService | None = None

    def start(self) -> None:
        from celery.beat import EmbeddedService

        schedule = Path(settings.VAR_DIR) / "celerybeat-schedule"
        self.service = EmbeddedService(self.app, thread=True, schedule_filename=str(schedule))
        self.service.daemon = True
        self.service.start()

    def stop(self, timeout: float) -> bool:
        if self.service is None:
            return True
        self.service.stop()
        self.service.join(timeout)
        return not self.service.is_alive()


class DemoCluster:
    """kubesim's `demo` scenario in this process, registered as cluster `demo` for the watchers."""

    def __init__(self, *, speed: float) -> None:
        self.speed = speed
        self.handle: RunningKubeSim | None = None
        self.kubeconfig = Path(settings.VAR_DIR) / "demo.kubeconfig"

    def start(self) -> str:
        """Start the simulator, write its kubeconfig under var/ and point the cluster settings at it."""
        from kubesim.testing import start_kubesim

        self.handle = start_kubesim("demo", self.speed, context=DEMO_CLUSTER)
        self.handle.sim.write_kubeconfig(str(self.kubeconfig), DEMO_CLUSTER)
        self.kubeconfig.chmod(0o600)
        others = os.environ.get("KUBECONFIG", "")
        os.environ["KUBECONFIG"] = os.pathsep.join(p for p in (str(self.kubeconfig), others) if p)
        clusters = list(getattr(settings, "INITSCOPE_CLUSTERS", []) or [])
        if DEMO_CLUSTER not in clusters:
            settings.INITSCOPE_CLUSTERS = [*clusters, DEMO_CLUSTER]
        return self.handle.url

    def stop(self, timeout: float) -> bool:
        if self.handle is None:
            return True
        self.handle.timeout = timeout
        self.handle.stop()
        return not self.handle.thread.is_alive()
