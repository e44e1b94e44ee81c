"""The Prometheus metrics' persistent totals (`MetricTotal`), written in the database so that every web
process exposes the same numbers and no restart, retention or rebuild makes a counter go backwards
(docs/signals.md, "How counters stay monotonic").

- `apply_hour` (called by `pods.reports.rollup_build.recompute_hour`, in the rollup's own transaction):
  an hour's cells (`metric_cells.hour_cells`) against the cells it last applied (`MetricHour`); only the
  change is added to the totals, so recomputing an hour twice changes nothing. Hours before the raw
  horizon (raw rows there may be partly pruned) are left alone, like the rollup task leaves them.
- `add_cells` / `set_gauges`: the watcher's own numbers (`pods.ingest.watch_metrics`).

Each total keeps `net` (the signed sum of the changes) and `value` = the highest `net` has been, the
number exposed: a change that takes something away (an attempt whose late details move it to another
hour: −1 here, +1 there) never shows as a decrease, and is absorbed when `net` comes back up.

Workloads: the first INITSCOPE_METRICS_WORKLOADS_PER_CLUSTER workloads of a cluster get their own series,
for good (`MetricWorkload.admitted`); later ones count under `workload="other"`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime

from django.conf import settings
from django.db import transaction

from pods.models import MetricHour, MetricTotal, MetricWorkload
from pods.reports.rollups import raw_horizon
from pods.signals import metric_cells as mc

# A cluster's row that is not a series (the collector shows only the catalog's names): the hour before
# which its `MetricHour` rows were pruned (seconds since the epoch), so that no later recompute (a raised
# INITSCOPE_RETAIN_ATTEMPTS_DAYS, `manage.py rollup`) counts such an hour again from nothing.
PRUNED_BEFORE = json.dumps(["pruned-before"])


def apply_hour(cluster_id: int, hour: datetime, cells: mc.Cells, *, now: datetime | None = None) -> int:
    """Add the change of one hour's cells to the totals; returns how many cells changed."""
    if hour < raw_horizon(now or datetime.now(UTC)):
        return 0
    pruned = MetricTotal.objects.filter(cluster_id=cluster_id, series=PRUNED_BEFORE)
    before = pruned.values_list("value", flat=True).first()
    if before is not None and hour.timestamp() < before:
        return 0
    with transaction.atomic():
        row = MetricHour.objects.select_for_update().filter(cluster_id=cluster_id, hour=hour).first()
        old = {tuple(c[:-1]): float(c[-1]) for c in row.cells} if row is not None else {}
        change = mc.difference(cells, old)
        if not change:
            return 0
        stored = [[*cell, value] for cell, value in sorted(cells.items())]
        if row is None:
            MetricHour.objects.create(cluster_id=cluster_id, hour=hour, cells=stored)
        else:
            MetricHour.objects.filter(pk=row.pk).update(cells=stored)
        add_cells(cluster_id, change)
        return len(change)


def add_cells(cluster_id: int, change: Mapping[mc.Cell, float]) -> None:
    """Add `change` to the cluster's totals (a workload past the cap under `other`)."""
    admitted = _admitted(cluster_id, {w for cell in change if (w := mc.workload_of(cell)) is not None})
    by_series: dict[str, float] = {}
    for cell, value in change.items():
        workload = mc.workload_of(cell)
        series = json.dumps(mc.exported(cell, admitted=workload is None or workload in admitted))
        by_series[series] = by_series.get(series, 0.0) + value
    _add(cluster_id, by_series)


def set_gauges(cluster_id: int, values: Mapping[mc.Cell, float]) -> None:
    """Set gauges the watcher measures (a gauge's `value` is what was set last)."""
    with transaction.atomic():
        for cell, value in values.items():
            MetricTotal.objects.update_or_create(
                cluster_id=cluster_id,
                series=json.dumps(mc.exported(cell)),
                defaults={"value": value, "net": value},
            )


def _add(cluster_id: int, by_series: Mapping[str, float]) -> None:
    with transaction.atomic():
        # Locked in one order, so that two runs of the rollup task wait for each other, never deadlock.
        locked = MetricTotal.objects.select_for_update().filter(cluster_id=cluster_id, series__in=by_series)
        rows = {t.series: t for t in locked.order_by("series")}
        created, updated = [], []
        for series, value in by_series.items():
            total = rows.get(series)
            if total is None:
                created.append(
                    MetricTotal(cluster_id=cluster_id, series=series, net=value, value=max(value, 0))
                )
                continue
            total.net += value
            total.value = max(total.value, total.net)
            updated.append(total)
        MetricTotal.objects.bulk_update(updated, ["net", "value"], batch_size=500)
        MetricTotal.objects.bulk_create(created, batch_size=500)


def _admitted(cluster_id: int, workloads: Iterable[mc.WorkloadKey]) -> set[mc.WorkloadKey]:
    """Those of `workloads` that have their own series: admitted before, or now while the cluster has fewer
    than the cap (in sorted order, so that one batch admits the same ones whatever its order)."""
    wanted = set(workloads)
    if not wanted:
        return set()
    known = {
        (w.namespace, w.kind, w.name): w.admitted
        for w in MetricWorkload.objects.filter(cluster_id=cluster_id, name__in={w[2] for w in wanted})
    }
    new = sorted(w for w in wanted if w not in known)
    if new:
        room = settings.INITSCOPE_METRICS_WORKLOADS_PER_CLUSTER - (
            MetricWorkload.objects.filter(cluster_id=cluster_id, admitted=True).count()
        )
        rows = [
            MetricWorkload(cluster_id=cluster_id, namespace=w[0], kind=w[1], name=w[2], admitted=i < room)
            for i, w in enumerate(new)
        ]
        MetricWorkload.objects.bulk_create(rows, ignore_conflicts=True)
        known |= {
            (w.namespace, w.kind, w.name): w.admitted
            for w in MetricWorkload.objects.filter(cluster_id=cluster_id, name__in={w[2] for w in new})
        }
    return {w for w in wanted if known.get(w)}


def hours_pruned(cutoffs: Mapping[int, datetime]) -> None:
    """Retention dropped each cluster's `MetricHour` rows before its cutoff: those hours are never applied
    again (the mark only moves forward)."""
    with transaction.atomic():
        for cluster_id, cutoff in cutoffs.items():
            row, _ = MetricTotal.objects.select_for_update().get_or_create(
                cluster_id=cluster_id, series=PRUNED_BEFORE
            )
            if cutoff.timestamp() > row.value:
                MetricTotal.objects.filter(pk=row.pk).update(value=cutoff.timestamp(), net=cutoff.timestamp())
