"""Measure how much Pod churn kubesim sustains with a watcher connected.

    python -m kubesim.bench_churn --pods-per-second 500 --init-containers 3 --seconds 30

Runs the ``churn`` scenario in real time (speed 1) and, in a separate process, a cluster-wide Pod
watch that parses every line. Reports Pods created per second against the target, the worst
timer lag (how late the simulator ran scheduled work — it grows without bound when the rate is not
sustainable), watch events received per second, CPU and peak RSS. Exit status 1 when the target
was missed (created < 95 % of target or lag > 2 s).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time

import psutil

from .sim import KubeSim

WATCHER = r"""
import json, sys, time, urllib.request
url, token, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
query = "/api/v1/pods?watch=1&allowWatchBookmarks=true&timeoutSeconds=%d" % seconds
req = urllib.request.Request(url + query,
                             headers={"Authorization": "Bearer " + token})
count, types, start = 0, {}, time.monotonic()
with urllib.request.urlopen(req, timeout=seconds + 30) as resp:
    for line in resp:
        ev = json.loads(line)
        types[ev["type"]] = types.get(ev["type"], 0) + 1
        count += 1
print(json.dumps({"events": count, "types": types, "seconds": time.monotonic() - start}))
"""


async def bench(pods_per_second: float, init_containers: int, seconds: float) -> dict:
    sim = KubeSim(
        "churn",
        speed=1.0,
        history_size=20_000,
        max_events=20_000,
        bookmark_interval=10,
        scenario_options={"pods_per_second": pods_per_second, "init_containers": init_containers},
    )
    created = [0]
    sim.store.subscribe("pods", lambda ch: created.__setitem__(0, created[0] + (ch.type == "ADDED")))
    url = await sim.start()
    watcher = await asyncio.create_subprocess_exec(
        sys.executable, "-c", WATCHER, url, sim.token, str(seconds), stdout=asyncio.subprocess.PIPE
    )
    proc = psutil.Process(os.getpid())
    proc.cpu_percent(None)
    start_wall, start_rv = time.monotonic(), sim.store.rv
    worst_lag, peak_rss, samples = 0.0, 0, []
    while time.monotonic() - start_wall < seconds:
        await asyncio.sleep(1.0)
        due = sim.clock.next_due()
        lag = max(0.0, sim.clock.now() - due) if due is not None else 0.0
        worst_lag = max(worst_lag, lag)
        peak_rss = max(peak_rss, proc.memory_info().rss)
        samples.append(
            {
                "t": round(time.monotonic() - start_wall, 1),
                "pods": created[0],
                "rv": sim.store.rv,
                "lag": round(lag, 3),
                "live_pods": len(sim.store.objects["pods"]),
            }
        )
    elapsed = time.monotonic() - start_wall
    cpu = proc.cpu_percent(None)
    out, _ = await watcher.communicate()
    await sim.stop()
    sim.close()
    watch = json.loads(out or b"{}")
    return {
        "target_pods_per_second": pods_per_second,
        "init_containers": init_containers,
        "seconds": round(elapsed, 1),
        "pods_per_second": round(created[0] / elapsed, 1),
        "writes_per_second": round((sim.store.rv - start_rv) / elapsed, 1),
        "watch_events_per_second": round(watch.get("events", 0) / max(watch.get("seconds", 1), 1e-9), 1),
        "watch_event_types": watch.get("types"),
        "worst_timer_lag_s": round(worst_lag, 3),
        "simulator_cpu_percent": round(cpu, 1),
        "peak_rss_mb": round(peak_rss / 2**20, 1),
        "live_pods_at_end": len(sim.store.objects["pods"]),
        "samples": samples[-3:],
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m kubesim.bench_churn")
    p.add_argument("--pods-per-second", type=float, default=500)
    p.add_argument("--init-containers", type=int, default=3)
    p.add_argument("--seconds", type=float, default=30)
    args = p.parse_args(argv)
    result = asyncio.run(bench(args.pods_per_second, args.init_containers, args.seconds))
    print(json.dumps(result, indent=2))
    ok = result["pods_per_second"] >= 0.95 * args.pods_per_second and result["worst_timer_lag_s"] <= 2.0
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
