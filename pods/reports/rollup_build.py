"""Building the hourly rollups from raw rows: one hour at a time, completely, replacing what was there.

- `recompute_hour(cluster_id, hour)`: reads the raw facts of the hour (the attempts placed in it with every
  attempt of their containers, their pulls, the next containers' starts for sidecars, the Pods created in
  it), computes the rows with the pure `pods.reports.hourly.hour_rows`, and replaces the hour's rows of the
  three rollup tables (delete + insert). Run twice, it writes the same rows.
- `run_marks(limit)` (the beat task `pods.tasks.rollup_hours`): the marked hours (`RollupMark`, written by
  ingest: `pods.ingest.rollup_marks`), oldest first, at most `limit` per run. Each hour is recomputed and
  its mark removed in ONE transaction, and only if the mark still holds the token read (an hour marked
  again meanwhile keeps its mark and is recomputed at the next run). A crash leaves the mark, so nothing
  is lost and, rows being replaced rather than added, nothing is counted twice. Hours older than the raw
  horizon (`pods.reports.rollups.raw_horizon`: raw rows may be partly pruned there) are never recomputed:
  their marks are dropped and their rollups kept.
- `rebuild(since, until)` (`manage.py rollup`): recompute every hour of a range that has raw rows or
  rollups (imports of old recordings, the bench), then the blocks that hold them.
- The report samples (`pods.reports.sample_rows`: the raw init-containers report's exact arrays) are kept
  in the same transactions: `recompute_hour` replaces the hour's from the facts it read, the day's block
  (`recompute_block`, 24 hours) the day's. `cover_samples` (each run of the task) starts them for a
  cluster that has none of the current version (the beat task, before `run_marks`): it marks every hour
  with raw rows from the horizon on.
- `recompute_block`: a block's row (2 to 16 hours in a day, a day, 2 to 16 days in a month, a month, 2 to
  12 months in a year: `hourly.cover`) is the sum of the rows of the smaller blocks that cover it (at most
  five per key); `recompute_hour` rewrites the (up to 14) blocks that hold its hour, shortest first. On
  PostgreSQL rows are written with COPY. `recompute_longer_blocks(cluster, since, until)`: the blocks
  longer than a day over a range of day rows written without them.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

import numpy as np
from django.db import IntegrityError, connection, models, transaction
from django.db.models import Case, F, Q, When
from django.db.models.functions import TruncHour

from pods.ingest.rollup_marks import mark
from pods.models import (
    Attempt,
    Cluster,
    ImagePull,
    InitContainerRollup,
    NodeRollup,
    Pod,
    PodStartupRollup,
    ReportSample,
    ReportSampleCover,
    RollupMark,
)
from pods.reports import definitions as d
from pods.reports import hourly, queries, sample_rows, samples
from pods.reports.period import Period
from pods.reports.queries import (
    CHUNK,
    INIT_CONTAINERS,
    KINDS,
    POD_STARTUP,
    attempt_facts,
    key_columns,
    row_key,
)
from pods.reports.rollups import raw_horizon
from pods.signals import metric_cells, metric_store

log = logging.getLogger(__name__)

HOUR = hourly.HOUR
# Hours per run of the beat task: a backlog (an import, an outage) drains over several runs.
HOURS_PER_RUN = 48


# ------------------------------------------------------------------------------------------------ reading


def _in_hour(field: str, hour: datetime) -> Q:
    return Q(**{f"{field}__gte": hour, f"{field}__lt": hour + HOUR})


def _candidate_pods(cluster_id: int, hour: datetime) -> list[int]:
    """Pods with an init-container or sidecar attempt whose period time may lie in the hour (its start, its
    end or its Pod's creation does)."""
    qs = Attempt.objects.filter(pod__cluster_id=cluster_id, pod__seen=True, container__kind__in=KINDS)
    # Three queries rather than one OR, so that each can use its index (starts; Pods by creation). An
    # attempt placed by its end has no usable start: none, or one before its Pod's creation (itself before
    # the end), so before the hour.
    placed_by_end = Q(started_at__isnull=True) | Q(started_at__lt=hour)
    # The Pods created in the hour first (their index), then their attempts: joined the other way round,
    # the planner scans every container.
    created = Pod.objects.filter(_in_hour("created_at", hour), cluster_id=cluster_id, seen=True).values("id")
    found: set[int] = set()
    for q in (
        _in_hour("started_at", hour),
        Q(pod_id__in=created),
        _in_hour("finished_at", hour) & placed_by_end,
    ):
        found.update(qs.filter(q).order_by().values_list("pod_id", flat=True).distinct())
    return sorted(found)


def _containers(pod_ids: list[int]) -> Iterator[hourly.ContainerFacts]:
    """Every init container and sidecar of these Pods with all their attempts, pulls and next starts."""
    for i in range(0, len(pod_ids), CHUNK):
        chunk = pod_ids[i : i + CHUNK]
        rows = Attempt.objects.filter(pod_id__in=chunk).values(
            "pod_id", "container_id", "generation", "known", "count", "started_at", "finished_at",
            "exit_code", "reason", created=F("pod__created_at"), index=F("container__index"),
            container_kind=F("container__kind"), k_node=F("pod__node"),
            **key_columns(INIT_CONTAINERS, "pod__", "container__"),
        )  # fmt: skip
        by_container: dict[int, list[dict[str, Any]]] = defaultdict(list)
        starts: dict[tuple[int, int, int], list[datetime | None]] = defaultdict(list)
        for r in cast(Iterable[dict[str, Any]], rows):
            by_container[r["container_id"]].append(r)
            facts = d.AttemptFacts("", r["known"], 1, r["started_at"], None, None, "", r["created"])
            starts[(r["pod_id"], r["generation"], r["index"])].append(d.start(facts))
        pulls = {
            p["container_id"]: d.PullFacts(p["pull_seconds"], p["wait_seconds"], p["already_present"])
            for p in ImagePull.objects.filter(container_id__in=list(by_container)).values(
                "container_id", "pull_seconds", "wait_seconds", "already_present"
            )
        }
        for container_id, attempts in by_container.items():
            first = attempts[0]
            if first["container_kind"] not in KINDS:
                continue
            namespace, workload_kind, workload, name, kind = row_key(INIT_CONTAINERS, first)[1:]
            generations = {r["generation"] for r in attempts}
            yield hourly.ContainerFacts(
                pod=first["pod_id"],
                namespace=namespace,
                workload_kind=workload_kind,
                workload=workload,
                node=first["k_node"],
                name=name,
                kind=kind,
                attempts=tuple((r["generation"], attempt_facts(r)) for r in attempts),
                pull=pulls.get(container_id),
                next_starts={
                    g: tuple(starts.get((first["pod_id"], g, first["index"] + 1), ())) for g in generations
                },
            )


def _created_pods(cluster_id: int, hour: datetime) -> Iterator[hourly.PodStartupFacts]:
    qs = Pod.objects.filter(_in_hour("created_at", hour), cluster_id=cluster_id, seen=True)
    values = qs.values(
        "created_at", "scheduled_at", "initialized_at", "ready_at", **key_columns(POD_STARTUP, "", "")
    )
    for v in cast(Iterable[dict[str, Any]], values):
        _, namespace, workload_kind, workload = row_key(POD_STARTUP, v)
        facts = d.PodFacts(v["created_at"], v["scheduled_at"], v["initialized_at"], v["ready_at"])
        yield hourly.PodStartupFacts(namespace, workload_kind, workload, facts)


def hour_inputs(
    cluster_id: int, hour: datetime
) -> tuple[list[hourly.ContainerFacts], list[hourly.PodStartupFacts]]:
    """The raw facts of one whole hour of one cluster: its containers (with all their attempts) and the
    Pods created in it."""
    return list(_containers(_candidate_pods(cluster_id, hour))), list(_created_pods(cluster_id, hour))


def hour_facts(cluster_id: int, hour: datetime) -> hourly.HourRows:
    """The rollup rows of one whole hour of one cluster, from raw rows."""
    return hourly.hour_rows(hour, *hour_inputs(cluster_id, hour))


# ------------------------------------------------------------------------------------------------ writing


_TABLES: tuple[type[models.Model], ...] = (InitContainerRollup, NodeRollup, PodStartupRollup)


def _replace(cluster_id: int, hour: datetime, rows: hourly.HourRows) -> int:
    for model in _TABLES:
        model.objects.filter(cluster_id=cluster_id, hour=hour, span_hours=1).delete()  # type: ignore[attr-defined]
    base = {"cluster_id": cluster_id, "hour": hour}
    init = [
        InitContainerRollup(
            **base, namespace=k[0], workload_kind=k[1], workload=k[2], container=k[3], kind=k[4], **fields
        )
        for k, fields in rows.init_containers.items()
    ]
    nodes = [NodeRollup(**base, node=node, **fields) for node, fields in rows.nodes.items()]
    startup = [
        PodStartupRollup(**base, namespace=k[0], workload_kind=k[1], workload=k[2], **fields)
        for k, fields in rows.pod_startup.items()
    ]
    for model, objects in ((InitContainerRollup, init), (NodeRollup, nodes), (PodStartupRollup, startup)):
        _insert(model, objects)
    return len(init) + len(nodes) + len(startup)


_KEYS: dict[type[models.Model], tuple[str, ...]] = {
    InitContainerRollup: ("namespace", "workload_kind", "workload", "container", "kind"),
    NodeRollup: ("node",),
    PodStartupRollup: ("namespace", "workload_kind", "workload"),
}


def _insert(model: Any, objects: list[Any]) -> None:
    """Insert rollup rows: on PostgreSQL with COPY (a block's rows carry three histograms each, and
    binding them as literals costs more than computing them), elsewhere `bulk_create`."""
    if not objects:
        return
    if connection.vendor != "postgresql":
        model.objects.bulk_create(objects, batch_size=500)
        return
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    table = connection.ops.quote_name(model._meta.db_table)
    json_fields = {f.attname for f in fields if isinstance(f, models.JSONField)}
    with connection.cursor() as cursor, cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for obj in objects:
            copy.write_row(
                [
                    json.dumps(value) if f.attname in json_fields else f.get_prep_value(value)
                    for f in fields
                    for value in (getattr(obj, f.attname),)
                ]
            )


def recompute_block(cluster_id: int, start: datetime, span: int) -> int:
    """Replace the rows of the block of `span` hours starting at `start` (a day, a month, or a block of
    hours or days: `hourly.cover`) by the sum of the rows of the smaller blocks that cover it."""
    parts = Q(pk__in=[])
    for at, n in hourly.cover(start, start + span * HOUR, below=span):
        parts |= Q(hour=at, span_hours=n)
    written = 0
    for model, keys in _KEYS.items():
        manager: Any = model.objects  # type: ignore[attr-defined]
        manager.filter(cluster_id=cluster_id, hour=start, span_hours=span).delete()
        groups: dict[tuple, list[dict[str, Any]]] = defaultdict(list)
        for v in manager.filter(parts, cluster_id=cluster_id).order_by("hour").values():
            groups[tuple(v[k] for k in keys)].append(v)
        rows = []
        for key, values in groups.items():
            if model is PodStartupRollup:
                fields = hourly.span_startup_fields(values)
            else:
                fields = hourly.span_attempt_fields(values, start, with_reasons=model is InitContainerRollup)
            rows.append(
                model(
                    cluster_id=cluster_id, hour=start, span_hours=span,
                    **dict(zip(keys, key, strict=True)), **fields,
                )
            )  # fmt: skip
        _insert(model, rows)
        written += len(rows)
    if span == hourly.DAY_HOURS:
        sample_rows.replace_day(cluster_id, start)
    return written


def recompute_day(cluster_id: int, day: datetime) -> int:
    """Replace the day rows (`span_hours` 24) of the day starting at `day` by the sum of its hours."""
    return recompute_block(cluster_id, day, hourly.DAY_HOURS)


def recompute_blocks(cluster_id: int, hour: datetime) -> int:
    """Replace the rows of every block that holds `hour` (its day's, its month's, …), shortest first."""
    return sum(recompute_block(cluster_id, start, span) for start, span in hourly.blocks_holding(hour))


def recompute_longer_blocks(cluster_id: int, since: datetime, until: datetime) -> int:
    """Recompute every block longer than a day (blocks of days, months, blocks of months) that holds a day
    of [since, until), shortest first, from the day rows (rows written without their blocks: the bench's
    copied days, a bulk load)."""
    blocks: set[tuple[datetime, int]] = set()
    day = hourly.day_start(since)
    while day < until:
        blocks.update(b for b in hourly.blocks_holding(day) if b[1] > hourly.DAY_HOURS)
        day += hourly.DAY_HOURS * HOUR
    return sum(
        recompute_block(cluster_id, start, span) for start, span in sorted(blocks, key=lambda b: (b[1], b[0]))
    )


def recompute_hour(cluster_id: int, hour: datetime, *, day: bool = True) -> int:
    """Replace the rollup rows of one whole hour of a cluster by what raw rows say now, and the rows of
    the blocks that hold it (`day`: its day, its month, …), in one transaction; returns how many hour rows
    it holds. The same transaction applies the hour's change to the Prometheus counters
    (`pods.signals.metric_store.apply_hour`, docs/signals.md)."""
    with transaction.atomic():
        containers, pods = hour_inputs(cluster_id, hour)
        written = _replace(cluster_id, hour, hourly.hour_rows(hour, containers, pods))
        sample_rows.replace_hour(cluster_id, hour, containers)
        metric_store.apply_hour(cluster_id, hour, metric_cells.hour_cells(hour, containers, pods))
        if day:
            recompute_blocks(cluster_id, hour)
        return written


@dataclass(slots=True)
class RunResult:
    recomputed: int = 0  # hours recomputed and cleared
    remarked: int = 0  # recomputed, but marked again meanwhile: kept for the next run
    expired: int = 0  # older than the raw horizon: mark dropped, rollups kept
    failed: int = 0


def run_marks(limit: int = HOURS_PER_RUN, now: datetime | None = None) -> RunResult:
    """Recompute up to `limit` marked hours, oldest first (the beat task)."""
    result = RunResult()
    horizon = raw_horizon(now or datetime.now(UTC))
    expired = RollupMark.objects.filter(hour__lt=horizon)
    result.expired = expired.delete()[0]
    marks = list(
        RollupMark.objects.order_by("hour", "cluster_id").values_list("cluster_id", "hour", "token")[:limit]
    )
    for cluster_id, hour, token in marks:
        try:
            with transaction.atomic():
                recompute_hour(cluster_id, hour)
                cleared = clear_mark(cluster_id, hour, token)
        except IntegrityError:  # another run replaced the same hour at the same time: its mark stays
            log.warning("rollup of cluster %s at %s collided with another run", cluster_id, hour)
            result.failed += 1
            continue
        if cleared:
            result.recomputed += 1
        else:
            result.remarked += 1
    return result


def cover_samples(now: datetime | None = None) -> int:
    """Start the report samples (`pods.reports.sample_rows`) of every cluster that has none of the current
    version: mark every hour from the raw horizon on that its raw rows or rollups place something in, and
    cover the cluster from there (until the task has computed them, reports read marked hours from raw
    rows). Returns how many hours were marked."""
    horizon = raw_horizon(now or datetime.now(UTC))
    covered = ReportSampleCover.objects.filter(version=sample_rows.VERSION).values("cluster_id")
    missing = {c.pk: c for c in Cluster.objects.exclude(pk__in=covered)}
    if not missing:
        return 0
    since = hourly.hour_start(horizon)
    hours: dict[int, set[datetime]] = defaultdict(set)
    for cluster_id, hour in hours_with_data(since, None, missing):
        hours[cluster_id].add(hour)
    marked = 0
    for cluster_id, cluster in missing.items():
        with transaction.atomic():
            if hours.get(cluster_id):
                marked += mark(cluster, hours[cluster_id])
            ReportSampleCover.objects.update_or_create(
                cluster_id=cluster_id, defaults={"since": since, "version": sample_rows.VERSION}
            )
    return marked


def clear_mark(cluster_id: int, hour: datetime, token: Any) -> bool:
    """Remove the mark unless the hour was marked again since `token` was read."""
    return RollupMark.objects.filter(cluster_id=cluster_id, hour=hour, token=token).delete()[0] > 0


# ------------------------------------------------------------------------------------------------ ranges


def hours_with_data(
    since: datetime | None, until: datetime | None, clusters: Iterable[int] | None = None
) -> set[tuple[int, datetime]]:
    """(cluster, hour) of every hour in [since, until) that raw rows or rollups place something in (of
    `clusters` only, when given)."""
    found: set[tuple[int, datetime]] = set()
    only = None if clusters is None else list(clusters)

    def window(field: str, cluster: str = "cluster_id") -> Q:
        q = Q(**{f"{field}__isnull": False})
        if only is not None:
            q &= Q(**{f"{cluster}__in": only})
        if since is not None:
            q &= Q(**{f"{field}__gte": since})
        if until is not None:
            q &= Q(**{f"{field}__lt": until})
        return q

    attempts = Attempt.objects.filter(container__kind__in=KINDS, pod__seen=True)
    for field in ("started_at", "finished_at"):
        rows = attempts.filter(window(field, "pod__cluster_id")).annotate(h=TruncHour(field, tzinfo=UTC))
        found.update(rows.values_list("pod__cluster_id", "h").distinct())
    pods = Pod.objects.filter(window("created_at"), seen=True).annotate(h=TruncHour("created_at", tzinfo=UTC))
    found.update(pods.values_list("cluster_id", "h").distinct())
    for model in _TABLES:
        rollups = model.objects.filter(window("hour"))  # type: ignore[attr-defined]
        found.update(rollups.values_list("cluster_id", "hour").distinct())
    return found


def rebuild(since: datetime | None, until: datetime | None, progress: Any = None) -> tuple[int, int]:
    """Recompute every hour of [since, until) (None: unbounded) that has raw rows or rollups; returns
    (hours, rows written)."""
    hours = sorted(hours_with_data(since, until), key=lambda ch: (ch[1], ch[0]))
    written = 0
    for i, (cluster_id, hour) in enumerate(hours):
        written += recompute_hour(cluster_id, hour, day=False)
        if progress is not None:
            progress(i + 1, len(hours), hour)
    blocks = {(c, block) for c, hour in hours for block in hourly.blocks_holding(hour)}
    for cluster_id, (start, span) in sorted(blocks, key=lambda cb: (cb[1][1], cb[1][0], cb[0])):
        with transaction.atomic():
            written += recompute_block(cluster_id, start, span)
    return len(hours), written


# ------------------------------------------------------------------------------------------------ samples


def fill_samples(cluster_id: int, since: datetime, until: datetime) -> int:
    """Compute the report samples of every hour of [since, until) of a cluster, and its days, in one
    set-based pass over its raw rows (PostgreSQL: the attempts of the period as `queries.sql_rows` reads
    them, `queries.attempts_sql`, into a temporary table, grouped per hour), and cover the cluster from
    `since`: a large history's first start (the bench's, `manage.py rollup --samples`), instead of
    recomputing its hours one by one. Returns how many hour rows were written."""
    name = Cluster.objects.values_list("name", flat=True).get(pk=cluster_id)
    qs = queries.attempts_sql(queries.ReportFilters(cluster=name), Period(since, until)).values(
        h=TruncHour("period_time", tzinfo=UTC), **key_columns(INIT_CONTAINERS, "pod__", "container__"),
        p=F("pod_id"), c=F("container_id"), n=F("count"), s=F("seconds"), r=F("reason"),
        code=F("exit_code"), k=F("known"),
        is_finished=Case(When(queries.FINISHED_Q, then=True), default=False),
        is_failed=Case(When(queries.FAILED_Q, then=True), default=False),
    )  # fmt: skip
    sql, params = qs.query.sql_with_params()
    keys = "k_namespace, k_workload_kind, k_workload, k_container, k_kind"
    written = 0
    with transaction.atomic(), connection.cursor() as cursor:
        ReportSample.objects.filter(cluster_id=cluster_id, hour__gte=since, hour__lt=until).delete()
        cursor.execute(f"CREATE TEMP TABLE sample_facts ON COMMIT DROP AS {sql}", params)  # noqa: S608
        cursor.execute("CREATE INDEX ON sample_facts (h)")
        cursor.execute("ANALYZE sample_facts")
        # `h` is the hour in UTC without a time zone (what `TruncHour` gives): compared as such.
        cursor.execute("SELECT min(h) AT TIME ZONE 'UTC', max(h) AT TIME ZONE 'UTC' FROM sample_facts")
        first, last = cursor.fetchone()
        day = hourly.day_start(first) if first is not None else until
        while last is not None and day <= last:
            window = [day.replace(tzinfo=None), (day + hourly.DAY_HOURS * HOUR).replace(tzinfo=None)]
            found: dict[tuple, dict[str, Any]] = defaultdict(dict)
            cursor.execute(
                f"""SELECT h, {keys}, sum(n), coalesce(sum(n) FILTER (WHERE is_finished), 0),
                      coalesce(sum(n) FILTER (WHERE is_failed), 0),
                      array_agg(s ORDER BY s) FILTER (WHERE s IS NOT NULL)
                    FROM sample_facts WHERE h >= %s AND h < %s GROUP BY 1, 2, 3, 4, 5, 6""",  # noqa: S608
                window,
            )
            for h, *key, attempts, finished, failed, durations in cursor.fetchall():
                found[(h, *key)]["counts"] = (attempts, finished, failed, durations or [])
            cursor.execute(
                f"""SELECT x.h, {keys.replace("k_", "x.k_")}, array_agg(x.p ORDER BY x.p),
                      array_agg(i.id IS NOT NULL ORDER BY x.p), array_agg(i.pull_seconds ORDER BY x.p),
                      array_agg(i.wait_seconds ORDER BY x.p), array_agg(i.already_present ORDER BY x.p)
                    FROM (SELECT DISTINCT h, {keys}, p, c FROM sample_facts WHERE h >= %s AND h < %s) x
                    LEFT JOIN pods_imagepull i ON i.container_id = x.c GROUP BY 1, 2, 3, 4, 5, 6""",  # noqa: S608
                window,
            )
            for h, *key, pods, pulled, seconds, waits, present in cursor.fetchall():
                cells = [
                    samples.pull_cells(d.PullFacts(*facts[1:]) if facts[0] else None)
                    for facts in zip(pulled, seconds, waits, present, strict=True)
                ]
                found[(h, *key)]["pods"] = (pods, cells)
            cursor.execute(
                f"""SELECT h, {keys}, r, code, sum(n) FROM sample_facts
                    WHERE h >= %s AND h < %s AND is_failed AND k GROUP BY 1, 2, 3, 4, 5, 6, 7, 8""",  # noqa: S608
                window,
            )
            for h, *key, reason, code, n in cursor.fetchall():
                found[(h, *key)].setdefault("reasons", []).append([reason, code, n])
            written += _write_samples(cluster_id, day, found)
            day += hourly.DAY_HOURS * HOUR
        ReportSampleCover.objects.update_or_create(
            cluster_id=cluster_id, defaults={"since": since, "version": sample_rows.VERSION}
        )
    return written


def _write_samples(cluster_id: int, day: datetime, found: dict[tuple, dict[str, Any]]) -> int:
    """The hour rows of one day found by `fill_samples`, and the day's rows (their union)."""
    hours, days = [], defaultdict(list)
    for (naive, *key), parts in found.items():
        hour = naive.replace(tzinfo=UTC)
        attempts, finished, failed, durations = parts["counts"]
        pods, cells = parts["pods"]
        packed = samples.Packed(
            attempts=int(attempts), finished=int(finished), failed=int(failed),
            durations=np.array(durations, dtype=samples.FLOAT), pods=np.array(pods, dtype=samples.INT),
            pulls=np.array([c[0] for c in cells], dtype=samples.FLOAT),
            waits=np.array([c[1] for c in cells], dtype=samples.FLOAT),
            present=np.array([c[2] for c in cells], dtype=samples.FLAG), reasons=parts.get("reasons", []),
        )  # fmt: skip
        fields = dict(zip(sample_rows.KEY_FIELDS, key, strict=True))
        hours.append(
            ReportSample(cluster_id=cluster_id, hour=hour, span_hours=1, **fields, **packed.fields())
        )
        days[tuple(key)].append(packed)
    rows = [
        ReportSample(
            cluster_id=cluster_id, hour=day, span_hours=hourly.DAY_HOURS,
            **dict(zip(sample_rows.KEY_FIELDS, key, strict=True)), **samples.merge(parts).fields(),
        )
        for key, parts in days.items()
    ]  # fmt: skip
    _insert(ReportSample, hours + rows)
    return len(hours)
