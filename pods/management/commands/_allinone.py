"""The parts `manage.py serve` runs beside Daphne, in the same process: a Celery worker and beat in
threads (the in-memory channel layer and the memory:// broker only work inside one process; with REDIS_URL
they simply join the shared broker), and with `--demo` kubesim's `demo` scenario. Each part has `start()`
and `stop(timeout)`; stopping never blocks longer than its timeout.

Each `serve` keeps its own files in a folder of its own (`RuntimeDir`, a temporary folder removed when it
stops): beat's schedule and the demo's kubeconfig, so two instances on one checkout never overwrite each
other's. A database holds one demo at a time (`DemoClaim`: a PostgreSQL advisory lock, or a lock on a file
beside the SQLite database, both let go by the operating system when the process ends, however it ends);
a second `serve --demo` on the same database refuses to start and says why.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import shutil
import tempfile
import threading
from pathlib import Path
from typing import IO, TYPE_CHECKING

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

from pods.ingest import cluster_watch_forget

if TYPE_CHECKING:
    from celery import Celery
    from celery.beat import EmbeddedService
    from celery.worker import WorkController
    from django.db.backends.base.base import BaseDatabaseWrapper

    from kubesim.testing import RunningKubeSim

log = logging.getLogger("initscope.serve")

WATCH_QUEUES = ["watch", "default"]
DEMO_CLUSTER = "demo"
# The PostgreSQL advisory lock a `serve --demo` holds on its database (a fixed 64-bit key).
DEMO_LOCK_KEY = int.from_bytes(hashlib.sha256(b"initscope: serve --demo").digest()[:8], "big", signed=True)


class RuntimeDir:
    """This instance's own folder (beat's schedule, the demo's kubeconfig), removed when it stops."""

    def __init__(self) -> None:
        self.path = Path(tempfile.mkdtemp(prefix="initscope-serve-"))

    def start(self) -> None:
        pass

    def stop(self, timeout: float) -> bool:
        shutil.rmtree(self.path, ignore_errors=True)
        return True


class DemoClaim:
    """One `serve --demo` per database: two would watch two different simulators as the one cluster
    `demo`, each closing the other's Pods. `acquire()` says False when another instance holds it."""

    def __init__(self) -> None:
        self.database = settings.DATABASES[DEFAULT_DB_ALIAS]
        self._connection: BaseDatabaseWrapper | None = None
        self._file: IO[str] | None = None

    def describe(self) -> str:
        """The database, as an operator names it (no password)."""
        if self._sqlite_path() is not None:
            return f"the SQLite database {self._sqlite_path()}"
        host = self.database.get("HOST") or "localhost"
        return f"the database {self.database.get('NAME')} on {host}:{self.database.get('PORT') or 5432}"

    def _sqlite_path(self) -> Path | None:
        if self.database["ENGINE"] != "django.db.backends.sqlite3":
            return None
        return Path(str(self.database["NAME"])).resolve()

    def acquire(self) -> bool:
        path = self._sqlite_path()
        if path is not None:
            return self._lock_file(path.with_name(f"{path.name}.demo.lock"))
        if self.database["ENGINE"] == "django.db.backends.postgresql":
            return self._advisory_lock()
        return True  # another database: not checked

    def holder(self) -> str:
        """What the holder wrote in the lock file (pid and address), when known."""
        path = self._sqlite_path()
        if path is None:
            return ""
        with contextlib.suppress(OSError):
            return path.with_name(f"{path.name}.demo.lock").read_text().strip()
        return ""

    def _lock_file(self, lock: Path) -> bool:
        import fcntl

        lock.parent.mkdir(parents=True, exist_ok=True)
        handle = lock.open("a+")
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            return False
        self._file = handle
        return True

    def note(self, text: str) -> None:
        """Say in the lock file who holds it (read by the instance that is refused)."""
        if self._file is not None:
            self._file.seek(0)
            self._file.truncate()
            self._file.write(text + "\n")
            self._file.flush()

    def _advisory_lock(self) -> bool:
        connection = connections.create_connection(DEFAULT_DB_ALIAS)  # its own session: held while it lives
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [DEMO_LOCK_KEY])
            row = cursor.fetchone()
        if not (row and row[0]):
            connection.close()
            return False
        self._connection = connection
        return True

    def start(self) -> None:
        pass

    def stop(self, timeout: float) -> bool:
        if self._connection is not None:
            with contextlib.suppress(Exception):
                self._connection.close()  # ends the session: PostgreSQL lets go of the advisory lock
            self._connection = None
        if self._file is not None:
            with contextlib.suppress(OSError):
                self._file.seek(0)
                self._file.truncate()
            self._file.close()  # closing the file lets go of the lock
            self._file = None
        return True


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
    """Celery beat in a daemon thread, its schedule file in the instance's own folder."""

    def __init__(self, app, *, folder: Path) -> None:
        self.app = app
        self.folder = folder
        self.service: EmbeddedService | None = None

    def start(self) -> None:
        from celery.beat import EmbeddedService

        schedule = self.folder / "celerybeat-schedule"
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
    """kubesim's `demo` scenario in this process, registered as cluster `demo` for the watchers.

    Every start is a new simulator (its resourceVersions start over), so the cluster's saved cursors are
    forgotten first (`cluster_watch_forget`): the watch lists at once (closing the Pods of an earlier run
    that the new list does not show) instead of waiting, from a cursor of the old simulator, for the new
    one to catch up; and the earlier run's heartbeat no longer passes for a live watch.
    """

    def __init__(self, *, speed: float, folder: Path) -> None:
        self.speed = speed
        self.handle: RunningKubeSim | None = None
        self.kubeconfig = folder / "demo.kubeconfig"

    def start(self) -> str:
        """Start the simulator, write its kubeconfig in the instance's folder and point the cluster
        settings at it."""
        from kubesim.testing import start_kubesim

        cluster_watch_forget(name=DEMO_CLUSTER)
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
