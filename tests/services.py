"""Pytest fixtures for tests that need real services: kubesim clusters and Celery worker processes.

Import the fixtures into a conftest (tests/integration/conftest.py does; `pytest_plugins` only works in
the top-level conftest).

- `kubesim_cluster(scenario="demo", name="sim", manual=True, start=START, **kw) -> SimCluster`: a kubesim
  on its own thread (its ManualClock from `start`, epoch seconds) registered for Initscope: `.ks`
  (RunningKubeSim), `.name` (kubeconfig context = Initscope's cluster name), `.kubeconfig`, `.env`
  ({"KUBECONFIG", "INITSCOPE_CLUSTERS"} for subprocesses),
  `.drive(seconds)` (advance the ManualClock one second at a time, letting watchers keep up),
  `.truth()`. `settings_for_cluster` (below) points this process's settings at it too.
- `celery_worker(env=None, pool="solo", beat=False, name="w1") -> WorkerProcess`: a REAL
  `celery -A dashboard worker -Q watch,default` subprocess on the Redis broker (REDIS_URL), pointed at
  pytest-django's test database (`test_<db>`; use `transactional_db` so it sees committed rows).
  `.kill()` sends SIGKILL to its process group, `.stop()` a warm shutdown, `.log()` its output; the log
  is printed when the test fails. `beat=True` embeds beat (`-B`); `celery_worker.beat(env=...)` starts
  a separate `celery -A dashboard beat`. Watch settings default to fast test
  values (8 s windows, 4 s lock, ensure_watchers every second); override any through `env`.
- `redis_clean`: deletes Initscope's keys and the Celery queues in REDIS_URL's database (used by
  `celery_worker`).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest

ROOT = Path(__file__).resolve().parent.parent
START = 1_760_000_000.0
DEFAULT_REDIS = "redis://127.0.0.1:6379/15"
FAST_WATCH_ENV = {
    "INITSCOPE_WATCH_WINDOW_SECONDS": "8",
    "INITSCOPE_WATCH_LOCK_SECONDS": "4",
    "INITSCOPE_ENSURE_WATCHERS_SECONDS": "1",
    "INITSCOPE_WATCH_BACKOFF_MAX_SECONDS": "2",
    "INITSCOPE_FLUSH_MS": "100",
}


def redis_url() -> str:
    return os.environ.get("REDIS_URL") or DEFAULT_REDIS


def wait_until(predicate: Callable[[], object], *, timeout: float, interval: float = 0.25) -> object:
    """Poll `predicate` until it returns something truthy (returned) or `timeout` passes (returns it)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(interval)


# --------------------------------------------------------------------------------------------- kubesim


@dataclass
class SimCluster:
    """A kubesim registered as an Initscope cluster (its kubeconfig context is the cluster's name)."""

    ks: object
    name: str
    kubeconfig: str

    @property
    def env(self) -> dict[str, str]:
        return {"KUBECONFIG": self.kubeconfig, "INITSCOPE_CLUSTERS": self.name}

    def drive(
        self, seconds: int, *, step: float = 1.0, pause: float = 0.01, each: Callable | None = None
    ) -> None:
        """Advance the ManualClock `seconds` simulated seconds, `step` at a time, pausing `pause` real
        seconds between steps so watchers see the streams as a real clock would feed them."""
        for i in range(int(seconds / step)):
            self.ks.advance(step)
            if each is not None:
                each(i)
            time.sleep(pause)

    def truth(self) -> list[dict]:
        return self.ks.ground_truth()

    def pods(self) -> list[dict]:
        """The Pods the API shows now (raw objects)."""
        return self.ks.call(lambda: [obj for _, obj in self.ks.sim.store.items("pods")])


@pytest.fixture
def kubesim_cluster() -> Iterator[Callable[..., SimCluster]]:
    """Factory: `kubesim_cluster("demo", name="sim", manual=True, seed=1, **KubeSim kwargs)`."""
    from kubesim import ManualClock
    from kubesim.testing import start_kubesim

    started = []

    def start(
        scenario="demo",
        *,
        name: str = "sim",
        manual: bool = True,
        speed: float = 1.0,
        start: float = START,
        **kw,
    ) -> SimCluster:
        kw.setdefault("seed", 1)
        kw.setdefault("history_size", 200_000)
        clock = ManualClock(start=start) if manual else None
        ks = start_kubesim(scenario, speed, clock=clock, context=name, **kw)
        started.append(ks)
        return SimCluster(ks, name, ks.kubeconfig_path)

    yield start
    for ks in started:
        ks.stop()


@contextlib.contextmanager
def settings_for_cluster(sim: SimCluster, **watch_settings) -> Iterator[None]:
    """Point this process (settings and KUBECONFIG) at `sim`, for in-process watch steps."""
    from django.test import override_settings

    old = os.environ.get("KUBECONFIG")
    os.environ["KUBECONFIG"] = sim.kubeconfig
    try:
        overrides = {"INITSCOPE_CLUSTERS": [sim.name], "INITSCOPE_CLUSTER_NAMESPACES": ""} | watch_settings
        with override_settings(**overrides):
            yield
    finally:
        if old is None:
            os.environ.pop("KUBECONFIG", None)
        else:
            os.environ["KUBECONFIG"] = old


# ---------------------------------------------------------------------------------------------- celery


def database_url_for_subprocesses() -> str:
    """The URL of the database pytest-django set up (`test_<name>`), for subprocesses."""
    from django.db import connection

    s = connection.settings_dict
    auth = quote(s.get("USER") or "postgres")
    if s.get("PASSWORD"):
        auth += ":" + quote(s["PASSWORD"])
    return f"postgres://{auth}@{s.get('HOST') or '127.0.0.1'}:{s.get('PORT') or 5432}/{s['NAME']}"


@pytest.fixture
def redis_clean() -> Iterator[object]:
    """Initscope's Redis keys and the Celery queues removed before (and after) the test."""
    import redis

    client = redis.Redis.from_url(redis_url())

    def clean() -> None:
        keys = list(client.scan_iter("initscope:*")) + [b"watch", b"default", b"unacked", b"unacked_index"]
        if keys:
            client.delete(*keys)

    clean()
    yield client
    clean()


@dataclass
class WorkerProcess:
    """A Celery worker subprocess in its own process group (so SIGKILL takes its beat child too)."""

    name: str
    args: list[str]
    env: dict[str, str]
    log_path: Path
    proc: subprocess.Popen | None = None

    def start(self, *, wait: bool = True) -> WorkerProcess:
        out = self.log_path.open("ab")
        out.write(f"\n===== start {' '.join(self.args)}\n".encode())
        out.flush()
        self.proc = subprocess.Popen(
            self.args, cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
        if wait:
            self.wait_ready()
        return self

    def wait_ready(self, timeout: float = 30.0) -> None:
        ready = "beat: Starting" if "beat" in self.args[4:6] else " ready."
        ok = wait_until(lambda: ready in self.log() or not self.alive, timeout=timeout, interval=0.1)
        if not ok or not self.alive:
            raise RuntimeError(f"worker {self.name} did not start:\n{self.log()[-3000:]}")

    @property
    def pid(self) -> int:
        return self.proc.pid if self.proc else 0

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        """kill -9 the worker and everything it started."""
        if self.proc is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)

    def stop(self, timeout: float = 15.0) -> None:
        """Warm shutdown (SIGTERM), then SIGKILL if it does not exit in time."""
        if not self.alive:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""


def worker_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("INITSCOPE_")}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "dashboard.settings",
            "DEBUG": "1",
            "DATABASE_URL": database_url_for_subprocesses(),
            "DATABASE_CONN_MAX_AGE": "0",
            "REDIS_URL": redis_url(),
            "LOG_LEVEL": "INFO",
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(FAST_WATCH_ENV)
    env.update(extra or {})
    return env


def worker_args(
    name: str, *, pool: str, queues: str, concurrency: int, beat: bool, state_dir: Path
) -> list[str]:
    """The command line of a `celery -A dashboard worker` named `name` (`-B`: with beat embedded)."""
    args = [sys.executable, "-m", "celery", "-A", "dashboard", "worker", "-Q", queues, f"--pool={pool}",
            "-n", f"{name}@%h", "--without-gossip", "--without-mingle", "-l", "INFO"]  # fmt: skip
    if pool != "solo":
        args.append(f"--concurrency={concurrency}")
    if beat:
        args += ["-B", "-s", str(state_dir / f"beat-{name}")]
    return args


def beat_args(name: str, *, state_dir: Path) -> list[str]:
    """The command line of a separate `celery -A dashboard beat` (its schedule file in `state_dir`)."""
    return [sys.executable, "-m", "celery", "-A", "dashboard", "beat", "-s", str(state_dir / f"beat-{name}"),
            "-l", "INFO"]  # fmt: skip


@pytest.fixture
def celery_worker(request, transactional_db, redis_clean) -> Iterator[Callable[..., WorkerProcess]]:
    """Factory: `celery_worker(env=sim.env, pool="solo", beat=False, name="w1", queues="watch,default")`.

    Every worker is stopped at teardown; on failure each worker's log is printed.
    """
    workers: list[WorkerProcess] = []
    tmp = Path(tempfile.mkdtemp(prefix="initscope-workers-"))

    def start(
        *,
        env: dict[str, str] | None = None,
        pool: str = "solo",
        beat: bool = False,
        name: str = "",
        queues: str = "watch,default",
        concurrency: int = 4,
        wait: bool = True,
    ) -> WorkerProcess:
        name = name or f"w{len(workers) + 1}"
        args = worker_args(name, pool=pool, queues=queues, concurrency=concurrency, beat=beat, state_dir=tmp)
        worker = WorkerProcess(name, args, worker_env(env), tmp / f"{name}.log")
        workers.append(worker)
        return worker.start(wait=wait)

    def start_beat(*, env: dict[str, str] | None = None, name: str = "beat") -> WorkerProcess:
        beat = WorkerProcess(name, beat_args(name, state_dir=tmp), worker_env(env), tmp / f"{name}.log")
        workers.append(beat)
        return beat.start()

    start.beat = start_beat
    yield start
    for worker in workers:
        worker.kill()
    failed = getattr(request.node, "rep_call", None)
    if failed is not None and failed.failed:
        for worker in workers:
            sys.stderr.write(f"\n----- log of worker {worker.name} -----\n{worker.log()[-20000:]}\n")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Expose each phase's report on the item (`item.rep_call`), so fixtures can print logs on failure."""
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


# ------------------------------------------------------------------------------------------ comparisons


def stored_attempts(cluster: str) -> dict:
    """Stored finished attempts of `cluster` with details, as a multiset keyed like `truth_attempts`."""
    from collections import Counter

    from pods.models import Attempt

    rows = Attempt.objects.filter(
        pod__cluster__name=cluster, known=True, finished_at__isnull=False
    ).values_list("pod__uid", "container__name", "number", "exit_code", "reason", "started_at", "finished_at")
    return Counter((u, c, n, code, r, s.isoformat(), f.isoformat()) for u, c, n, code, r, s, f in rows)


def truth_attempts(truth: list[dict]) -> dict:
    """kubesim's ground-truth attempts as a multiset of (uid, container, number, exit, reason, start, end)."""
    from collections import Counter

    from pods.timeline import parse_time

    return Counter(
        (r["uid"], r["container"], r["number"], r["exit_code"], r["reason"],
         parse_time(r["started_at"]).isoformat(), parse_time(r["finished_at"]).isoformat())
        for r in truth
        if "container" in r
    )  # fmt: skip


def unknown_attempts(cluster: str) -> dict:
    """Placeholders (attempts only counted) as a multiset of (uid, container, number): a run of placeholders
    (one row, `count` attempts from `number`) counts each of its numbers."""
    from collections import Counter

    from pods.models import Attempt

    rows = Attempt.objects.filter(pod__cluster__name=cluster, known=False).values_list(
        "pod__uid", "container__name", "number", "count"
    )
    return Counter((u, c, n) for u, c, first, count in rows for n in range(first, first + count))


def unseen_endings(cluster: str, missing: dict) -> dict:
    """The attempts of `missing` (truth attempts not stored finished) whose end no watcher could have seen:
    their Pod went away while no watch ran and was closed by a relist (its last updates compacted away, a
    410), the attempt ended after the newest time the last object the watcher received shows
    (`PodState.last_seen_at`: when the watcher lags, it receives an object after the attempt's end that was
    written before it), and it is stored as started (known, no end). Such an attempt is kept as the API
    last showed it, not lost. Same keys as `missing`."""
    from collections import Counter

    from pods.models import Attempt, Pod
    from pods.timeline import parse_time
    from pods.timeline.codec import decode_state

    uids = {u for u, *_ in missing}
    if not uids:
        return Counter()
    pods = {}  # uid -> (the newest time the last object received shows, when the Pod vanished)
    for uid, raw in Pod.objects.filter(cluster__name=cluster, uid__in=uids).values_list("uid", "state"):
        state = decode_state(raw)
        pods[uid] = (state.last_seen_at, state.vanished_at)
    open_rows = set(
        Attempt.objects.filter(
            pod__cluster__name=cluster, pod__uid__in=uids, known=True, finished_at__isnull=True
        ).values_list("pod__uid", "container__name", "number")
    )
    out: Counter = Counter()
    for key, times in missing.items():
        uid, container, number, *_, end = key
        last_shown, vanished_at = pods.get(uid, (None, None))
        if (
            vanished_at is not None
            and last_shown is not None
            and parse_time(end) > last_shown
            and (uid, container, number) in open_rows
        ):
            out[key] = times
    return out


def deleted_pods(cluster: str) -> set[str]:
    from pods.models import Pod

    return set(
        Pod.objects.filter(cluster__name=cluster, deleted_at__isnull=False).values_list("uid", flat=True)
    )


def truth_deletions(truth: list[dict]) -> set[str]:
    return {r["uid"] for r in truth if "deleted_at" in r}


def watching(cluster: str, *, timeout: float = 30.0) -> None:
    """Wait until a watcher of `cluster` has listed Pods and Events (its cursors hold a resourceVersion)."""
    from pods.models import WatchCursor

    def listed() -> bool:
        cursors = WatchCursor.objects.filter(cluster__name=cluster).exclude(resource_version="")
        return set(cursors.values_list("resource", flat=True)) >= {"pods", "events"}

    assert wait_until(listed, timeout=timeout, interval=0.1), f"no watcher listed cluster {cluster}"


def lock_holder_pid(client, cluster: str) -> int:
    """The pid of the process holding `cluster`'s watch lock (0 when free); `client` is `redis_clean`."""
    value = client.get(f"initscope:watch:{cluster}")
    return int(value.decode().split(":")[1]) if value else 0


def converged(cluster: str, truth: list[dict]) -> bool:
    """True when the stored timelines of `cluster` hold exactly the ground truth (attempts, deletions)."""
    return stored_attempts(cluster) == truth_attempts(truth) and deleted_pods(cluster) == truth_deletions(
        truth
    )


def assert_truth(sim, *, timeout: float = 20.0) -> list[dict]:
    """Wait for the watcher to catch up, then compare the stored timelines with the ground truth."""
    truth = sim.truth()
    wait_until(lambda: converged(sim.name, truth), timeout=timeout, interval=0.5)
    expected, stored = truth_attempts(truth), stored_attempts(sim.name)
    assert expected, "the scenario ran containers"
    assert stored - expected == {}, "attempts stored that did not happen (or with wrong details)"
    assert expected - stored == {}, "attempts that happened but are missing"
    assert deleted_pods(sim.name) == truth_deletions(truth)
    return truth


def assert_statuses(sim, *, timeout: float = 10.0) -> None:
    """Each Pod the API still shows is stored, not deleted, with kubectl's STATUS (kubesim's printer)."""
    now = sim.ks.call(sim.ks.sim.clock.now)
    api = {p["metadata"]["uid"]: _status_text(p, now) for p in sim.pods()}

    def stored() -> dict:
        pods = _pod_model().objects.filter(cluster__name=sim.name, uid__in=api, deleted_at__isnull=True)
        return dict(pods.values_list("uid", "status"))

    wait_until(lambda: stored() == api, timeout=timeout)
    assert stored() == api


def _pod_model():
    from pods.models import Pod

    return Pod


def _status_text(pod: dict, now: float) -> str:
    from kubesim.printers import pod_status_text

    return pod_status_text(pod, now)[1]
