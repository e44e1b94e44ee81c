"""B5 in a real browser: the Pod page's waterfall of 20 init containers × 50 attempts drawn < 100 ms (and,
from `bench.b5_overview`, the overview's input delay under a stream of updates).

The Pod is made through the product's real path: a recording of its watch events (the API's objects, as
`tests/builders.py` writes them: each init container crash-loops 49 times with the kubelet's back-off,
then exits 0, and the next one starts) imported with `manage.py import_watch` into the fresh bench
database (ingest, the timeline engine, stored rows). The baseline is a Pod of 1 init container × 1 attempt
in the same recording, measured the same way in the same run: the page's fixed cost.

`manage.py serve --no-worker` (Daphne) serves the pages; chromium (Playwright, `/usr/bin/chromium`) signs
in and loads each Pod page `--b5-runs` times (after one unmeasured load), the two Pods alternating, one
after the other in one tab, as a reader goes from Pod to Pod (the headline), then as many times each in
a new tab (a figure without a target: a new renderer's start is part of each such load). Static files
come from the browser's HTTP cache as the server's `Cache-Control` allows, as for a returning reader.

What "drawn" measures, on the browser's own clock (Navigation Timing, origin = navigation start): from
`responseStart` (the page's first byte in the browser; the server's time before it is a figure of its own)
to the end of the first frame whose DOM holds the whole waterfall (`MEASURE_SCRIPT`: checked at every
frame while the page parses). The waterfall is server-rendered SVG, one element per bar
(`pods/web/waterfall/markup.py`), so that frame has the style, layout and paint of every bar. "Ready" is
the same to the first frame after DOMContentLoaded: `pod.js` (a module script) has set the chart up
(`Waterfall.init`: labels placed and hidden where they do not fit, ticks drawn for the chart's width, the
roving tab stop) and localised the page's times.

Also reported: the main thread's CPU time over the same interval (`main_thread_cpu`: `TRACED_RUNS` more
loads of each Pod, traced, not among the measured ones; split into parse, style, layout, paint and script),
which on a shared machine tells the page's own work from chromium's wait for a core; the server's time for
the page (`responseStart - requestStart`: the stored rows read, the timeline document, the layout, the
markup), and the Python layout alone (`waterfall_layout` on the stored Pod's document, best of 5, in a
process of its own).

    python -m bench B5 [--b5-runs N]      (`python -m bench.b5 layout UID...` is the layout's child step)
"""

from __future__ import annotations

import collections
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any

import orjson

from bench.serving import CHROMIUM, CHROMIUM_ARGS, free_port, manage, start, stop, wait_until_serving

ROOT = Path(__file__).resolve().parent.parent
CLUSTER = "bench-b5"
CONTAINERS, ATTEMPTS = 20, 50
TARGET_MS = 100.0
USERNAME, PASSWORD = "bench", "bench-b5-password"
BIG_UID = "b5000000-0000-4000-8000-000000002050"
SMALL_UID = "b5000000-0000-4000-8000-000000000101"

# Two moments, each "the end of a frame": an animation frame callback runs just before a frame is
# rendered, and a message posted from inside it is delivered once that frame is done.
# - bars: the first frame whose DOM holds the whole waterfall (checked at every frame while the page
#   parses; `.wf-foot` follows the chart's last bar);
# - ready: the first frame after DOMContentLoaded (the module scripts, `pod.js`, have run).
# The mark `b5-anchor` ties the page's clock to a trace's (`main_thread_cpu`).
MEASURE_SCRIPT = """
performance.mark("b5-anchor");
window.__b5 = new Promise((resolve) => {
  const seen = {};
  const afterFrame = (name) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      seen[name] = performance.now();
      if (seen.bars !== undefined && seen.ready !== undefined) resolve(seen);
    };
    channel.port2.postMessage(null);
  };
  const watch = () => {
    if (document.querySelector("#waterfall .wf-foot")) afterFrame("bars");
    else requestAnimationFrame(watch);
  };
  requestAnimationFrame(watch);
  document.addEventListener("DOMContentLoaded", () => {
    seen.scripted = performance.now();
    if (!document.querySelector("#waterfall")) resolve(seen); // no waterfall: said by READ_TIMINGS
    requestAnimationFrame(() => afterFrame("ready"));
  });
});
"""
READ_TIMINGS = """async () => {
  const drawn = await window.__b5;
  const nav = performance.getEntriesByType("navigation")[0];
  const chart = document.querySelector("#waterfall");
  const ticks = [...document.querySelectorAll("#waterfall .wf-axis text")];
  return {
    ...drawn,
    requestStart: nav.requestStart,
    responseStart: nav.responseStart,
    responseEnd: nav.responseEnd,
    domInteractive: nav.domInteractive,
    bytes: nav.transferSize,
    segments: chart ? chart.querySelectorAll(".wf-seg").length : 0,
    elements: chart ? chart.querySelectorAll("*").length : 0,
    scripted_chart: ticks.length > 0 && ticks.every((t) => t.hasAttribute("text-anchor")),
    anchor: performance.getEntriesByName("b5-anchor")[0].startTime,
  };
}"""
TRACED_RUNS = 3  # loads of each Pod traced after the measured ones, for the main thread's CPU time
TRACE_CATEGORIES = ["devtools.timeline", "disabled-by-default-devtools.timeline", "blink.user_timing"]
# Trace events by the kind of work they are (the outermost of them is counted).
WORK = {
    "ParseHTML": "parse",
    "UpdateLayoutTree": "style",
    "Layout": "layout",
    "PrePaint": "paint",
    "Paint": "paint",
    "Layerize": "paint",
    "v8.evaluateModule": "script",
    "EvaluateScript": "script",
    "FunctionCall": "script",
    "FireAnimationFrame": "script",
    "RunMicrotasks": "script",
}


# ------------------------------------------------------------------------------------------ recording


def _backoff(n: int) -> int:
    """The kubelet's back-off after the n-th failure (10 s doubling, at most 300 s)."""
    return min(300, 10 * 2**n)


def pod_objects(uid: str, name: str, containers: int, attempts: int) -> list[dict]:
    """The Pod objects a watcher sees while each init container fails `attempts - 1` times (exit 1,
    2 s each, CrashLoopBackOff between) and then exits 0, one after the other; then the app runs."""
    from tests.builders import (
        initialized_conditions,
        last,
        pending_conditions,
        pod,
        running,
        terminated,
        waiting,
    )

    names = [f"init-{i:02d}" for i in range(containers)]
    identity = {"uid": uid, "name": name, "init": names, "apps": ["app"]}
    done: list[dict] = []  # the finished init containers' statuses
    objects: list[dict] = []
    rv = 1000
    clock = 2.0

    def snapshot(current: dict, **extra: Any) -> dict:
        nonlocal rv
        rv += 1
        later = [waiting(n) for n in names[len(done) + 1 :]]
        return pod(
            rv=rv,
            init_statuses=[*done, current, *later],
            statuses=[waiting("app")],
            conditions=pending_conditions(1),
            **identity,
            **extra,
        )

    for name_i in names:
        previous: dict | None = None
        for n in range(attempts):
            started, finished = clock, clock + 2
            objects.append(snapshot(running(name_i, started, rc=n, last=previous)))
            if n < attempts - 1:
                previous = last(1, started, finished, name=name_i, n=n, message="connection refused")
                message = f"back-off {_backoff(n)}s restarting failed container={name_i} pod={name}"
                objects.append(snapshot(waiting(name_i, "CrashLoopBackOff", message, rc=n, last=previous)))
                clock = finished + _backoff(n)
            else:
                done.append(terminated(name_i, 0, started, finished, rc=n, last=previous))
                clock = finished + 1
    rv += 1
    objects.append(
        pod(
            rv=rv,
            phase="Running",
            init_statuses=done,
            statuses=[running("app", clock, ready=True)],
            conditions=initialized_conditions(1, clock, clock + 1),
            **identity,
        )
    )
    return objects


def write_recording(path: Path) -> None:
    from tests.builders import watch

    pods = [
        pod_objects(BIG_UID, f"waterfall-{CONTAINERS}x{ATTEMPTS}", CONTAINERS, ATTEMPTS),
        pod_objects(SMALL_UID, "waterfall-1x1", 1, 1),
    ]
    with path.open("wb") as out:
        for objects in pods:
            for n, obj in enumerate(objects):
                out.write(orjson.dumps(watch("ADDED" if n == 0 else "MODIFIED", obj)) + b"\n")


# ------------------------------------------------------------------------------------------- processes


# ------------------------------------------------------------------------------------------------ browser


def measure_pages(url: str, uids: list[str], runs: int, *, new_tabs: bool = False) -> dict[str, list[dict]]:
    """Each Pod page loaded once unmeasured, then `runs` times measured, the Pods alternating; then
    `TRACED_RUNS` loads of each traced (not among the measured: tracing slows the browser) for the main
    thread's CPU time (`cpu` in their samples, under `traced`).

    The loads follow one another in one tab, as a reader goes from Pod to Pod, or with `new_tabs` each in
    a tab of its own (a new renderer's start is then part of every load). Static files come from the
    browser's HTTP cache as the server's `Cache-Control` allows (a returning reader), not through
    Playwright's request interception: a file answered through it waits for a round trip to this
    process, and the stylesheet and `theme-init.js` block the parser."""
    from playwright.sync_api import sync_playwright

    samples: dict[str, list[dict]] = {uid: [] for uid in uids}
    samples.update({f"traced:{uid}": [] for uid in uids})
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1360, "height": 900})
            page = context.new_page()
            page.goto(f"{url}/login/")
            page.fill("#id_username", USERNAME)
            page.fill("#id_password", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url(f"{url}/")
            context.add_init_script(MEASURE_SCRIPT)
            errors: list[str] = []
            context.on("weberror", lambda error: errors.append(str(error.error)))
            for n in range(runs + 1 + TRACED_RUNS):
                traced = n > runs
                for uid in uids:
                    tab = context.new_page() if new_tabs else page
                    if traced:
                        browser.start_tracing(page=tab, categories=TRACE_CATEGORIES)
                    response = tab.goto(f"{url}/pods/{uid}/", wait_until="domcontentloaded")
                    if response is None or response.status != 200:
                        raise RuntimeError(f"/pods/{uid}/ answered {response and response.status}")
                    timings = tab.evaluate(READ_TIMINGS)
                    if traced:
                        timings["cpu"] = main_thread_cpu(orjson.loads(browser.stop_tracing()), timings)
                    if new_tabs:
                        tab.close()
                    if errors:
                        raise RuntimeError(f"/pods/{uid}/: script errors: {errors}")
                    if not timings["segments"]:
                        raise RuntimeError(f"/pods/{uid}/: no waterfall on the page")
                    if not timings["scripted_chart"]:
                        raise RuntimeError(f"/pods/{uid}/: the waterfall's script did not set the chart up")
                    if n:
                        samples[f"traced:{uid}" if traced else uid].append(timings)
        finally:
            browser.close()
    return samples


def main_thread_cpu(trace: dict, timings: dict) -> dict[str, float]:
    """The page's main thread's CPU time (thread time, not wall clock: on a loaded machine the wall clock
    also counts the time chromium waited for a core) from `responseStart` to the `bars` frame (`drawn`)
    and to the `ready` one, and the part to `drawn` of each kind of work (`WORK`). The page's clock is
    tied to the trace's by the mark `b5-anchor`."""
    events = trace["traceEvents"]
    anchor = next(e for e in reversed(events) if e.get("name") == "b5-anchor")
    pid, tid = anchor["pid"], anchor["tid"]
    origin = anchor["ts"] - timings["anchor"] * 1000  # µs
    start = origin + timings["responseStart"] * 1000
    ends = {"drawn": origin + timings["bars"] * 1000, "ready": origin + timings["ready"] * 1000}
    main = sorted(
        (e for e in events if e.get("pid") == pid and e.get("tid") == tid and e.get("ph") == "X"),
        key=lambda e: e["ts"],
    )
    out: collections.Counter[str] = collections.Counter()
    task_end = kind_end = 0.0
    for e in main:
        ts, cpu = e["ts"], e.get("tdur", 0) / 1000
        if e["name"] == "RunTask" and ts >= task_end:  # a task of the thread (not one nested in another)
            task_end = ts + e.get("dur", 0)
            for moment, end in ends.items():
                if start <= ts < end:
                    out[moment] += cpu
        kind = WORK.get(e["name"])
        if kind and ts >= kind_end:
            kind_end = ts + e.get("dur", 0)
            if start <= ts < ends["drawn"]:
                out[kind] += cpu
    return dict(out)


def _median(values: list[float]) -> float:
    return statistics.median(values)


def _summary(samples: list[dict], traced: list[dict]) -> dict[str, Any]:
    drawn = [s["bars"] - s["responseStart"] for s in samples]
    cpu = [s["cpu"] for s in traced]
    return {
        "drawn_ms": _median(drawn),
        "drawn_max_ms": max(drawn),
        "ready_ms": _median([s["ready"] - s["responseStart"] for s in samples]),
        "drawn_from_navigation_start_ms": _median([s["bars"] for s in samples]),
        "server_ms": _median([s["responseStart"] - s["requestStart"] for s in samples]),
        "parsed_ms": _median([s["domInteractive"] - s["responseStart"] for s in samples]),
        "scripts_done_ms": _median([s["scripted"] - s["responseStart"] for s in samples]),
        # the main thread's CPU time (`main_thread_cpu`), median of the traced loads
        "cpu_drawn_ms": _median([c.get("drawn", 0.0) for c in cpu]),
        "cpu_ready_ms": _median([c.get("ready", 0.0) for c in cpu]),
        "cpu_drawn_by_work_ms": {
            kind: round(_median([c.get(kind, 0.0) for c in cpu]), 1) for kind in sorted(set(WORK.values()))
        },
        "html_kb": round(samples[0]["bytes"] / 1024, 1),
        "bars": samples[0]["segments"],
        "svg_elements": samples[0]["elements"],
        "runs": len(samples),
        "traced_runs": len(traced),
    }


# ------------------------------------------------------------------------------------------------ layout


def layout_child(uids: list[str]) -> dict[str, Any]:
    """In a Django process on the bench database: the stored Pod's document as the Pod page reads it, and
    `waterfall_layout` of it, best of 5 each."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dashboard.settings")
    import django

    django.setup()
    from pods import selectors
    from pods.web.waterfall import waterfall_layout

    out: dict[str, Any] = {}
    for uid in uids:
        pod = selectors.pod_get(uid=uid)
        if pod is None:
            raise SystemExit(f"no Pod {uid}")
        now = selectors.cluster_now(pod.cluster)
        best_doc = best_layout = float("inf")
        for _ in range(5):
            started = time.perf_counter()
            document = selectors.pod_document(pod, now=now)
            middle = time.perf_counter()
            layout = waterfall_layout(document, now=now)
            best_doc = min(best_doc, middle - started)
            best_layout = min(best_layout, time.perf_counter() - middle)
        out[uid] = {
            "document_ms": best_doc * 1000,
            "layout_ms": best_layout * 1000,
            "attempts": layout.attempt_count,
        }
    return out


# ------------------------------------------------------------------------------------------------ run


def waterfall_figures(ctx: Any) -> tuple[list[Any], dict[str, Any]]:
    from bench.figures import Figure

    runs = max(1, int(ctx.args.b5_runs))
    env = dict(ctx.env, DJANGO_SUPERUSER_PASSWORD=PASSWORD, INITSCOPE_CLUSTERS="", PYTHONUNBUFFERED="1")
    # The server as in production: DEBUG off (no debug templates, static files cached by max-age).
    served = dict(env, DEBUG="0", SECRET_KEY=secrets.token_urlsafe(32))
    with tempfile.TemporaryDirectory(prefix="bench-b5-") as tmp:
        recording = Path(tmp) / "waterfall.jsonl"
        write_recording(recording)
        env["INITSCOPE_VAR_DIR"] = tmp
        manage(env, "import_watch", "--cluster", CLUSTER, str(recording))
        manage(env, "createsuperuser", "--noinput", "--username", USERNAME, "--email", "bench@example.com")
        child = subprocess.run(
            [sys.executable, "-m", "bench.b5", "layout", BIG_UID, SMALL_UID],
            env=env,
            cwd=ROOT,
            capture_output=True,
        )
        if child.returncode != 0:
            raise RuntimeError(f"python -m bench.b5 layout failed:\n{child.stderr.decode()[-3000:]}")
        layout = orjson.loads(child.stdout.splitlines()[-1])
        if layout[BIG_UID]["attempts"] < CONTAINERS * ATTEMPTS:
            raise RuntimeError(f"the stored Pod has {layout[BIG_UID]['attempts']} attempts, not 1,000")
        port = free_port()
        log = Path(tmp) / "serve.log"
        server = start(
            [sys.executable, "manage.py", "serve", "--no-worker", "--port", str(port)], served, log
        )
        url = f"http://127.0.0.1:{port}"
        try:
            wait_until_serving(server, url, log)
            samples = measure_pages(url, [BIG_UID, SMALL_UID], runs)
            in_new_tabs = measure_pages(url, [BIG_UID, SMALL_UID], runs, new_tabs=True)
        finally:
            stop(server)
    big = _summary(samples[BIG_UID], samples[f"traced:{BIG_UID}"])
    small = _summary(samples[SMALL_UID], samples[f"traced:{SMALL_UID}"])
    big_new_tab = _summary(in_new_tabs[BIG_UID], in_new_tabs[f"traced:{BIG_UID}"])
    small_new_tab = _summary(in_new_tabs[SMALL_UID], in_new_tabs[f"traced:{SMALL_UID}"])
    shape = f"{CONTAINERS} containers × {ATTEMPTS} attempts"
    fixed = "the same page for a Pod of 1 container × 1 attempt"

    def pair(
        name: str, key: str, big: dict, small: dict, label: str, *, target: float | None = None, **extra: Any
    ) -> Figure:
        """A figure of the 20 × 50 page with the 1 × 1 page's as its baseline."""
        return Figure(
            name, big[key], "ms", target, "lower", baseline=small[key], baseline_label=label, **extra
        )

    figures = [
        pair(
            f"B5 waterfall drawn, {shape}",
            "drawn_ms",
            big,
            small,
            fixed + " (the page's fixed cost)",
            target=TARGET_MS,
            details={k: v for k, v in big.items() if k != "drawn_ms"},
        ),
        pair(
            f"B5 waterfall drawn, main thread's CPU time, {shape}",
            "cpu_drawn_ms",
            big,
            small,
            fixed + " (CPU time, not the wait for a core)",
            details={"by_work": big["cpu_drawn_by_work_ms"], "baseline": small["cpu_drawn_by_work_ms"]},
        ),
        pair(
            f"B5 waterfall drawn in a new tab, {shape}",
            "drawn_ms",
            big_new_tab,
            small_new_tab,
            fixed + ", in a new tab (a new renderer's start is part of every load)",
            details={k: v for k, v in big_new_tab.items() if k != "drawn_ms"},
        ),
        pair(f"B5 Pod page ready, {shape}", "ready_ms", big, small, fixed),
        pair(f"B5 Pod page server time, {shape}", "server_ms", big, small, fixed),
        Figure(
            f"B5 waterfall layout (Python), {shape}",
            layout[BIG_UID]["layout_ms"],
            "ms",
            None,
            "lower",
            baseline=layout[SMALL_UID]["layout_ms"],
            baseline_label="the layout of the 1 × 1 Pod",
            details={"document_ms": round(layout[BIG_UID]["document_ms"], 2)},
        ),
    ]
    return figures, {
        "waterfall": {
            "big": big,
            "small": small,
            "big_new_tab": big_new_tab,
            "small_new_tab": small_new_tab,
            "layout": layout,
        }
    }


def run(ctx: Any) -> Any:
    """`python -m bench B5`: the waterfall figures, then those of `bench.b5_overview` when it exists."""
    import importlib
    import importlib.util

    from bench.figures import Result, format_table, table_rows

    figures, details = waterfall_figures(ctx)
    print(format_table(table_rows({"B5": Result("B5", "", figures).as_json()})), flush=True)
    if importlib.util.find_spec("bench.b5_overview") is None:
        details["errors"] = ["B5 overview: bench/b5_overview.py is not in this checkout"]
    else:
        try:
            figures += importlib.import_module("bench.b5_overview").overview_figures(ctx)
        except Exception as exc:  # noqa: BLE001 - the waterfall's figures stand on their own
            traceback.print_exc()
            details["errors"] = [f"B5 overview: {exc.__class__.__name__}: {exc}"]
    return Result("B5", "browser: the waterfall drawn; the overview under updates", figures, details=details)


if __name__ == "__main__":
    if sys.argv[1:2] == ["layout"]:
        sys.stdout.write(orjson.dumps(layout_child(sys.argv[2:])).decode() + "\n")
    else:
        sys.exit("usage: python -m bench.b5 layout UID... (the benchmark: python -m bench B5)")
