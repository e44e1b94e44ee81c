"""B2: relist and reconcile a large cluster's Pods (paged lists, as a watcher does after a 410).

`run(ctx)` starts kubesim in its own process with N settled Pods (`large` scenario: Deployments of 100
replicas, the `healthy` Pod of two init containers and an app, ~4.8 KB of JSON each; created in bulk,
`kubesim.bulk`) and measures:

- kubesim's creation of the Pods (its own start-up, reported by it) and its peak RSS;
- the bare paging of the same list (the watcher's client, 500 a page, no parsing, no ingest): kubesim's
  share; orjson's parsing of those pages apart;
- in a separate watcher process each (its own peak RSS), `list_once` of the Pods stream on PostgreSQL
  with the Redis lock: the first list into an empty store, then the headline, a relist of the same
  unchanged Pods (what a relist after a 410 sees on a quiet cluster);
- the baseline: the official client's `CoreV1Api.list_pod_for_all_namespaces` with its models, 500 a
  page, on the same server, cut off after `BASELINE_LIMIT` seconds (then its rate, a lower bound).

`python -m bench.b2 [--pods N]` runs it alone against $DATABASE_URL (migrated) and $REDIS_URL;
`python -m bench.b2 reset`, `watch first|relist`, `page` and `baseline` are its child processes.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import orjson

from bench.figures import Context, Figure, Result

PODS = 150_000
REPLICAS = 100
TARGET_SECONDS = 30.0
TARGET_RSS_MB = 500.0
BASELINE_LIMIT = 300.0
CLUSTER = "b2"
ROOT = Path(__file__).resolve().parent.parent
CONTINUE = re.compile(rb'"continue":"([^"]*)"')


# ----------------------------------------------------------------------------------------- the parent


def run(ctx: Context) -> Result:
    pods = int(getattr(ctx.args, "b2_pods", None) or PODS)
    with tempfile.TemporaryDirectory(prefix="b2-") as tmp, KubeSimProcess(pods, Path(tmp), ctx.env) as sim:
        env = {**ctx.env, "KUBECONFIG": str(sim.kubeconfig), "INITSCOPE_CLUSTERS": CLUSTER}
        paging = _child(["page"], env)
        _child(["reset"], env)  # in a process of its own: deleting a big cluster is no watcher's peak RSS
        first = _child(["watch", "first"], env)
        relist = _child(["watch", "relist"], env)
        baseline = _baseline(env)
        sim_rss = sim.peak_rss_mb()
    for step in (first, relist):
        if step["stored"] != pods:
            raise RuntimeError(f"B2: {step['stored']} Pods stored, {pods} listed")
    if relist["unchanged"] != pods:
        raise RuntimeError(f"B2: the relist found {relist['unchanged']} of {pods} Pods unchanged")
    finished = baseline["finished"]
    base_label = f"official client list_pod_for_all_namespaces with models: {baseline['pods']:,} Pods" + (
        f" in {baseline['seconds']:.0f} s"
        if finished
        else f", did not finish in {baseline['seconds']:.0f} s (its rate scaled to every Pod: a lower bound)"
    )
    base_seconds = baseline["seconds"] * (pods / baseline["pods"]) if baseline["pods"] else None
    share = round(paging["seconds"] / relist["seconds"], 3) if relist["seconds"] else None
    figures = [
        Figure(
            "B2 relist and reconcile (every Pod unchanged)",
            relist["seconds"],
            "s",
            TARGET_SECONDS,
            "lower",
            base_seconds,
            base_label,
            {"pods": pods, "unchanged": relist["unchanged"], "folded": relist["folded"]},
        ),
        Figure(
            "B2 first list into an empty store",
            first["seconds"],
            "s",
            TARGET_SECONDS,
            "lower",
            base_seconds,
            base_label,
            {"pods_per_second": round(pods / first["seconds"])},
        ),
        Figure(
            "B2 watcher peak RSS (the larger of the two)",
            max(first["peak_rss_mb"], relist["peak_rss_mb"]),
            "MB",
            TARGET_RSS_MB,
            "lower",
            details={
                "first": first["peak_rss_mb"],
                "relist": relist["peak_rss_mb"],
                "official_client_list_only": baseline["peak_rss_mb"],
            },
        ),
        Figure(
            "B2 kubesim's share: serving the pages (bare GETs, no parsing, no ingest)",
            paging["seconds"],
            "s",
            None,
            "lower",
            details={
                "share_of_relist": share,
                "orjson_parse_seconds": paging["parse_seconds"],
                "pages": paging["pages"],
                "mb": round(paging["bytes"] / 1e6),
            },
        ),
        Figure(
            "B2 kubesim: creating the Pods",
            sim.setup_seconds,
            "s",
            None,
            "lower",
            details={"peak_rss_mb": sim_rss, "pods_per_second": round(pods / max(sim.setup_seconds, 1e-9))},
        ),
    ]
    return Result(
        "B2",
        f"relist and reconcile {pods:,} Pods served by kubesim (paged, 500 a page; PostgreSQL, Redis lock)",
        figures,
        {
            "pods": pods,
            "replicas": REPLICAS,
            "page_size": 500,
            "baseline": baseline,
            "first": first,
            "relist": relist,
            "paging": paging,
        },
    )


class KubeSimProcess:
    """`python -m kubesim --scenario large` on a free port, plain HTTP, with a kubeconfig for it."""

    def __init__(self, pods: int, tmp: Path, env: dict[str, str]) -> None:
        self.pods, self.kubeconfig, self.env = pods, tmp / "kubeconfig", env
        self.proc: subprocess.Popen | None = None
        self.setup_seconds = 0.0

    def __enter__(self) -> KubeSimProcess:
        args = [
            sys.executable, "-m", "kubesim", "--scenario", "large", "--pods", str(self.pods),
            "--replicas", str(REPLICAS), "--nodes", str(max(3, self.pods // 100)), "--port", "0",
            "--kubeconfig", str(self.kubeconfig), "--context", CLUSTER, "--plain-http",
            "--log-level", "warning",
        ]  # fmt: skip
        self.proc = subprocess.Popen(args, cwd=ROOT, env=self.env, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line.startswith("kubesim serving"):
            self.__exit__()
            raise RuntimeError(f"kubesim did not start: {line!r}")
        fields = dict(part.split("=", 1) for part in line.split() if "=" in part)
        self.setup_seconds = float(fields["setup"].rstrip("s"))
        if int(fields["pods"]) != self.pods:
            raise RuntimeError(f"kubesim holds {fields['pods']} Pods, not {self.pods}")
        return self

    def peak_rss_mb(self) -> float:
        """kubesim's peak RSS (VmHWM) so far."""
        assert self.proc is not None
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    return round(int(line.split()[1]) / 1024, 1)
        return 0.0

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def _child(args: list[str], env: dict[str, str]) -> dict:
    sys.stderr.write(f"B2: {' '.join(args)} ...\n")
    out = subprocess.run(
        [sys.executable, "-m", "bench.b2", *args], env=env, cwd=ROOT, capture_output=True, text=True
    )
    if out.returncode != 0:
        sys.stderr.write(out.stderr[-4000:])
        raise RuntimeError(f"B2 step failed: {' '.join(args)}")
    result = orjson.loads(out.stdout.strip().splitlines()[-1])
    sys.stderr.write(f"B2: {' '.join(args)}: {result}\n")
    return result


def _baseline(env: dict[str, str]) -> dict:
    """The official client's paged list with models, cut off after BASELINE_LIMIT seconds: the Pods it
    had listed by then (each page's count is printed as it arrives)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "bench.b2", "baseline"], env=env, cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    began = time.monotonic()
    last: dict[str, Any] = {"pods": 0, "done": False, "peak_rss_mb": 0.0}

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.strip():
                last.update(orjson.loads(line))

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(BASELINE_LIMIT)
    seconds = time.monotonic() - began
    if proc.poll() is None:
        proc.kill()
    proc.wait()
    reader.join(5)
    return {
        "pods": last["pods"],
        "seconds": round(seconds, 2),
        "finished": bool(last["done"]),
        "peak_rss_mb": last["peak_rss_mb"],
    }


# ------------------------------------------------------------------------------------ child processes


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dashboard.settings")
    import django

    django.setup()
    from django.conf import settings

    settings.DEBUG = False  # as in production: with it, Django keeps the SQL of the last 9,000 queries


def _peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def child_watch(phase: str) -> dict:
    """One `list_once` of the Pods stream under the cluster's lock, as the watcher runs it."""
    from pods import watch
    from pods.ingest import tune_gc_for_ingest
    from pods.models import Pod

    tune_gc_for_ingest()
    s = watch.WatchSettings.from_settings()
    lock = watch.ClusterLock(CLUSTER, ttl=s.lock_seconds)
    if not lock.acquire():
        raise RuntimeError(f"the lock of {CLUSTER} is held by {lock.holder()}")
    try:
        w = watch.cluster_watch(CLUSTER, settings_=s, lock=lock)
        began = time.perf_counter()
        watch.list_once(w, watch.Stream("pods"))
        seconds = time.perf_counter() - began
    finally:
        lock.release()
    return {
        "phase": phase,
        "seconds": round(seconds, 2),
        "peak_rss_mb": _peak_rss_mb(),
        "stored": Pod.objects.filter(cluster__name=CLUSTER, deleted_at__isnull=True).count(),
        "unchanged": w.stats["unchanged"],
        "folded": w.stats["objects"],
    }


def child_reset() -> dict:
    """Forget what an earlier run stored of the benchmark's cluster (the first list starts empty)."""
    from pods.models import Cluster

    deleted, _ = Cluster.objects.filter(name=CLUSTER).delete()
    return {"deleted": deleted}


def child_page() -> dict:
    """The bare paging of the list through the watcher's client (`KubeClient`'s GET, no parsing): kubesim's
    time and the transport; then, apart, what parsing those pages with orjson costs (the client's share)."""
    from pods import kube
    from pods.ingest import tune_gc_for_ingest

    tune_gc_for_ingest()  # as in the watcher: parsed pages are not scanned again and again
    client = kube.client_for(CLUSTER)
    path = kube.resource_path("pods")
    began = time.perf_counter()
    token, pages, size, parse = "", 0, 0, 0.0
    while True:
        query: list[tuple[str, Any]] = [("limit", 500)] + ([("continue", token)] if token else [])
        body = client._get(path, query, client.request_timeout)
        pages += 1
        size += len(body)
        # The continue token is in the list's metadata, before its items: read it from the head.
        match = CONTINUE.search(body, 0, 4096)
        token = match.group(1).decode() if match else ""
        parsed_at = time.perf_counter()
        orjson.loads(body)
        parse += time.perf_counter() - parsed_at
        if not token:
            break
    seconds = time.perf_counter() - began - parse
    return {
        "seconds": round(seconds, 2),
        "parse_seconds": round(parse, 2),
        "pages": pages,
        "bytes": size,
        "peak_rss_mb": _peak_rss_mb(),
    }


def child_baseline() -> None:
    """The official client with its models, paged; one line per page (Pods so far)."""
    from kubernetes import client as k8s_client
    from kubernetes import config as k8s_config

    api = k8s_client.CoreV1Api(k8s_config.new_client_from_config(context=CLUSTER))
    token, listed = None, 0
    while True:
        page = api.list_pod_for_all_namespaces(limit=500, _continue=token)
        listed += len(page.items)
        token = page.metadata._continue
        done = not token
        sys.stdout.write(
            orjson.dumps({"pods": listed, "done": done, "peak_rss_mb": _peak_rss_mb()}).decode() + "\n"
        )
        sys.stdout.flush()
        if done:
            return


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.b2")
    parser.add_argument("step", nargs="?", choices=["reset", "watch", "page", "baseline"])
    parser.add_argument("phase", nargs="?", choices=["first", "relist"], default="first")
    parser.add_argument("--pods", type=int, default=PODS)
    args = parser.parse_args(argv)
    if args.step is None:
        result = run(Context(env=dict(os.environ), args=argparse.Namespace(b2_pods=args.pods), root=ROOT))
        sys.stdout.write(orjson.dumps(result.as_json(), option=orjson.OPT_INDENT_2).decode() + "\n")
        return
    if args.step == "baseline":
        child_baseline()
        return
    _setup()
    steps = {"reset": child_reset, "page": child_page}
    out = steps[args.step]() if args.step in steps else child_watch(args.phase)
    sys.stdout.write(orjson.dumps(out).decode() + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
