"""B1 in one process: `python -m bench.b1 fast|naive FILE [--limit N]` prints one JSON line of figures.

fast:  JSON lines -> orjson -> ingest_batch (pure timeline engine, set-based upserts in PostgreSQL, one
       transaction per batch) -> change messages to the channel layer after commit.
naive: the same lines -> the official client's model classes (ApiClient.deserialize to V1Pod) -> one ORM
       save per event (update_or_create of the Pod row), as a first version would be written.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dashboard.settings")
    import django

    django.setup()


def run_fast(path: str, limit: int, batch_size: int) -> dict:
    import orjson

    from pods.ingest import WatchItem, cluster_get_or_create, ingest_batch, tune_gc_for_ingest
    from pods.models import Cluster

    tune_gc_for_ingest()
    Cluster.objects.filter(name="bench-fast").delete()
    cluster = cluster_get_or_create(name="bench-fast")
    count, rejected = 0, 0
    batch: list[WatchItem] = []
    started = time.perf_counter()
    with open(path, "rb") as stream:
        for line in stream:
            event = orjson.loads(line)
            batch.append(WatchItem(kind="pod", type=event["type"], object=event["object"]))
            count += 1
            if len(batch) >= batch_size:
                rejected += len(ingest_batch(cluster=cluster, items=batch).rejected)
                batch = []
            if count >= limit:
                break
    if batch:
        rejected += len(ingest_batch(cluster=cluster, items=batch).rejected)
    seconds = time.perf_counter() - started
    return {"mode": "fast", "events": count, "seconds": seconds, "rejected": rejected}


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
    parser.add_argument("mode", choices=["fast", "naive"])
    parser.add_argument("path")
    parser.add_argument("--limit", type=int, default=10**12)
    parser.add_argument("--batch-size", type=int, default=2000)
    args = parser.parse_args(argv)
    _setup()
    if args.mode == "fast":
        result = run_fast(args.path, args.limit, args.batch_size)
    else:
        result = run_naive(args.path, args.limit)
    result["events_per_second"] = result["events"] / result["seconds"]
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    sys.stdout.write(orjson.dumps(result).decode() + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
