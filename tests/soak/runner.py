"""Endurance run (`make soak`; its 5-minute version is tests/soak/test_soak_short.py):

    python -m tests.soak.runner --minutes 60 --seed 1

kubesim churns (the `demo` workloads with their rollouts, Jobs and failures, plus a stream of short-lived
Pods: healthy ones, crash loops, image pull failures, OOM kills, Pods deleted during init), watched by
two Celery workers (threads pool) and a beat, with Daphne serving an overview WebSocket that a signed-in
client keeps open. On a schedule scaled to the duration it injects: kill -9 of a random worker (then
restarts it; in the first half of the churn), Redis restarts (a private `redis-server` killed and started
again), PostgreSQL restarts (a private cluster, `initdb` + `pg_ctl`, stopped `-m immediate` and started
again; without the binaries, `pg_terminate_backend` of the soak database's own connections) and kubesim
faults (closed watches, 410 in the stream and as HTTP, 5xx bursts, stalled watches). It samples the RSS
of every process, the row count of every table and the Redis keys. At the end it stops the churn
(kubesim's clock stops), lets the watchers settle, compares the stored timelines with kubesim's ground
truth (`tests.services`), and prints one table (also written as JSON to var/soak/<timestamp>.json). Exit
status 1 when an invariant fails.

Invariants: no attempt lost, duplicated or phantom; placeholders (attempts only counted) only for attempts
that happened and whose details are not stored; an attempt whose end fell in a gap no watcher could see
(the Pod deleted while no watch ran and its last updates compacted away: a 410, then a relist that no
longer lists it) is kept as the API last showed it, started and open, and counted "ended unseen", not
lost; every deletion recorded and none invented; the open
socket resumed after every Redis restart and its Pods end as the database has them; Redis keys and the
tables that hold state (not history) bounded; each product process's RSS flat over the last half (judged
from 20-minute runs up: shorter runs report the slope only).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[2]
CLUSTER = "soak"
NAMESPACE = "soak"
USERNAME = "soak"
SAMPLE_SECONDS_MAX = 30.0
RSS_SLOPE_LIMIT_MB_PER_HOUR = 20.0  # flat: less than this over the last half (noise of a busy machine)
RSS_JUDGED_FROM_MINUTES = 20  # shorter runs are mostly warm-up: the slope is reported, not judged
# Tables that hold state rather than history: they must not grow with time (history grows with the Pods).
HISTORY_TABLE_PREFIXES = ("pods_", "alerts_alert", "alerts_delivery", "alerts_outbox", "accounts_audit")
STATE_TABLES = ("pods_watchcursor", "pods_cluster", "django_session", "alerts_rule")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
        time.sleep(0.1)
    return False


# ------------------------------------------------------------------------------------ private services


class PrivateRedis:
    """A `redis-server` of the soak's own (no persistence): a restart is kill -9 and start, empty."""

    def __init__(self, workdir: Path) -> None:
        self.dir = workdir / "redis"
        self.dir.mkdir()
        self.port = free_port()
        self.proc: subprocess.Popen | None = None
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise SystemExit("the soak needs redis-server on PATH (a private one it can restart)")
        args = [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                "--dir", str(self.dir), "--daemonize", "no"]  # fmt: skip
        log = (self.dir / "redis.log").open("ab")
        self.proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        if not wait_port(self.port, 20):
            raise RuntimeError("redis-server did not start")

    def restart(self) -> None:
        self.kill()
        self.start()

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    @property
    def pid(self) -> int:
        return self.proc.pid if self.proc is not None and self.proc.poll() is None else 0


class PrivatePostgres:
    """A PostgreSQL cluster of the soak's own (`initdb` in a temp dir): a restart is a real one."""

    mode = "restart (private cluster, pg_ctl stop -m immediate + start)"

    def __init__(self, workdir: Path, bindir: Path) -> None:
        self.bindir = bindir
        self.dir = workdir / "pg"
        self.dir.mkdir()
        self.data = self.dir / "data"
        self.port = free_port()
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/initscope_soak"
        # PostgreSQL refuses to run as root: run it as the postgres user then.
        self.prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.prefix:
            shutil.chown(self.dir, "postgres")

    @classmethod
    def available(cls) -> Path | None:
        """The newest PostgreSQL's bin directory (Debian's layout, else `initdb` on PATH), or None."""
        if os.geteuid() == 0 and not shutil.which("runuser"):
            return None
        versions = [p.parent for p in Path("/usr/lib/postgresql").glob("*/bin") if (p / "initdb").exists()]
        if versions:
            return max(versions, key=lambda v: int(v.name) if v.name.isdigit() else 0) / "bin"
        initdb = shutil.which("initdb")
        return Path(initdb).parent if initdb else None

    def _run(self, *args: str) -> None:
        subprocess.run([*self.prefix, *args], check=True, capture_output=True, timeout=120)

    def start(self) -> None:
        if not self.data.exists():
            self._run(str(self.bindir / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres",
                      "--no-sync", "-E", "UTF8")  # fmt: skip
        options = (
            f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
        )
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-o", options,
                  "-l", str(self.dir / "log"), "-w", "-t", "60", "start")  # fmt: skip
        subprocess.run(["psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-q", "-c",
                        "CREATE DATABASE initscope_soak"], capture_output=True)  # fmt: skip

    def restart(self) -> None:
        self.stop()
        self.start()

    def stop(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")

    @property
    def pid(self) -> int:
        with contextlib.suppress(OSError, ValueError):
            return int((self.data / "postmaster.pid").read_text().split()[0])
        return 0


class TerminatedPostgres:
    """No PostgreSQL binaries here: the soak's own database on DATABASE_URL's server, whose connections
    (only this database's) are ended with pg_terminate_backend instead of a restart."""

    mode = "pg_terminate_backend of the soak database's connections (no private cluster possible)"

    def __init__(self, base_url: str) -> None:
        parsed = urlparse(base_url)
        self.admin = parsed._replace(path="/postgres").geturl()
        self.name = f"{parsed.path.lstrip('/') or 'initscope'}_soak"
        self.url = parsed._replace(path=f"/{self.name}").geturl()

    def _exec(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(self.admin, autocommit=True) as conn:
            conn.execute(sql)

    def start(self) -> None:
        self._exec(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        self._exec(f'CREATE DATABASE "{self.name}"')

    def restart(self) -> None:
        self._exec(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            f"WHERE datname = '{self.name}' AND pid <> pg_backend_pid()"
        )

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            self._exec(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')

    pid = 0


# ------------------------------------------------------------------------------------------- scenario


def soak_scenario(seed: int, every: float, stopped: threading.Event):
    """kubesim's `demo` workloads plus a Pod every `every` seconds of a random kind; every Pod of the stream
    is deleted (after it finishes, after a while of crash looping, or during init)."""
    from kubesim.behavior import ContainerBehavior, PodBehavior
    from kubesim.scenarios import load_scenario
    from kubesim.store import NotFound

    scenario = load_scenario("demo")
    scenario.namespaces.append(NAMESPACE)
    rng = random.Random(seed)

    def container(name: str, **behavior) -> tuple[dict, ContainerBehavior]:
        spec = {"name": name, "image": behavior.pop("image", "busybox:1.36")}
        return spec, ContainerBehavior(**behavior)

    def kinds() -> dict:
        return {
            "healthy": (
                "Never",
                [container("wait-for-db", durations=(1.0,)), container("migrate", durations=(2.0,))],
                container("app", durations=(3.0,)),
                None,
            ),
            "crash-loop": (
                "Always",
                [container("migrate", durations=(1.0,), exit_codes=(1, 1, 1, 0), image="acme/migrate:2.0")],
                container("app", durations=(None,)),
                rng.uniform(60, 150),
            ),
            "crash-forever": (
                "Always",
                [container("migrate", durations=(2.0,), exit_codes=(2,), image="acme/migrate:2.1")],
                container("app", durations=(None,)),
                rng.uniform(40, 120),
            ),
            "image-pull": (
                "Always",
                [container("fetch", durations=(1.0,), pull_failures=2, image="registry.example.com/fetch:1")],
                container("app", durations=(None,)),
                rng.uniform(40, 90),
            ),
            "oom": (
                "Always",
                [container("warm", durations=(2.0,), exit_codes=(137, 0), oom=True, image="acme/warm:1")],
                container("app", durations=(None,)),
                rng.uniform(30, 60),
            ),
            "deleted-in-init": (
                "Always",
                [container("wait-for-db", durations=(1.0,)), container("seed", durations=(60.0,))],
                container("app", durations=(None,)),
                rng.uniform(4, 20),
            ),
        }

    def driver(sim) -> None:
        sim.ensure_namespace(NAMESPACE)

        def delete(name: str, uid: str) -> None:
            with contextlib.suppress(NotFound):
                sim.delete_pod(NAMESPACE, name, rng.choice([0, 1, 2]), uid)

        def create(when: float) -> None:
            if not stopped.is_set():
                kind, (policy, inits, app, lifetime) = rng.choice(list(kinds().items()))
                behaviors = {spec["name"]: b for spec, b in [*inits, app]}
                spec = {
                    "restartPolicy": policy,
                    "terminationGracePeriodSeconds": 2,
                    "initContainers": [spec for spec, _ in inits],
                    "containers": [app[0]],
                }
                manifest = {"metadata": {"generateName": f"{kind}-", "namespace": NAMESPACE,
                                         "labels": {"app": kind}}, "spec": spec}  # fmt: skip
                pod = sim.create_pod(
                    manifest,
                    PodBehavior(containers=behaviors, delete_after_finish=2.0 if lifetime is None else None),
                )
                if lifetime is not None:
                    md = pod["metadata"]
                    sim.clock.call_later(lifetime, delete, md["name"], md["uid"])
            sim.clock.call_at(when + every, create, when + every)

        start = sim.clock.now()
        sim.clock.call_at(start + every, create, start + every)

    scenario.drivers.append(driver)
    return scenario


def product_env(kubeconfig: str) -> dict[str, str]:
    """The environment of the soak's workers, beat and Daphne: as in production, DEBUG off (with it on,
    Django keeps the last 9,000 queries of each thread's connection: megabytes a worker's RSS shows as
    growth for its first quarter of an hour), with the run's SECRET_KEY (the runner signs the socket in)."""
    from tests.services import worker_env

    return worker_env({"KUBECONFIG": kubeconfig, "INITSCOPE_CLUSTERS": CLUSTER, "DEBUG": "0",
                       "SECRET_KEY": os.environ["SECRET_KEY"]})  # fmt: skip


# ---------------------------------------------------------------------------------------------- socket


class OverviewClient:
    """A signed-in overview socket (`/ws/pods/`), like the page's: on every `hello` it resynchronises from
    the server's data, then applies each `pods.changed`; reconnects with a back-off when closed."""

    def __init__(self, port: int, cookie: str, resync) -> None:
        self.url = f"ws://127.0.0.1:{port}/ws/pods/"
        self.headers = {"Cookie": cookie, "Origin": f"http://127.0.0.1:{port}"}
        self.resync = resync
        self.pods: dict[str, tuple] = {}
        self.hellos = 0
        self.closes: Counter = Counter()
        self.messages = 0
        self.socket = None
        self.log: list[tuple[float, str]] = []  # (time, what): opened, hello, closed with code
        self.stop = threading.Event()
        self.thread = threading.Thread(target=lambda: asyncio.run(self._run()), name="overview", daemon=True)

    def start(self) -> None:
        self.thread.start()

    async def _run(self) -> None:
        """Read each socket to its end (never a cancelled read, which could drop a message); a watcher
        closes the open socket when the client stops."""
        import aiohttp

        backoff = 0.5
        async with aiohttp.ClientSession() as session:
            closer = asyncio.ensure_future(self._close_when_stopped())
            while not self.stop.is_set():
                try:
                    async with session.ws_connect(self.url, headers=self.headers, heartbeat=None) as ws:
                        self.socket = ws
                        self.log.append((round(time.time(), 2), "open"))
                        async for msg in ws:
                            if msg.type != aiohttp.WSMsgType.TEXT:
                                break
                            await self._handle(json.loads(msg.data))
                            backoff = 0.5
                        self.closes[str(ws.close_code)] += 1
                        self.log.append((round(time.time(), 2), f"closed {ws.close_code}"))
                except (TimeoutError, aiohttp.ClientError, OSError) as exc:
                    self.closes[type(exc).__name__] += 1
                    self.log.append((round(time.time(), 2), type(exc).__name__))
                self.socket = None
                if not self.stop.is_set():
                    await asyncio.sleep(backoff)
                    backoff = min(backoff * 2, 5.0)
            closer.cancel()

    async def _close_when_stopped(self) -> None:
        while not self.stop.is_set():
            await asyncio.sleep(0.2)
        if self.socket is not None:
            await self.socket.close()

    async def _handle(self, message: dict) -> None:
        if message.get("type") == "hello":
            self.hellos += 1
            self.log.append((round(time.time(), 2), "hello"))
            snapshot = await asyncio.get_running_loop().run_in_executor(None, self.resync)
            self.pods = snapshot
        elif message.get("type") == "pods.changed" and message.get("cluster") == CLUSTER:
            self.messages += 1
            for pod in message.get("pods", ()):
                self.pods[pod["uid"]] = shown(pod)

    def close(self) -> None:
        self.stop.set()
        self.thread.join(10)


def shown(summary: dict) -> tuple:
    """What the overview row shows of a Pod that must end as the database has it."""
    return (summary["status"], summary["restarts"], summary["deleted"])


def server_pods() -> dict[str, tuple]:
    """The server's view of every Pod of the cluster, as `shown` reads a summary."""
    from django.db import connection

    from pods.models import Pod

    try:
        rows = Pod.objects.filter(cluster__name=CLUSTER).values_list(
            "uid", "status", "restarts", "deleted_at"
        )
        return {uid: (status, restarts, deleted is not None) for uid, status, restarts, deleted in rows}
    finally:
        connection.close()


# --------------------------------------------------------------------------------------------- figures


def slope_per_hour(points: list[tuple[float, float]]) -> float | None:
    """Least-squares slope of (seconds, MB) points, in MB per hour; None with fewer than 3 points."""
    if len(points) < 3:
        return None
    n = len(points)
    mx = sum(t for t, _ in points) / n
    my = sum(v for _, v in points) / n
    var = sum((t - mx) ** 2 for t, _ in points)
    if var == 0:
        return None
    return sum((t - mx) * (v - my) for t, v in points) / var * 3600


@dataclass
class Series:
    """RSS samples of one process slot (a worker slot keeps its series across restarts)."""

    name: str
    judged: bool
    points: list[tuple[float, float]] = field(default_factory=list)  # (seconds since start, MB)
    restarted_at: list[float] = field(default_factory=list)

    def last_half(self, end: float) -> list[tuple[float, float]]:
        since = end / 2
        if self.restarted_at:
            # a restarted process warms up again: judge from a minute after its newest start
            since = max(since, self.restarted_at[-1] + 60)
        return [(t, v) for t, v in self.points if t >= since]


def percentile_keys(samples: list[dict], key: str) -> tuple[int, int, int]:
    values = [s[key] for s in samples if key in s]
    return (values[0], values[-1], max(values)) if values else (0, 0, 0)


def attempt_figures(cluster: str, truth: list[dict]) -> dict:
    """Stored attempts against the ground truth (the comparison helpers of tests.services).

    An attempt is (uid, container, number, exit code, reason, start, end); its identity (uid, container,
    number) repeats when the Pod's sandbox was recreated (numbers start again), so duplicates are counted
    per identity: more stored rows (known or placeholders) than attempts that happened."""
    from tests.services import (
        deleted_pods,
        stored_attempts,
        truth_attempts,
        truth_deletions,
        unknown_attempts,
        unseen_endings,
    )

    expected, stored, unknown = truth_attempts(truth), stored_attempts(cluster), unknown_attempts(cluster)
    missing, extra = expected - stored, stored - expected
    truth_ids = Counter((u, c, n) for u, c, n, *_ in expected.elements())
    stored_ids = Counter((u, c, n) for u, c, n, *_ in stored.elements()) + unknown
    covered = Counter((u, c, n) for u, c, n, *_ in missing.elements()) & unknown
    # ended while no watch ran, the Pod then closed by a relist: kept as the API last showed it, not lost
    uncovered = Counter({k: v for k, v in missing.items() if (k[0], k[1], k[2]) not in covered})
    unseen = unseen_endings(cluster, uncovered)
    duplicated = sum(max(0, stored_ids[i] - n) for i, n in truth_ids.items())
    deletions, recorded = truth_deletions(truth), deleted_pods(cluster)
    return {
        "truth": sum(expected.values()),
        "stored": sum(stored.values()),
        "lost": sum(missing.values()) - sum(covered.values()) - sum(unseen.values()),
        "ended_unseen": sum(unseen.values()),
        "duplicated": duplicated,
        "phantom": sum(extra.values()) + sum((unknown - truth_ids).values()),
        "placeholders": sum(unknown.values()),
        "placeholders_for_unstored_attempts": sum(covered.values()),
        "deletions_truth": len(deletions),
        "deletions_recorded": len(deletions & recorded),
        "deletions_phantom": len(recorded - deletions),
        "missing_sample": [list(a) for a in list(missing)[:10]],
        "extra_sample": [list(a) for a in list(extra)[:10]],
        "deletions_missing_sample": sorted(deletions - recorded)[:10],
    }


# ---------------------------------------------------------------------------------------------- runner


@dataclass
class Plan:
    minutes: float
    seed: int
    kills: int
    redis_restarts: int
    postgres_restarts: int
    faults: list[str]
    churn_seconds: float
    sample_seconds: float
    pod_every: float

    @classmethod
    def for_minutes(cls, minutes: float, seed: int) -> Plan:
        hours = minutes / 60
        kinds = ["close-watches", "410-in-stream", "410-http", "5xx-burst", "stall"]
        rng = random.Random(seed)
        count = max(len(kinds), round(30 * hours))
        faults = kinds + [rng.choice(kinds) for _ in range(count - len(kinds))]
        rng.shuffle(faults)
        # startup (~40 s) and settling (up to 60 s) come out of the budget; the rest is churn
        churn = max(90.0, minutes * 60 - 110)
        return cls(
            minutes=minutes,
            seed=seed,
            kills=max(2, round(10 * hours)),
            redis_restarts=max(1, round(2 * hours)),
            postgres_restarts=max(1, round(2 * hours)),
            faults=faults,
            churn_seconds=churn,
            sample_seconds=min(SAMPLE_SECONDS_MAX, max(5.0, churn / 40)),
            pod_every=2.0,
        )

    def schedule(self) -> list[tuple[float, str]]:
        """(seconds into the churn, what) for every injection, in time order. Restarts of Redis and
        PostgreSQL and kubesim's faults are spread evenly, in a seeded random order, between the first 10 %
        and the last 15 % of the churn (so the end is calm). The kills of workers fall at random moments of
        the first half (10-45 %): each worker's RSS is judged over the last half, and a worker killed later
        would be judged on its warm-up (15-20 minutes) alone."""
        rng = random.Random(self.seed * 7919)
        others = ["redis"] * self.redis_restarts + ["postgres"] * self.postgres_restarts
        others += [f"fault:{f}" for f in self.faults]
        rng.shuffle(others)
        spread = self._spread(others, 0.1, 0.85, rng) + self._spread(["kill"] * self.kills, 0.1, 0.45, rng)
        return sorted(spread)

    def _spread(
        self, what: list[str], start: float, end: float, rng: random.Random
    ) -> list[tuple[float, str]]:
        """`what` one after the other between `start` and `end` (shares of the churn), each at a random
        moment of the first third of its slot."""
        if not what:
            return []
        first, step = start * self.churn_seconds, (end - start) * self.churn_seconds / len(what)
        return [(first + i * step + rng.uniform(0, step / 3), w) for i, w in enumerate(what)]


class Soak:
    def __init__(self, plan: Plan, workdir: Path, log) -> None:
        self.plan = plan
        self.workdir = workdir
        self.log = log
        self.rng = random.Random(plan.seed)
        self.t0 = time.monotonic()
        self.injected: Counter = Counter()
        self.redis = PrivateRedis(workdir)
        bindir = PrivatePostgres.available()
        if bindir is not None:
            self.pg = PrivatePostgres(workdir, bindir)
        else:
            self.pg = TerminatedPostgres(
                os.environ.get("DATABASE_URL") or "postgres://postgres@127.0.0.1/initscope"
            )
        self.procs: dict = {}
        self.series: dict[str, Series] = {}
        self.samples: list[dict] = []
        self.stopped = threading.Event()
        self.sim = None
        self.client: OverviewClient | None = None
        self.clock_thread: threading.Thread | None = None

    def now(self) -> float:
        return time.monotonic() - self.t0

    def say(self, text: str) -> None:
        self.log(f"[{self.now():7.1f}s] {text}")

    # ----------------------------------------------------------------- start
    def start(self) -> None:
        self.redis.start()
        self.pg.start()
        self.say(f"private Redis on {self.redis.url}; PostgreSQL: {self.pg.mode}")
        os.environ.update(
            {
                "DJANGO_SETTINGS_MODULE": "dashboard.settings",
                # as in production (`product_env`); the runner's own Django signs the socket's session
                "DEBUG": "0",
                "SECRET_KEY": secrets.token_urlsafe(40),
                "DATABASE_URL": self.pg.url,
                "REDIS_URL": self.redis.url,
                "DATABASE_CONN_MAX_AGE": "0",
            }
        )
        import django

        django.setup()
        logging.getLogger("kubesim").setLevel(logging.WARNING)  # one line per API request otherwise
        from django.core.management import call_command

        call_command("migrate", verbosity=0, interactive=False)
        self.say("migrated")
        from kubesim import ManualClock
        from kubesim.testing import start_kubesim

        scenario = soak_scenario(self.plan.seed, self.plan.pod_every, self.stopped)
        clock = ManualClock(start=float(int(time.time())))
        self.sim = start_kubesim(scenario, clock=clock, context=CLUSTER, seed=self.plan.seed,
                                 history_size=500_000, truth_limit=2_000_000, max_events=20_000)  # fmt: skip
        self.clock_thread = threading.Thread(target=self._drive_clock, name="kubesim-clock", daemon=True)
        self.clock_thread.start()

        from tests.services import WorkerProcess, beat_args, worker_args

        env = product_env(self.sim.kubeconfig_path)
        state = self.workdir / "celery"
        state.mkdir()
        for name in ("worker-1", "worker-2"):
            args = worker_args(name, pool="threads", queues="watch,default", concurrency=3, beat=False,
                               state_dir=state)  # fmt: skip
            self.procs[name] = WorkerProcess(name, args, env, self.workdir / f"{name}.log").start()
        self.procs["beat"] = WorkerProcess("beat", beat_args("beat", state_dir=state), env,
                                           self.workdir / "beat.log").start()  # fmt: skip
        port = free_port()
        daphne = [
            sys.executable,
            "-m",
            "daphne",
            "-b",
            "127.0.0.1",
            "-p",
            str(port),
            "dashboard.asgi:application",
        ]
        self.procs["daphne"] = WorkerProcess("daphne", daphne, env, self.workdir / "daphne.log").start(
            wait=False
        )
        if not wait_port(port, 60):
            raise RuntimeError(f"daphne did not start:\n{self.procs['daphne'].log()[-3000:]}")
        for name in self.procs:
            self.series[name] = Series(name, judged=True)
        self.series["redis-server"] = Series("redis-server", judged=False)
        self.series["postgres"] = Series("postgres", judged=False)
        self.series["runner (kubesim)"] = Series("runner (kubesim)", judged=False)
        self.client = OverviewClient(port, self._session_cookie(), server_pods)
        self.client.start()
        from tests.services import watching

        watching(CLUSTER, timeout=60)
        self.say("watching; churn starts")

    def _session_cookie(self) -> str:
        from django.contrib.auth import get_user_model
        from django.test import Client

        user = get_user_model().objects.create_user(username=USERNAME, password=None, is_superuser=True)
        client = Client()
        client.force_login(user)
        return f"sessionid={client.cookies['sessionid'].value}"

    def _drive_clock(self) -> None:
        """kubesim's ManualClock at real speed (one second per second) until the churn stops."""
        while not self.stopped.is_set():
            started = time.monotonic()
            self.sim.advance(1.0)
            time.sleep(max(0.0, 1.0 - (time.monotonic() - started)))

    # ----------------------------------------------------------------- inject
    def inject(self, what: str) -> None:
        if what == "kill":
            name = self.rng.choice(["worker-1", "worker-2"])
            worker = self.procs[name]
            worker.kill()
            time.sleep(self.rng.uniform(2, 10))
            worker.start()
            self.series[name].restarted_at.append(self.now())
            self.injected["kill -9 worker"] += 1
        elif what == "redis":
            self.redis.restart()
            self.injected["Redis restart"] += 1
        elif what == "postgres":
            self.pg.restart()
            self.injected[
                "PostgreSQL restart" if isinstance(self.pg, PrivatePostgres) else "PostgreSQL terminate"
            ] += 1
        else:
            fault = what.split(":", 1)[1]
            faults = {
                "410-in-stream": {"expire_next_watches": 1},
                "410-http": {"expire_next_watches_http": 1},
                "5xx-burst": {"error_burst": {"count": 4, "code": self.rng.choice([500, 503])}},
                "stall": {"stall_next_watches": 1},
            }
            if fault == "close-watches":
                self.sim.faults(close_watches_every=2.0)
                time.sleep(10)
                self.sim.faults(close_watches_every=None)
            else:
                self.sim.faults(**faults[fault])
            self.injected[f"kubesim {fault}"] += 1
        self.say(f"injected {what}")

    def healthy(self) -> bool:
        """The watch runs: a stream succeeded within the last 10 s."""
        from django.db import connection
        from django.utils import timezone

        from pods.models import WatchCursor

        try:
            newest = WatchCursor.objects.filter(cluster__name=CLUSTER).order_by("-last_ok_at").first()
            return bool(
                newest and newest.last_ok_at and (timezone.now() - newest.last_ok_at).total_seconds() < 10
            )
        except Exception:  # noqa: BLE001 - PostgreSQL may be restarting
            return False
        finally:
            connection.close()

    # ----------------------------------------------------------------- sample
    def sample(self) -> None:
        import psutil
        import redis as redis_lib

        t = self.now()
        pids = {name: proc.pid for name, proc in self.procs.items() if proc.alive}
        pids["redis-server"] = self.redis.pid
        pids["postgres"] = self.pg.pid
        pids["runner (kubesim)"] = os.getpid()
        for name, pid in pids.items():
            with contextlib.suppress(psutil.Error, ValueError):
                if pid:
                    self.series[name].points.append((t, psutil.Process(pid).memory_info().rss / 2**20))
        row = {"t": round(t, 1)}
        with contextlib.suppress(Exception):
            client = redis_lib.Redis.from_url(self.redis.url, socket_timeout=3)
            row["redis_keys"] = client.dbsize()
            client.close()
        with contextlib.suppress(Exception):
            row["tables"] = table_counts()
        self.samples.append(row)

    # ----------------------------------------------------------------- run
    def run(self) -> dict:
        schedule = self.plan.schedule()
        churn_start = self.now()
        next_sample = 0.0
        calm = max(15.0, 0.1 * self.plan.churn_seconds)  # nothing injected in the churn's last stretch
        for at, what in [*schedule, (self.plan.churn_seconds, "end")]:
            if what == "end":
                at = max(at, self.now() - churn_start + calm)
            while self.now() - churn_start < at:
                if self.now() >= next_sample:
                    self.sample()
                    next_sample = self.now() + self.plan.sample_seconds
                time.sleep(0.2)
            if what == "end":
                break
            # the previous disruption is over before the next one (up to 30 s)
            deadline = time.monotonic() + 30
            while not self.healthy() and time.monotonic() < deadline:
                time.sleep(0.5)
            self.inject(what)
        self.sample()
        return self.finish()

    def finish(self) -> dict:
        from tests.services import converged, wait_until

        self.stopped.set()
        self.clock_thread.join(5)
        self.sim.call(report_pending_status, self.sim.sim)
        self.say("churn stopped; settling")
        truth = self.sim.ground_truth()
        (self.workdir / "truth.jsonl").write_bytes(self.sim.call(self.sim.sim.truth.jsonl))
        settled = wait_until(lambda: _quiet(converged, CLUSTER, truth), timeout=90, interval=1.0)
        self.say(f"settled: {bool(settled)}")
        final = server_pods()
        socket_ok = wait_until(lambda: self.client.pods == server_pods(), timeout=30, interval=1.0)
        self.sample()
        end = self.now()
        figures = attempt_figures(CLUSTER, truth)
        wrong = {u: (self.client.pods.get(u), v) for u, v in final.items() if self.client.pods.get(u) != v}
        result = {
            "started": datetime.now(UTC).isoformat(timespec="seconds"),
            "minutes": self.plan.minutes,
            "seed": self.plan.seed,
            "seconds": round(end, 1),
            "postgres": self.pg.mode,
            "attempts": figures,
            "socket": {
                "hellos": self.client.hellos,
                "resumed": self.client.hellos - 1,
                "redis_restarts": self.injected["Redis restart"],
                "closes": dict(self.client.closes),
                "messages": self.client.messages,
                "pods": len(final),
                "final_state_ok": bool(socket_ok),
                "wrong_pods": len(wrong),
                "wrong_sample": [[u, list(a or ()), list(b)] for u, (a, b) in list(wrong.items())[:5]],
                "log": self.client.log[-40:],
            },
            "rss": self.rss_figures(end),
            "tables": self.table_figures(),
            "redis_keys": self.redis_figures(),
            "injected": dict(sorted(self.injected.items())),
            "machine": {"cpus": os.cpu_count(), "load_1m_at_end": round(os.getloadavg()[0], 2)},
        }
        result["failures"] = invariant_failures(result)
        return result

    def rss_figures(self, end: float) -> dict:
        out = {}
        for name, series in self.series.items():
            if not series.points:
                continue
            slope = slope_per_hour(series.last_half(end))
            judged = series.judged and self.plan.minutes >= RSS_JUDGED_FROM_MINUTES and slope is not None
            out[name] = {
                "start_mb": round(series.points[0][1], 1),
                "end_mb": round(series.points[-1][1], 1),
                "slope_mb_per_hour": None if slope is None else round(slope, 1),
                "restarts": len(series.restarted_at),
                "judged": judged,
            }
        return out

    def table_figures(self) -> dict:
        with_tables = [s for s in self.samples if "tables" in s]
        if not with_tables:
            return {}
        half = with_tables[len(with_tables) // 2]["tables"]
        first, last = with_tables[0]["tables"], with_tables[-1]["tables"]
        return {
            name: {
                "first": first.get(name, 0),
                "half": half.get(name, 0),
                "last": last[name],
                "kind": "state" if is_state_table(name) else "history",
            }
            for name in sorted(last)
            if last[name] or first.get(name)
        }

    def redis_figures(self) -> dict:
        keys = [s["redis_keys"] for s in self.samples if "redis_keys" in s]
        if not keys:
            return {}
        half = len(keys) // 2
        return {"first": keys[0], "last": keys[-1], "max_first_half": max(keys[: half or 1]),
                "max_second_half": max(keys[half:])}  # fmt: skip

    def close(self) -> None:
        self.stopped.set()
        if self.client is not None:
            self.client.close()
        for proc in self.procs.values():
            proc.stop(timeout=5)
        if self.sim is not None:
            self.sim.stop()
        self.redis.kill()
        self.pg.stop()


def report_pending_status(sim) -> None:
    """The kubelet reports a Pod's status at most once a second: when the clock stops, the reports already
    due are made, so every attempt the ground truth holds was shown by the API (on the simulator's loop)."""
    for run in list(sim.kubelet.pods.values()):
        if run.flush_pending:
            sim.kubelet.flush(run)


def _quiet(fn, *args):
    from django.db import connection

    try:
        return fn(*args)
    except Exception:  # noqa: BLE001 - a connection broken by a restart: try again next time
        return False
    finally:
        connection.close()


def is_state_table(name: str) -> bool:
    return name in STATE_TABLES or not name.startswith(HISTORY_TABLE_PREFIXES)


def table_counts() -> dict[str, int]:
    from django.apps import apps
    from django.db import connection

    tables = sorted({m._meta.db_table for m in apps.get_models() if m._meta.managed and not m._meta.proxy})
    try:
        with connection.cursor() as cursor:
            counts = {}
            for table in tables:
                cursor.execute(f'SELECT count(*) FROM "{table}"')  # noqa: S608 - names from the models
                counts[table] = cursor.fetchone()[0]
            return counts
    finally:
        connection.close()


def invariant_failures(result: dict) -> list[str]:
    a, s = result["attempts"], result["socket"]
    failures = []
    for key in ("lost", "duplicated", "phantom", "deletions_phantom"):
        if a[key]:
            failures.append(f"attempts {key}: {a[key]}")
    if a["placeholders"] != a["placeholders_for_unstored_attempts"]:
        failures.append("placeholders that stand for no unstored attempt")
    if a["deletions_recorded"] != a["deletions_truth"]:
        failures.append(f"deletions recorded {a['deletions_recorded']} of {a['deletions_truth']}")
    if a["truth"] == 0:
        failures.append("the churn ran no container")
    if s["resumed"] < s["redis_restarts"]:
        failures.append(f"socket resumed {s['resumed']} times after {s['redis_restarts']} Redis restarts")
    if not s["final_state_ok"]:
        failures.append(f"socket's final state differs for {s['wrong_pods']} Pods")
    for name, r in result["rss"].items():
        if r["judged"] and r["slope_mb_per_hour"] > RSS_SLOPE_LIMIT_MB_PER_HOUR:
            failures.append(f"RSS of {name} grows {r['slope_mb_per_hour']} MB/h over the last half")
    for name, t in result["tables"].items():
        if t["kind"] == "state" and t["last"] > 2 * max(t["half"], 10):
            failures.append(f"table {name} grows: {t['half']} -> {t['last']}")
    k = result["redis_keys"]
    if k and k["max_second_half"] > 2 * k["max_first_half"] + 20:
        failures.append(f"Redis keys grow: {k['max_first_half']} -> {k['max_second_half']}")
    return failures


# ----------------------------------------------------------------------------------------------- table


def render(result: dict) -> str:
    a, s = result["attempts"], result["socket"]
    rows = [
        ("attempts", "truth / stored", f"{a['truth']} / {a['stored']}"),
        ("", "lost / duplicated / phantom", f"{a['lost']} / {a['duplicated']} / {a['phantom']}"),
        ("", "ended unseen (Pod gone in a compacted gap)", str(a["ended_unseen"])),
        ("", "placeholders (of unstored attempts)",
         f"{a['placeholders']} ({a['placeholders_for_unstored_attempts']})"),
        ("deletions", "truth / recorded / phantom",
         f"{a['deletions_truth']} / {a['deletions_recorded']} / {a['deletions_phantom']}"),
    ]  # fmt: skip
    for name, r in result["rss"].items():
        slope = "n/a" if r["slope_mb_per_hour"] is None else f"{r['slope_mb_per_hour']:+.1f} MB/h"
        note = "" if r["judged"] else " (not judged)"
        restarts = f", {r['restarts']} restarts" if r["restarts"] else ""
        rows.append(
            ("RSS", name, f"{r['start_mb']:.0f} -> {r['end_mb']:.0f} MB, slope {slope}{note}{restarts}")
        )
    for name, t in result["tables"].items():
        if t["kind"] == "state" or t["last"] != t["first"]:
            rows.append((f"table ({t['kind']})", name, f"{t['first']} -> {t['half']} -> {t['last']}"))
    k = result["redis_keys"]
    if k:
        text = f"{k['first']} / {k['last']} ({k['max_first_half']} / {k['max_second_half']})"
        rows.append(("Redis keys", "first / last (max 1st half / 2nd half)", text))
    rows.append(("socket", "resumed / Redis restarts", f"{s['resumed']} / {s['redis_restarts']}"))
    rows.append(("", "final state", "ok" if s["final_state_ok"] else f"{s['wrong_pods']} Pods differ"))
    rows.append(("", "messages / Pods", f"{s['messages']} / {s['pods']}"))
    for kind, n in result["injected"].items():
        rows.append(("injected", kind, str(n)))
    rows.append(("PostgreSQL", "restarts are", result["postgres"]))
    rows.append(
        ("run", "minutes / seconds / seed", f"{result['minutes']} / {result['seconds']} / {result['seed']}")
    )
    rows.append(
        ("", "machine", f"{result['machine']['cpus']} CPUs, load {result['machine']['load_1m_at_end']}")
    )
    rows.append(
        ("verdict", "", "ok" if not result["failures"] else "FAILED: " + "; ".join(result["failures"]))
    )
    w0, w1 = max(len(r[0]) for r in rows), max(len(r[1]) for r in rows)
    return "\n".join(f"{r[0]:<{w0}}  {r[1]:<{w1}}  {r[2]}" for r in rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.soak.runner", description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=60.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", type=Path, default=None, help="default: var/soak/<timestamp>.json")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    os.chdir(ROOT)
    workdir = Path(tempfile.mkdtemp(prefix="initscope-soak-"))
    os.chmod(workdir, 0o755)

    def log(text: str) -> None:
        print(text, flush=True)

    soak = Soak(Plan.for_minutes(args.minutes, args.seed), workdir, log)
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    try:
        soak.start()
        result = soak.run()
    except BaseException:
        print(f"the soak stopped on an error; logs kept in {workdir}", flush=True)
        raise
    finally:
        soak.close()
    print(render(result), flush=True)
    path = args.json or ROOT / "var" / "soak" / f"{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2) + "\n")
    print(f"written to {path}", flush=True)
    if result["failures"]:
        print(f"logs kept in {workdir}", flush=True)
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    return 1 if result["failures"] else 0


if __name__ == "__main__":
    sys.exit(main())
