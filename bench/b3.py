"""B3, live latency in a real browser: a Pod's status change written to kubesim -> the DOM of an open
overview and of an open Pod page shows it, while ~1,000 Pod watch events/s flow through the same watcher.

The stack is the production one, each part in its own process: kubesim (HTTP, real clock, in this
process's thread), the Celery worker (threads pool, queues `watch,default`: the watcher), Celery beat
(starts the watch), Daphne (`manage.py serve --no-worker`), Redis as broker and channel layer, a
PostgreSQL database of its own (`<bench database>_b3`, created and dropped here), and Debian's chromium
driven by Playwright.

One probe Pod (namespace `probe`) has an init container that never ends; the benchmark writes its status
straight into kubesim's store (the object its API server serves and its watches stream): the init
container ends with a new exit code each time and no reason, kubectl STATUS `Init:ExitCode:<n>` (a text
of its own per change, so a late update never reads as the current one; failing, so the Pod is stuck and
stays first on the overview). The write's time is `time.time()` on kubesim's loop just before the store
write (the watch line is sent from there); the browser records `Date.now()` in a MutationObserver the
moment the status element's text shows the new status (same machine clock). Each change is recorded twice
per page: when the DOM first shows it (whatever path did it: the in-message patch) and when a
server-rendered fragment that already carries it is swapped in (the refetch path: the baseline). The
changes run twice: without background churn, then with kubesim's `churn` scenario (Pods created, run,
deleted; ~150 Pods/s, ~7 Pod events each), its rate measured as the Pod writes kubesim made during the
measured changes (each is one event on the watcher's cluster-wide Pod watch).
"""

from __future__ import annotations

import contextlib
import copy
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

from bench.figures import Context, Figure, Result
from bench.serving import CHROMIUM, CHROMIUM_ARGS, answers, free_port, manage, own_database, start, stop

ROOT = Path(__file__).resolve().parent.parent
NAMESPACE = "probe"
PROBE = "probe-status"
USERNAME, PASSWORD = "bench", "bench-password-b3"
TARGET_P50_MS, TARGET_P99_MS = 100.0, 300.0
CHANGE_TIMEOUT_S = 3.0

SCENARIO = {
    "name": "b3",
    "namespaces": [NAMESPACE],
    "workloads": [
        {
            "kind": "Pod",
            "name": PROBE,
            "namespace": NAMESPACE,
            "initContainers": [
                {
                    "name": "fetch",
                    "image": "registry.example.com/acme/probe:1.0",
                    "behavior": {"duration": 1e7},
                }
            ],
            "containers": [{"name": "app", "image": "acme/app:1.0"}],
        }
    ],
}

# Installed in each page: `__b3.expect(seq, text)` before a write; the observer stamps the live root (a
# fragment swapped in later is a new element), and records when the status element first shows `text`
# (`first`) and when a swapped-in root already carried it (`fragment`).
OBSERVER_JS = """
([rootId, statusSelector]) => {
  const state = { want: null, records: {} };
  const check = () => {
    const want = state.want;
    if (!want) return;
    const root = document.getElementById(rootId);
    const el = root && root.querySelector(statusSelector);
    if (!el) return;
    const rec = state.records[want.seq];
    if (el.textContent.trim() !== want.text) {
      if (root.__b3seq === undefined) root.__b3seq = want.seq;  // a fragment without the change
      return;
    }
    const now = Date.now();
    const swapped = root.__b3seq === undefined;
    if (rec.first === null) { rec.first = now; rec.via = swapped ? "fragment" : "patch"; }
    if (swapped && rec.fragment === null) rec.fragment = now;
    if (!swapped && rec.patchedRoot === undefined) rec.patchedRoot = true;
  };
  new MutationObserver(check).observe(document.body, {
    subtree: true, childList: true, characterData: true, attributes: true,
  });
  window.__b3 = {
    expect(seq, text) {
      state.want = { seq, text };
      state.records[seq] = { first: null, fragment: null, via: null };
      const root = document.getElementById(rootId);
      if (root) root.__b3seq = seq;
      check();
    },
    record(seq) { return state.records[seq] || null; },
  };
}
"""


@dataclass
class Stack:
    """The running product: its URL, kubesim, and where the processes log."""

    url: str
    cluster: str
    kubesim: object
    database_url: str
    logs: Path
    env: dict[str, str]
    processes: list[subprocess.Popen] = field(default_factory=list)


@contextlib.contextmanager
def bench_database(env: dict[str, str], suffix: str) -> Iterator[str]:
    """A PostgreSQL database `<DATABASE_URL's name>_<suffix>`, created empty and dropped afterwards."""
    url = env.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/initscope")
    if not urlparse(url).scheme.startswith("postgres"):
        raise SystemExit("B3/B5 need PostgreSQL: set DATABASE_URL to a postgres:// URL")
    with own_database(url, f"{urlparse(url).path.lstrip('/') or 'initscope'}_{suffix}") as database_url:
        yield database_url


def query(database_url: str, sql: str, *params):
    import psycopg

    with psycopg.connect(database_url.replace("postgres://", "postgresql://", 1)) as conn:
        return conn.execute(sql, params).fetchall()


def wait_for(predicate, timeout: float, message: str, interval: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise RuntimeError(f"timed out after {timeout:.0f}s waiting for {message}")


@contextlib.contextmanager
def running_stack(ctx: Context, scenario: dict, *, suffix: str) -> Iterator[Stack]:
    """kubesim playing `scenario` + Daphne, a Celery worker and beat watching it as cluster
    `<suffix>-<pid>`: a name of its own per run, so the watch lock and the "watch queued" mark an earlier
    run left in Redis (until they expire) never hold this run's watch back."""
    from kubesim.testing import running_kubesim

    if not ctx.env.get("REDIS_URL", "").startswith(("redis://", "rediss://")):
        # Without it each process falls back to its own in-memory broker and channel layer: beat's tasks
        # and the worker's change messages would never reach the others, and every change would "miss".
        raise SystemExit("B3/B5 run web, worker and beat as processes of their own: set REDIS_URL (redis://)")
    cluster = f"{suffix}-{os.getpid()}"
    logs = ROOT / "var" / "bench" / f"{suffix}-logs"
    logs.mkdir(parents=True, exist_ok=True)
    with (
        bench_database(ctx.env, suffix) as database_url,
        running_kubesim(
            scenario, context=cluster, seed=3, history_size=100_000, max_events=20_000, bookmark_interval=10
        ) as ks,
        tempfile.TemporaryDirectory(prefix=f"initscope-{suffix}-") as var,
    ):
        port = free_port()
        env = {
            **ctx.env,
            "DEBUG": "1",  # static files from the app folders, as the browser tests serve them
            "DATABASE_URL": database_url,
            "KUBECONFIG": ks.kubeconfig_path,
            "INITSCOPE_CLUSTERS": cluster,
            "INITSCOPE_VAR_DIR": var,
            "INITSCOPE_ENSURE_WATCHERS_SECONDS": "2",
            "INITSCOPE_CAPTURE_LOGS": "0",
            # One watch window for the whole run: a window's end resumes from the saved cursor, which the
            # churn can push out of kubesim's watch cache (410, a relist of thousands of Pods mid-run).
            "INITSCOPE_WATCH_WINDOW_SECONDS": "3600",
            "PYTHONUNBUFFERED": "1",
            "DJANGO_SUPERUSER_PASSWORD": PASSWORD,
        }
        manage(env, "migrate", "-v0")
        manage(env, "createsuperuser", "--noinput", "--username", USERNAME, "--email", "b@example.com")
        stack = Stack(
            url=f"http://127.0.0.1:{port}",
            cluster=cluster,
            kubesim=ks,
            database_url=database_url,
            logs=logs,
            env=env,
        )
        commands = {
            "web": [sys.executable, "manage.py", "serve", "--no-worker", "--port", str(port)],
            "worker": [sys.executable, "-m", "celery", "-A", "dashboard", "worker", "-Q", "watch,default",
                       "--loglevel", "warning"],
            "beat": [sys.executable, "-m", "celery", "-A", "dashboard", "beat", "--loglevel", "warning",
                     "-s", str(Path(var) / "beat-schedule")],
        }  # fmt: skip
        # SIGTERM (a `timeout`, Ctrl-C's cousin) unwinds through the finally below: the processes run in
        # sessions of their own and would outlive this one otherwise.
        previous = signal.signal(signal.SIGTERM, _terminate)
        try:
            for name, command in commands.items():
                stack.processes.append(start(command, env, logs / f"{name}.log"))
            wait_for(lambda: answers(f"{stack.url}/login/"), 60, "Daphne")
            yield stack
        finally:
            for process in reversed(stack.processes):
                stop(process, signal.SIGTERM, timeout=15)
            signal.signal(signal.SIGTERM, previous)


def _terminate(signum, frame) -> None:
    raise SystemExit(128 + signum)


def launch_chromium(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


def signed_in_context(browser, url: str, **options):
    """A browser context signed in through the login form."""
    context = browser.new_context(viewport={"width": 1360, "height": 900}, **options)
    page = context.new_page()
    page.goto(f"{url}/login/")
    page.fill("#id_username", USERNAME)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{url}/")
    page.close()
    return context


def start_churn(ks, pods_per_second: float, init_containers: int = 1) -> None:
    """kubesim's `churn` scenario on the running simulator: Pods created, run and deleted at a steady rate."""
    from kubesim.scenarios import load_scenario

    churn = load_scenario("churn", pods_per_second=pods_per_second, init_containers=init_containers)
    for driver in churn.drivers:
        ks.call(driver, ks.sim)


class PodWrites:
    """Counts kubesim's Pod writes (each one event on a cluster-wide Pod watch)."""

    def __init__(self, ks) -> None:
        self.count = 0
        ks.call(ks.sim.store.subscribe, "pods", self._hook)

    def _hook(self, change) -> None:
        self.count += 1


def write_status(sim, name: str, exit_code: int) -> float:
    """End the probe's init container with `exit_code` and no reason (kubectl STATUS
    `Init:ExitCode:<n>`, a distinct text per change); the wall clock just before the store write."""
    pod = copy.deepcopy(sim.store.get("pods", NAMESPACE, name))
    status = pod["status"]["initContainerStatuses"][0]
    state = status.get("state") or {}
    started = (state.get("running") or state.get("terminated") or {}).get("startedAt")
    finished = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(sim.clock.now()))
    terminated = {"exitCode": exit_code, "startedAt": started or finished, "finishedAt": finished}
    status.update(ready=False, started=False, state={"terminated": terminated})
    written = time.time()
    sim.store.update("pods", pod)
    return written


def exit_code(seq: int) -> int:
    """Change `seq`'s exit code: 1..250, never the previous one's (a late update never reads as this one)."""
    return seq % 250 + 1


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0..100), linear between closest ranks."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * q / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def _stored_status(stack: Stack) -> str | None:
    rows = query(
        stack.database_url, "SELECT status FROM pods_pod WHERE namespace = %s AND name = %s", NAMESPACE, PROBE
    )
    return rows[0][0] if rows else None


def _measure(stack: Stack, pages: dict, changes: int, writes: PodWrites, first: int) -> dict:
    """Write `changes` status changes, one at a time; per page, the latencies of both paths (ms)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    ks = stack.kubesim
    out: dict = {name: {"first": [], "fragment": [], "via": {}, "missed": 0} for name in pages}
    writes_before, started = writes.count, time.monotonic()
    for seq in range(changes):
        code = exit_code(first + seq)
        text = f"Init:ExitCode:{code}"
        for page in pages.values():
            page.evaluate("([seq, text]) => window.__b3.expect(seq, text)", [seq, text])
        written = ks.call(write_status, ks.sim, PROBE, code)
        for name, page in pages.items():
            with contextlib.suppress(PlaywrightTimeout):  # a change never shown is counted, not fatal
                page.wait_for_function(
                    "seq => { const r = window.__b3.record(seq); return r && r.fragment !== null; }",
                    arg=seq,
                    timeout=CHANGE_TIMEOUT_S * 1000,
                    polling=50,
                )
            record = page.evaluate("seq => window.__b3.record(seq)", seq)
            if not record or record["first"] is None:
                out[name]["missed"] += 1
                continue
            out[name]["first"].append(record["first"] - written * 1000)
            out[name]["via"][record["via"]] = out[name]["via"].get(record["via"], 0) + 1
            if record["fragment"] is not None:
                out[name]["fragment"].append(record["fragment"] - written * 1000)
        if seq % 10 == 9:
            shown = {n: len(out[n]["first"]) for n in pages}
            print(f"B3: {seq + 1}/{changes} changes, shown {shown}", file=sys.stderr, flush=True)
        time.sleep(random.uniform(0.05, 0.25))  # never in step with the watcher's flush window
    seconds = time.monotonic() - started
    out["pod_events_per_second"] = (writes.count - writes_before) / seconds
    out["seconds"] = seconds
    return out


def _summary(values: list[float]) -> dict:
    if not values:
        return {"n": 0}
    return {
        "n": len(values),
        "p50": round(percentile(values, 50), 1),
        "p99": round(percentile(values, 99), 1),
        "max": round(max(values), 1),
        "mean": round(statistics.fmean(values), 1),
    }


def run(ctx: Context) -> Result:
    from playwright.sync_api import sync_playwright

    quick = bool(getattr(ctx.args, "quick", False))
    changes = int(getattr(ctx.args, "b3_changes", 0) or (40 if quick else 200))
    idle_changes = max(10, changes // 5)
    churn_rate = float(getattr(ctx.args, "b3_pods_per_second", 0) or 150)  # ~7 Pod events each: ~1,000/s
    with running_stack(ctx, SCENARIO, suffix="b3") as stack:
        ks = stack.kubesim
        writes = PodWrites(ks)
        wait_for(
            lambda: _stored_status(stack) == "Init:0/1", 90, "the watcher to store the probe Pod running"
        )
        ks.call(write_status, ks.sim, PROBE, exit_code(0))
        wait_for(
            lambda: _stored_status(stack) == f"Init:ExitCode:{exit_code(0)}", 30, "the probe's first change"
        )
        uid = query(stack.database_url, "SELECT uid FROM pods_pod WHERE name = %s", PROBE)[0][0]
        with sync_playwright() as playwright:
            browser = launch_chromium(playwright)
            try:
                pages = {}
                pod_path = f"/pods/{uid}/?cluster={stack.cluster}"
                for name, path, root, selector in (
                    # The overview's row: the server re-renders it alone (a new element) after a change.
                    ("overview", "/", f"pod-{uid}", "[data-field=status]"),
                    ("pod", pod_path, "pod-live", ".pod-title [data-field=status]"),
                ):
                    context = signed_in_context(browser, stack.url)
                    page = context.new_page()
                    page.goto(f"{stack.url}{path}")
                    page.wait_for_selector(f"#{root} {selector}")
                    page.wait_for_function("() => document.querySelector('[data-live-state=live]')")
                    page.evaluate(OBSERVER_JS, [root, selector])
                    pages[name] = page
                idle = _measure(stack, pages, idle_changes, writes, first=1)
                start_churn(ks, churn_rate)
                time.sleep(8)  # the churn reaches its steady state (Pods deleted as fast as created)
                busy = _measure(stack, pages, changes, writes, first=1 + idle_changes)
            finally:
                browser.close()
    return _result(busy, idle, churn_rate)


def _result(busy: dict, idle: dict, churn_rate: float) -> Result:
    figures = []
    label = "fragment refetch, same run"
    for name, title in (("overview", "overview"), ("pod", "Pod page")):
        first, fragment = busy[name]["first"], busy[name]["fragment"]
        for q, target in ((50, TARGET_P50_MS), (99, TARGET_P99_MS)):
            figures.append(
                Figure(
                    name=f"B3 {title} p{q}",
                    value=percentile(first, q),
                    unit="ms",
                    target=target,
                    better="lower",
                    baseline=percentile(fragment, q) if fragment else None,
                    baseline_label=label,
                    details={"n": len(first), "missed": busy[name]["missed"], "via": busy[name]["via"]},
                )
            )
    details = {
        "changes": len(busy["overview"]["first"]),
        "background_pod_events_per_second": round(busy["pod_events_per_second"], 1),
        "churn_pods_per_second": churn_rate,
        "clock": "written: time.time() just before kubesim's store write; shown: Date.now() in a "
        "MutationObserver",
        "with_churn": {n: {"first": _summary(busy[n]["first"]), "fragment": _summary(busy[n]["fragment"])}
                       for n in ("overview", "pod")},
        "without_churn": {n: {"first": _summary(idle[n]["first"]), "fragment": _summary(idle[n]["fragment"])}
                          for n in ("overview", "pod")},
    }  # fmt: skip
    return Result(
        key="B3",
        title="live latency in chromium: a status change in kubesim -> the overview's and the Pod page's DOM",
        figures=figures,
        details=details,
    )


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(prog="python -m bench.b3")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--b3-changes", type=int, default=0)
    parser.add_argument("--b3-pods-per-second", type=float, default=0)
    args = parser.parse_args()
    env = dict(os.environ)
    result = run(Context(env=env, args=args, root=ROOT))
    import json

    text = json.dumps(result.as_json(), indent=2)
    (ROOT / "var" / "bench" / "b3-last.json").write_text(text)
    print(text)
