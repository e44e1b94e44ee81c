"""B1: ingest of Pod watch events (target >= 10,000 events/s, DESIGN.md), `python -m bench B1`.

`run(ctx)` generates the stream once (`bench.stream`, `var/bench/b1-<events>.jsonl`), then measures three
paths over it, each in a process of its own (so each peak RSS is its own), on the fresh database of
`ctx.env`: `python -m bench.b1 fast|plain|naive|parse FILE [--limit N]` prints one JSON line of figures.

fast:  JSON lines -> orjson -> batches as the watcher's window hands them on (`pods.ingest.pipeline`:
       each written by a writer thread while the next is folded; the states it wrote kept between
       batches, `pods.ingest.pod_states`; the pure timeline engine; set-based upserts in PostgreSQL, one
       transaction per batch) -> change messages to the channel layer after commit.
plain: the same batches through `ingest_batch`, folded then written in turn (the A/B for the pipeline).
naive: the same lines -> the official client's model classes (ApiClient.deserialize to V1Pod) -> one ORM
       save per event (update_or_create of the Pod row), as a first version would be written: the baseline.
parse: the same lines read and parsed with orjson, nothing else: the ceiling of any ingest that parses.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

TARGET = 10_000  # events/s
TITLE = "ingest: Pod watch events -> parse -> timeline -> PostgreSQL -> change messages"


def peak_rss_mb() -> float:
    """This process's peak resident set: VmHWM, its memory's own high-water mark. (`ru_maxrss` is not: Linux
    carries it over `exec` from the process that forked, so a child of the benchmark's parent, which may
    just have generated the stream, would report the parent's peak.)"""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dashboard.settings")
    import django

    django.setup()


def _database_cpu_seconds() -> float | None:
    """The CPU time of every PostgreSQL backend serving this process's database so far (this process's
    connections: the benchmark's database is its own), from /proc; None when PostgreSQL is not local."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
        pids = [pid for (pid,) in cursor.fetchall()]
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    try:
        for pid in pids:
            with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
    except (OSError, IndexError, ValueError):
        return None
    return total


def run_fast(path: str, limit: int, batch_size: int, *, plain: bool = False) -> dict:
    """Ingest as the watcher does: each batch written by `IngestPipeline`'s writer thread while the next is
    folded (`plain`: `ingest_batch` one batch after the other, folded then written, as before)."""
    import orjson

    from pods.ingest import (
        IngestPipeline,
        PodStates,
        WatchItem,
        cluster_get_or_create,
        tune_gc_for_ingest,
    )
    from pods.models import Cluster

    tune_gc_for_ingest()
    Cluster.objects.filter(name="bench-fast").delete()
    cluster = cluster_get_or_create(name="bench-fast")
    kept = PodStates()  # what a watcher's ClusterWatch holds for one lock hold
    pipeline = IngestPipeline(cluster, kept, overlap=not plain)
    count, rejected = 0, 0
    batch: list[WatchItem] = []

    def ingest(items: list[WatchItem]) -> int:
        return sum(len(done.result.rejected) for done in pipeline.submit(items))

    database_cpu = _database_cpu_seconds()
    started = time.perf_counter()
    cpu = time.process_time()
    try:
        with open(path, "rb") as stream:
            for line in stream:
                event = orjson.loads(line)
                batch.append(WatchItem(kind="pod", type=event["type"], object=event["object"]))
                count += 1
                if len(batch) >= batch_size:
                    rejected += ingest(batch)
                    batch = []
                if count >= limit:
                    break
        if batch:
            rejected += ingest(batch)
        rejected += sum(len(done.result.rejected) for done in pipeline.finish())
        seconds = time.perf_counter() - started
        cpu_seconds = time.process_time() - cpu
        database_after = _database_cpu_seconds()
    finally:
        pipeline.close()
    return {
        "mode": "plain" if plain else "fast",
        "events": count,
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
        "database_cpu_seconds": None
        if database_cpu is None or database_after is None
        else database_after - database_cpu,
        "writer_cpu_seconds": pipeline.writer_cpu_seconds,
        "rejected": rejected,
        "kept_hits": kept.hits,
        "kept_misses": kept.misses,
    }


def run_parse(path: str, limit: int) -> dict:
    """Read and parse every line with orjson, nothing else (the ceiling of the fast path)."""
    import orjson

    count = 0
    started = time.perf_counter()
    with open(path, "rb") as stream:
        for line in stream:
            orjson.loads(line)
            count += 1
            if count >= limit:
                break
    return {"mode": "parse", "events": count, "seconds": time.perf_counter() - started, "rejected": 0}


class _Response:
    def __init__(self, data: bytes) -> None:
        self.data = data


def run_naive(path: str, limit: int) -> dict:
    import json

    from django.utils.dateparse import parse_datetime
    from kubernetes.client import ApiClient

    from pods.models import Cluster, Pod

    Cluster.objects.filter(name="bench-naive").delete()
    cluster = Cluster.objects.create(name="bench-naive")
    client = ApiClient()
    count = 0
    started = time.perf_counter()
    with open(path, "rb") as stream:
        for line in stream:
            event = json.loads(line)
            pod = client.deserialize(_Response(json.dumps(event["object"])), "V1Pod")
            statuses = (pod.status.init_container_statuses or []) + (pod.status.container_statuses or [])
            Pod.objects.update_or_create(
                cluster=cluster,
                uid=pod.metadata.uid,
                defaults={
                    "namespace": pod.metadata.namespace,
                    "name": pod.metadata.name,
                    "seen": True,
                    "phase": pod.status.phase or "",
                    "restarts": sum(s.restart_count or 0 for s in statuses),
                    "resource_version": pod.metadata.resource_version,
                    "created_at": pod.metadata.creation_timestamp,
                    "deleted_at": parse_datetime("2026-01-01T00:00:00Z")
                    if event["type"] == "DELETED"
                    else None,
                    "updated_at": pod.metadata.creation_timestamp,
                },
            )
            count += 1
            if count >= limit:
                break
    seconds = time.perf_counter() - started
    return {"mode": "naive", "events": count, "seconds": seconds, "rejected": 0}


def main(argv: list[str]) -> None:
    import orjson

    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["fast", "plain", "naive", "parse"])
    parser.add_argument("path")
    parser.add_argument("--limit", type=int, default=10**12)
    parser.add_argument("--batch-size", type=int, default=2000)
    args = parser.parse_args(argv)
    if args.mode == "parse":
        result = run_parse(args.path, args.limit)
    else:
        _setup()
        if args.mode in ("fast", "plain"):
            result = run_fast(args.path, args.limit, args.batch_size, plain=args.mode == "plain")
        else:
            result = run_naive(args.path, args.limit)
    result["events_per_second"] = result["events"] / result["seconds"]
    result["peak_rss_mb"] = peak_rss_mb()
    sys.stdout.write(orjson.dumps(result).decode() + "\n")


def _child(args: list[str], ctx: Any) -> dict:
    import orjson

    out = subprocess.run(
        [sys.executable, "-m", "bench.b1", *args], env=ctx.env, cwd=ctx.root, capture_output=True, text=True
    )
    if out.returncode != 0:
        sys.stderr.write(out.stderr)
        raise RuntimeError(f"B1 step failed: python -m bench.b1 {' '.join(args)}")
    return orjson.loads(out.stdout.strip().splitlines()[-1])


def stream_file(root: Path, events: int) -> Path:
    """The generated stream of `events` Pod watch events (generated once, then reused: same bytes)."""
    from bench.stream import generate

    path = Path(root) / "var" / "bench" / f"b1-{events}.jsonl"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".partial")
        started = time.perf_counter()
        generate(str(partial), events=events)
        partial.rename(path)  # never a half-written stream under the final name
        print(
            f"generated {events:,} Pod watch events ({path.stat().st_size / 1e6:.0f} MB) "
            f"in {time.perf_counter() - started:.1f}s",
            file=sys.stderr,
        )
    return path


def run(ctx: Any) -> Any:
    """B1's figures (`bench.figures.Result`): the fast path's events/s against the naive loop measured
    in the same run, its peak RSS, and orjson parsing alone (the ceiling)."""
    from bench.figures import Figure, Result

    path = stream_file(ctx.root, ctx.args.events)
    fast = _child(["fast", str(path)], ctx)
    naive = _child(["naive", str(path), "--limit", str(ctx.args.naive_events)], ctx)
    parse = _child(["parse", str(path)], ctx)
    return Result(
        "B1",
        TITLE,
        [
            Figure(
                "B1 ingest",
                fast["events_per_second"],
                "events/s",
                TARGET,
                "higher",
                naive["events_per_second"],
                "the naive loop: client models, one ORM save per event",
                details={"events": fast["events"], "seconds": round(fast["seconds"], 2)},
            ),
            Figure(
                "B1 ingest peak RSS",
                fast["peak_rss_mb"],
                "MB",
                None,
                "lower",
                naive["peak_rss_mb"],
                "the naive loop's peak RSS",
            ),
            Figure(
                "B1 ceiling: orjson parsing alone",
                parse["events_per_second"],
                "events/s",
                None,
                "higher",
                details={"peak_rss_mb": round(parse["peak_rss_mb"], 1)},
            ),
        ],
        details={"stream": path.name, "fast": fast, "naive": naive, "parse": parse},
    )


if __name__ == "__main__":
    main(sys.argv[1:])
