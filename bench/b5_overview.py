"""B5, the overview part: the Pod list showing 500 rows stays responsive (input delay < 50 ms) while 200
Pod updates a second stream in through the real socket.

The stack is B3's (`bench.b3.running_stack`: kubesim, the Celery worker watching it, beat, Daphne, Redis,
PostgreSQL, chromium). kubesim holds 500 Pods whose init container never ends; the overview is opened
with `?size=500` (every Pod on one page, the most a live socket may follow). The updates go the whole
way: a thread writes 200 status changes a second into kubesim's store, round-robin over the 500 Pods
(each an init container ending with a new exit code: kubectl STATUS `Init:ExitCode:<n>`, so each is a
status change the page patches in place from the message, then reads that row and the counts again from
the server; the Pods stay stuck, so no row moves); the watcher ingests them and the consumer forwards
them to the page.

Input delay: Playwright presses a key every INTERVAL_S through the DevTools protocol (a trusted event);
a listener in the page records `performance.now() - event.timeStamp` when its handler starts, i.e. how
long the event waited for the main thread. Figure: the p95 of those delays (target < 50 ms); baseline:
the same page and the same presses with no updates flowing. The max, the long tasks (PerformanceObserver
`longtask`) and the main thread's time per second of each phase (chromium's `Performance.getMetrics`:
tasks, script, style, layout) are in the details.
"""

from __future__ import annotations

import threading
import time

from bench.b3 import (
    NAMESPACE,
    exit_code,
    launch_chromium,
    percentile,
    query,
    running_stack,
    signed_in_context,
    wait_for,
    write_status,
)
from bench.figures import Context, Figure

ROWS = 500
UPDATES_PER_SECOND = 200
TARGET_MS = 50.0
PRESSES = 150
INTERVAL_S = 0.1
PHASE_S = 30.0


def scenario(rows: int) -> dict:
    """`rows` Pods whose init container never ends."""
    pod = {
        "kind": "Pod",
        "namespace": NAMESPACE,
        "initContainers": [{"name": "fetch", "image": "acme/probe:1.0", "behavior": {"duration": 1e7}}],
        "containers": [{"name": "app", "image": "acme/app:1.0"}],
    }
    workloads = [{**pod, "name": f"row-{i:03d}"} for i in range(rows)]
    return {"name": "b5-overview", "namespaces": [NAMESPACE], "workloads": workloads}


DELAY_JS = """
() => {
  const state = { delays: [], longtasks: [] };
  window.addEventListener("keydown", (event) => state.delays.push(performance.now() - event.timeStamp));
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) state.longtasks.push(entry.duration);
  }).observe({ type: "longtask", buffered: false });
  window.__b5 = {
    take() {
      const out = { delays: state.delays, longtasks: state.longtasks };
      state.delays = [];
      state.longtasks = [];
      return out;
    },
  };
}
"""


class Updates(threading.Thread):
    """Status changes written into kubesim at `rate` a second, round-robin over the rows' Pods."""

    def __init__(self, ks, names: list[str], rate: float) -> None:
        super().__init__(name="b5-updates", daemon=True)
        self.ks, self.names, self.rate = ks, names, rate
        self.stopped = threading.Event()
        self.written = 0
        self.seconds = 0.0

    def run(self) -> None:
        start = time.monotonic()
        while not self.stopped.is_set():
            due = start + self.written / self.rate
            wait = due - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            name = self.names[self.written % len(self.names)]
            self.ks.call(write_status, self.ks.sim, name, exit_code(1 + self.written // len(self.names)))
            self.written += 1
        self.seconds = time.monotonic() - start

    def stop(self) -> float:
        """Stop; the rate achieved (updates a second)."""
        self.stopped.set()
        self.join()
        return self.written / self.seconds if self.seconds else 0.0


# Chromium's own counters of the page's main thread (DevTools `Performance.getMetrics`, seconds of thread
# time and counts): where the main thread went during a phase.
MAIN_THREAD = ("TaskDuration", "ScriptDuration", "RecalcStyleDuration", "LayoutDuration", "LayoutCount")


def _main_thread(cdp) -> dict[str, float]:
    metrics = cdp.send("Performance.getMetrics")["metrics"]
    return {m["name"]: m["value"] for m in metrics if m["name"] in MAIN_THREAD}


def _delays(page, cdp) -> dict:
    """PRESSES key presses INTERVAL_S apart, for at most PHASE_S (a page too busy to take them in time
    is measured on fewer); with the main thread's time per second of the phase."""
    page.evaluate("window.__b5.take()")
    before, started = _main_thread(cdp), time.monotonic()
    until = started + PHASE_S
    for _ in range(PRESSES):
        page.keyboard.press("Shift")
        if time.monotonic() > until:
            break
        time.sleep(INTERVAL_S)
    sample = page.evaluate("window.__b5.take()")
    after, seconds = _main_thread(cdp), time.monotonic() - started
    sample["main_thread"] = {
        (f"{name}_per_s" if name == "LayoutCount" else f"{name}_ms_per_s"): round(
            (after[name] - before[name]) / seconds * (1 if name == "LayoutCount" else 1000), 1
        )
        for name in MAIN_THREAD
        if name in before and name in after
    }
    return sample


def _summary(sample: dict) -> dict:
    delays = sample["delays"]
    return {
        "presses": len(delays),
        "p50_ms": round(percentile(delays, 50), 1),
        "p95_ms": round(percentile(delays, 95), 1),
        "max_ms": round(max(delays), 1) if delays else None,
        "long_tasks": len(sample["longtasks"]),
        "long_task_max_ms": round(max(sample["longtasks"]), 1) if sample["longtasks"] else 0,
        "main_thread": sample["main_thread"],
    }


def overview_figures(ctx: Context) -> list[Figure]:
    from playwright.sync_api import sync_playwright

    rows_wanted = min(int(getattr(ctx.args, "b5_rows", 0) or ROWS), ROWS)
    rate_wanted = float(getattr(ctx.args, "b5_rate", 0) or UPDATES_PER_SECOND)
    played = scenario(rows_wanted)
    names = [w["name"] for w in played["workloads"]]
    with running_stack(ctx, played, suffix="b5") as stack:
        ks = stack.kubesim
        sql = "SELECT count(*) FROM pods_pod WHERE namespace = %s AND status = %s"

        def stored(status: str) -> bool:
            return query(stack.database_url, sql, NAMESPACE, status)[0][0] == rows_wanted

        wait_for(lambda: stored("Init:0/1"), 180, "the Pods running their init container")
        for name in names:  # a first change each (the kubelet may report some over it: no matter)
            ks.call(write_status, ks.sim, name, exit_code(0))
        with sync_playwright() as playwright:
            browser = launch_chromium(playwright)
            try:
                context = signed_in_context(browser, stack.url)
                page = context.new_page()
                page.goto(f"{stack.url}/?cluster={stack.cluster}&size={rows_wanted}")
                shown = f"() => document.querySelectorAll('#pods tbody tr').length === {rows_wanted}"
                page.wait_for_function(shown)
                page.wait_for_function("() => document.querySelector('[data-live-state=live]')")
                page.evaluate(DELAY_JS)
                cdp = context.new_cdp_session(page)
                cdp.send("Performance.enable")
                idle = _summary(_delays(page, cdp))
                updates = Updates(ks, names, rate_wanted)
                updates.start()
                try:
                    time.sleep(3)  # the stream reaches the page
                    busy_sample = _delays(page, cdp)
                finally:
                    rate = updates.stop()
                rows = page.evaluate("() => document.querySelectorAll('#pods tbody tr').length")
                busy = _summary(busy_sample)
            finally:
                browser.close()
    return [
        Figure(
            name="B5 overview input delay",
            value=busy["p95_ms"],
            unit="ms",
            target=TARGET_MS,
            better="lower",
            baseline=idle["p95_ms"],
            baseline_label="p95, the same page with no updates",
            details={
                "statistic": "p95 of keydown waits (event.timeStamp -> handler start)",
                "rows": rows,
                "updates_per_second_asked": rate_wanted,
                "updates_per_second": round(rate, 1),
                "path": "kubesim store -> watcher (Celery worker) -> Redis channel layer -> socket",
                "with_updates": busy,
                "without_updates": idle,
            },
        )
    ]


if __name__ == "__main__":
    import argparse
    import json
    import os

    from bench.b3 import ROOT

    parser = argparse.ArgumentParser(prog="python -m bench.b5_overview")
    parser.add_argument("--b5-rows", type=int, default=ROWS)
    parser.add_argument("--b5-rate", type=int, default=UPDATES_PER_SECOND)
    args = parser.parse_args()
    figures = overview_figures(Context(env=dict(os.environ), args=args, root=ROOT))
    text = json.dumps([f.as_json() for f in figures], indent=2)
    (ROOT / "var" / "bench" / "b5-overview-last.json").write_text(text)
    print(text)
