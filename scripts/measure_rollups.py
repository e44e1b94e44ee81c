"""Measure the 1-year init-container report read from rollups on a realistic volume (docs/performance.md,
"Rollups"). Writes into the database of DATABASE_URL (never run it against one you care about):

    DATABASE_URL=postgres://…/scratch .venv/bin/python manage.py migrate
    DATABASE_URL=postgres://…/scratch .venv/bin/python scripts/measure_rollups.py [--keys 400] [--repeat 5]

One cluster `rollup-volume`, `--keys` workload × container keys, a year of day rows (each day of each key
about 1,500 durations log-spread over 1 s … 10 min: some 320 histogram buckets; pulls and queue waits; a
few Pods carried from the day before), the hour rows of the period's two edge days, and the blocks
`rollup_build.recompute_block` sums from them (months, blocks of days and of hours). Then the report over
the last 365 days ending at an hour that is not midnight (both ends cut a month and a day), timed
`--repeat` times, with where the time goes: the SQL and transfer (`values_list` alone) and the rest
(decoding and summing, in Python); and the same report from hour and day rows alone (the earlier layout).
"""

from __future__ import annotations

import argparse
import math
import os
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dashboard.settings")

import django  # noqa: E402

django.setup()

from django.db import transaction  # noqa: E402
from django.db.models import Q  # noqa: E402

from pods.models import Cluster, InitContainerRollup  # noqa: E402
from pods.reports import (  # noqa: E402
    INIT_CONTAINERS,
    Period,
    ReportFilters,
    hourly,  # noqa: E402
    report,
    rollup_build,
    rollups,
)
from pods.reports import histogram as h  # noqa: E402

NAME = "rollup-volume"
UNTIL = datetime(2026, 11, 17, 15, tzinfo=UTC)
DAYS = 366
H = timedelta(hours=1)


def _values(rng: random.Random, n: int, low: float, high: float) -> list[float]:
    return [math.exp(rng.uniform(math.log(low), math.log(high))) for _ in range(n)]


_POOL: dict[tuple[int, int], tuple] = {}


def _histograms(rng: random.Random, n: int) -> tuple:
    """One of 40 drawn sets of histograms of n attempts (drawing every row's would take an hour)."""
    pick = (n, rng.randrange(40))
    if pick not in _POOL:
        durations = _values(rng, n, 1, 600)
        pulls = _values(rng, max(1, n // 15), 0.5, 60)
        waits = _values(rng, max(1, n // 15), 0.1, 30)
        _POOL[pick] = (durations, pulls, waits, *(h.pack(h.histogram(v)) for v in (durations, pulls, waits)))
    return _POOL[pick]


def _attempt_fields(rng: random.Random, start: datetime, hours: int, per_day: int) -> dict:
    n = max(1, per_day * hours // 24)
    durations, pulls, waits, duration_histogram, pull_histogram, wait_histogram = _histograms(rng, n)
    previous = hourly.hour_number(start) - 1
    carried = rng.randint(0, 3)
    return {
        "pods": n // 3, "attempts": n, "finished": n, "failed": n // 10,
        "duration_count": n, "duration_sum": sum(durations), "duration_max": max(durations),
        "duration_histogram": duration_histogram, "pull_count": len(pulls),
        "pull_histogram": pull_histogram, "queue_wait_count": len(waits),
        "queue_wait_histogram": wait_histogram, "already_present": n // 30,
        "carried_pods": [[previous, carried]] if carried else [],
        "carried_pulls": [[previous, 0, h.histogram(_values(rng, carried, 0.5, 60)), {}]] if carried else [],
        "carried_from": previous if carried else None,
        "reasons": [["Error", 1, n // 10 - 2], ["OOMKilled", 137, 2]],
    }  # fmt: skip


def build(keys: int, per_day: int) -> Cluster:
    rng = random.Random(12)
    Cluster.objects.filter(name=NAME).delete()
    cluster = Cluster.objects.create(name=NAME)
    names = [(f"ns-{i % 10}", "Deployment", f"app-{i // 4}", f"init-{i % 4}") for i in range(keys)]
    first_day = hourly.day_start(UNTIL) - (DAYS - 1) * 24 * H
    edges = {hourly.day_start(UNTIL - timedelta(days=365)), hourly.day_start(UNTIL)}
    started = time.perf_counter()
    with transaction.atomic():
        for day_number in range(DAYS + 1):
            day = first_day - 24 * H + day_number * 24 * H
            rows = [
                InitContainerRollup(
                    cluster=cluster, hour=day, span_hours=24, namespace=k[0], workload_kind=k[1],
                    workload=k[2], container=k[3], kind="init", **_attempt_fields(rng, day, 24, per_day),
                )
                for k in names
            ]  # fmt: skip
            if day in edges:
                rows += [
                    InitContainerRollup(
                        cluster=cluster, hour=day + i * H, span_hours=1, namespace=k[0], workload_kind=k[1],
                        workload=k[2], container=k[3], kind="init",
                        **_attempt_fields(rng, day + i * H, 1, per_day),
                    )
                    for k in names
                    for i in range(24)
                ]  # fmt: skip
            InitContainerRollup.objects.bulk_create(rows, batch_size=500)
    print(f"day and edge-hour rows written in {time.perf_counter() - started:.0f} s")
    started = time.perf_counter()
    blocks = set()
    for day_number in range(DAYS + 1):
        day = first_day - 24 * H + day_number * 24 * H
        hours = [day + i * H for i in range(24)] if day in edges else [day]
        blocks |= {b for hour in hours for b in hourly.blocks_holding(hour) if b[1] != 24}
    for start, span in sorted(blocks, key=lambda b: (b[1], b[0])):
        with transaction.atomic():
            rollup_build.recompute_block(cluster.pk, start, span)
    print(f"{len(blocks)} blocks summed in {time.perf_counter() - started:.0f} s")
    return cluster


def _days_only(period: Period) -> Q:
    first = hourly.day_start(period.since - H) + 24 * H
    last = hourly.day_start(period.until)
    return (
        Q(span_hours=1, hour__gte=period.since, hour__lt=first)
        | Q(span_hours=24, hour__gte=first, hour__lt=last)
        | Q(span_hours=1, hour__gte=last, hour__lt=period.until)
    )


def _timed(fn, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        out.append((time.perf_counter() - started) * 1000)
    return out


def busy_hour(pods: int, background_days: int, repeat: int) -> None:
    """`recompute_hour` on an hour of `pods` Pods × 3 init containers (one in four crash-looping since the
    hour before), on top of `background_days` days of the same load before it; with and without the
    index on attempts' ends."""
    from django.db import connection

    from pods.models import Attempt, Container, ImagePull, Pod

    hour = UNTIL
    Cluster.objects.filter(name="busy-hour").delete()
    cluster = Cluster.objects.create(name="busy-hour")
    started = time.perf_counter()
    for day in range(background_days + 1):
        at = hour - day * 24 * H
        for start in range(0, pods, 1000):
            objects = [
                Pod(
                    cluster=cluster, uid=f"{day}-{i}", namespace=f"ns-{i % 10}", name=f"p-{day}-{i}",
                    seen=True, node=f"node-{i % 50}", owner_kind="Deployment", owner_name=f"app-{i % 100}",
                    created_at=at + timedelta(seconds=i * 3600 // pods), updated_at=at,
                )
                for i in range(start, min(pods, start + 1000))
            ]  # fmt: skip
            Pod.objects.bulk_create(objects)
            containers = [
                Container(pod=p, name=f"init-{n}", kind="init", index=n) for p in objects for n in range(3)
            ]
            Container.objects.bulk_create(containers)
            attempts, pulls = [], []
            for c in containers:
                created = c.pod.created_at
                loops = c.pod.pk % 4 == 0 and c.index == 1
                for number in range(3 if loops else 1):
                    begin = (
                        created + timedelta(seconds=5 + c.index * 20 + number * 40) - (2 - number) * H * loops
                    )
                    attempts.append(
                        Attempt(
                            pod=c.pod, container=c, number=number, started_at=begin,
                            finished_at=begin + timedelta(seconds=15), exit_code=1 if loops else 0,
                            reason="Error" if loops else "Completed", pod_created_at=created,
                        )
                    )  # fmt: skip
                pulls.append(ImagePull(container=c, pull_seconds=3.5, wait_seconds=0.5))
            Attempt.objects.bulk_create(attempts)
            ImagePull.objects.bulk_create(pulls)
    with connection.cursor() as cursor:
        for table in ("pods_pod", "pods_container", "pods_attempt", "pods_imagepull"):
            cursor.execute(f"ANALYZE {table}")  # what autovacuum would have done after such a load
    in_hour = Attempt.objects.filter(pod__cluster=cluster, started_at__gte=hour, started_at__lt=hour + H)
    print(f"busy hour: {in_hour.count():,} attempts in the hour, {Attempt.objects.count():,} in all "
          f"(written in {time.perf_counter() - started:.0f} s)")  # fmt: skip
    with connection.cursor() as cursor:  # a database migrated before 0008 had it
        cursor.execute('CREATE INDEX IF NOT EXISTS attempt_finished ON pods_attempt ("finished_at")')
    figures = {"recompute_hour": _timed(lambda: rollup_build.recompute_hour(cluster.pk, hour), repeat)}
    with connection.cursor() as cursor:
        cursor.execute("DROP INDEX attempt_finished")
    try:
        figures["without attempt_finished"] = _timed(lambda: rollup_build.recompute_hour(cluster.pk, hour), 2)
    finally:
        with connection.cursor() as cursor:
            cursor.execute('CREATE INDEX attempt_finished ON pods_attempt ("finished_at")')
    for name, times in figures.items():
        runs = ", ".join(f"{t:.0f}" for t in times)
        print(f"{name:24} median {statistics.median(times):7.0f} ms  (runs: {runs})")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--keys", type=int, default=400)
    parser.add_argument("--per-day", type=int, default=1500, help="attempts per key and day")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--reuse", action="store_true", help="keep the rows of an earlier run")
    parser.add_argument("--blocks-again", action="store_true", help="with --reuse: blocks of months")
    parser.add_argument("--busy-hour", type=int, default=0, help="Pods of an hour to recompute, instead")
    parser.add_argument("--background-days", type=int, default=20)
    args = parser.parse_args()
    if args.busy_hour:
        busy_hour(args.busy_hour, args.background_days, args.repeat)
        return
    if not (args.reuse and Cluster.objects.filter(name=NAME).exists()):
        build(args.keys, args.per_day)
    elif args.blocks_again:
        cluster = Cluster.objects.get(name=NAME)
        first = hourly.day_start(UNTIL) - DAYS * 24 * H
        months = {hourly.month_start(first + i * 24 * H) for i in range(DAYS + 1)}
        blocks = {b for month in months for b in hourly.blocks_holding(month) if b[1] > 744}
        for start, span in sorted(blocks, key=lambda b: (b[1], b[0])):
            rollup_build.recompute_block(cluster.pk, start, span)
    period = Period(UNTIL - timedelta(days=365), UNTIL)
    filters = ReportFilters(cluster=NAME)
    qs = rollups._filtered(INIT_CONTAINERS, filters, period)
    columns = list(rollups._AttemptSum.COLUMNS)
    print(f"rows read: {qs.count():,} of {InitContainerRollup.objects.count():,}")
    document_rows: list = []

    def whole() -> None:
        document_rows[:] = report(INIT_CONTAINERS, filters, period, source="rollup")["rows"]

    figures = {
        "report (document)": _timed(whole, args.repeat),
        "SQL + transfer only": _timed(lambda: list(qs.values_list("workload", *columns)), args.repeat),
    }
    spans = rollups._spans
    rollups._spans = _days_only  # the same encoding, the earlier layout: hour and day rows only
    try:
        figures["hour and day rows only"] = _timed(whole, max(1, args.repeat // 2))
    finally:
        rollups._spans = spans
    for name, times in figures.items():
        runs = ", ".join(f"{t:.0f}" for t in times)
        print(f"{name:24} median {statistics.median(times):7.0f} ms  (runs: {runs})")
    print(f"{len(document_rows)} rows; first: {document_rows[0] if document_rows else None}")


if __name__ == "__main__":
    main()
