"""Retention: what the history keeps, and pruning the rest without long locks.

Kept (days from `INITSCOPE_RETAIN_*`, each measured on the row's cluster's clock: the wall clock for a
watched cluster, the newest time a recording holds for a recording):
- raw Events (about Pods and about other kinds): `INITSCOPE_RETAIN_EVENTS_DAYS` from their first time;
- captured log tails: as long, from the end of their attempt (when they were captured);
- Pods and, with them, their containers, pulls and attempts: `INITSCOPE_RETAIN_ATTEMPTS_DAYS` from the
  moment the Pod was gone (deleted, finished, or never seen but through Events). A Pod that still exists
  keeps its row, whatever its age;
- hourly rollups: `INITSCOPE_RETAIN_ROLLUPS_DAYS` from their hour;
- the Prometheus metrics' per-hour cells (`MetricHour`): as long as raw attempts, from their hour (the
  totals they were added to are kept: counters never go backwards, docs/signals.md);
- the report samples (raw attempts in another layout, `pods.reports.sample_rows`): as long as raw
  attempts, from their hour.

How (`maintain`): on PostgreSQL, first whole partitions (pods.history.partitions) whose range is entirely
past retention and that hold nothing still kept are detached and dropped; then what is left past
retention (SQLite, the DEFAULT partition, rows of recordings, Pods) is deleted in small batches, one
transaction each, so no lock is held for long. Running it again changes nothing (idempotent).
`dry_run` reports the same steps with their row counts and changes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import connection, models, transaction
from django.db.models import Q
from django.db.models.functions import Coalesce

from pods.history import partitions
from pods.history.keys import UNKNOWN_TIME
from pods.history.partitions import PartitionedTable
from pods.ingest import clear_log_tails
from pods.models import (
    Attempt,
    Cluster,
    Event,
    InitContainerRollup,
    MetricHour,
    NodeRollup,
    Pod,
    PodStartupRollup,
    RelatedEvent,
    ReportSample,
)
from pods.reports import sample_rows
from pods.signals import metric_store

log = logging.getLogger(__name__)

BATCH_ROWS = 5000  # rows per DELETE transaction
BATCH_PODS = 500  # Pods per transaction (each takes its containers, pulls and attempts)
BATCH_LOG_TAILS = 200  # Pods whose stored timeline is rewritten per transaction


@dataclass(frozen=True)
class Retention:
    events_days: int
    attempts_days: int
    rollups_days: int

    @classmethod
    def from_settings(cls) -> Retention:
        return cls(
            settings.INITSCOPE_RETAIN_EVENTS_DAYS,
            settings.INITSCOPE_RETAIN_ATTEMPTS_DAYS,
            settings.INITSCOPE_RETAIN_ROLLUPS_DAYS,
        )


@dataclass(frozen=True)
class Step:
    """One thing done (or, in a dry run, to do): `action` on `target`, `rows` rows."""

    action: str  # "create partition" | "drop partition" | "delete" | "clear log tails"
    target: str  # a partition, a table, or what is deleted
    rows: int = 0

    def __str__(self) -> str:
        if self.action == "create partition":
            return f"{self.action} {self.target}"
        return f"{self.action} {self.target}: {self.rows} rows"


@dataclass
class Outcome:
    dry_run: bool
    steps: list[Step] = field(default_factory=list)

    def add(self, step: Step) -> None:
        if step.rows or step.action.endswith("partition"):
            self.steps.append(step)


def cluster_clocks(now: datetime) -> dict[int, datetime]:
    """Each cluster's "now": the wall clock if watched (or nothing dates it), else the newest time its
    recording holds (never later than the wall clock)."""
    return {
        pk: now if watched or until is None else min(until, now)
        for pk, watched, until in Cluster.objects.values_list("pk", "watched", "observed_until")
    }


def _cutoffs(clocks: dict[int, datetime], days: int) -> dict[int, datetime]:
    return {pk: clock - timedelta(days=days) for pk, clock in clocks.items()}


def _per_cluster(cutoffs: dict[int, datetime], condition) -> Q:
    """OR over clusters of `condition(cutoff)` for that cluster's rows (nothing when there is none)."""
    q = Q(pk__in=[])
    for pk, cutoff in cutoffs.items():
        q |= Q(cluster_id=pk) & condition(cutoff)
    return q


def _event_past(cutoff: datetime) -> Q:
    # By first time; an Event stored without one (UNKNOWN_TIME) by its last, and pruned if it has none.
    return Q(partition_at__lt=cutoff, partition_at__gt=UNKNOWN_TIME) | Q(partition_at=UNKNOWN_TIME) & (
        Q(last_at__lt=cutoff) | Q(last_at__isnull=True)
    )


def _gone() -> Q:
    return Q(deleted_at__isnull=False) | Q(terminal=True) | Q(seen=False)


def _pods_with_end():
    # When a gone Pod was gone: its deletion, else the end of its last step (a finished Pod's last
    # attempt), else its creation, else the last write of its row (a Pod known only through Events).
    return Pod.objects.annotate(gone_at=Coalesce("deleted_at", "step_since", "created_at", "updated_at"))


def _prunable(cutoffs: dict[int, datetime]) -> Q:
    return _gone() & _per_cluster(cutoffs, lambda c: Q(gone_at__lt=c))


def prunable_pods(cutoffs: dict[int, datetime]):
    """Pods gone before their cluster's cutoff (`INITSCOPE_RETAIN_ATTEMPTS_DAYS`)."""
    return _pods_with_end().filter(_prunable(cutoffs))


def _batches(qs, size: int) -> Iterator[list[int]]:
    """Primary keys of `qs` in batches, re-asked each time (rows deleted meanwhile drop out)."""
    last = 0
    while True:
        ids = list(qs.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:size])
        if not ids:
            return
        yield ids
        last = ids[-1]


def _delete_rows(model: type[models.Model], where: Q, outcome: Outcome, size: int) -> None:
    qs = model._default_manager.filter(where)
    if outcome.dry_run:
        outcome.add(Step("delete", model._meta.db_table, qs.count()))
        return
    deleted = 0
    for ids in _batches(qs, size):
        with transaction.atomic():
            deleted += model._default_manager.filter(where, pk__in=ids).delete()[0]
    outcome.add(Step("delete", model._meta.db_table, deleted))


def _partition_rows(name: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT COUNT(*) FROM "{name}"')  # noqa: S608 - a name from the catalog
        return cursor.fetchone()[0]


def _holds_clusters(name: str, clusters: list[int]) -> bool:
    if not clusters:
        return False
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT 1 FROM "{name}" WHERE cluster_id = ANY(%s) LIMIT 1', [clusters])  # noqa: S608
        return cursor.fetchone() is not None


def _event_partitions_past(spec: PartitionedTable, cutoffs: dict[int, datetime], now: datetime, days: int):
    """The Event partitions of `spec` entirely past retention that hold no row of a cluster whose clock
    keeps it (a recording)."""
    wall = now - timedelta(days=days)
    for p in partitions.partitions(connection, spec.table):
        if p.start is None or p.end is None or p.end > wall:
            continue
        keeping = [pk for pk, cutoff in cutoffs.items() if cutoff < p.end]
        if not _holds_clusters(p.name, keeping):
            yield p


def _attempt_partitions_past(cutoffs: dict[int, datetime], now: datetime, days: int):
    """The attempt partitions entirely past retention none of whose Pods is kept (still there, or gone
    for less than the retention)."""
    wall = now - timedelta(days=days)
    for p in partitions.partitions(connection, partitions.ATTEMPTS.table):
        if p.start is None or p.end is None or p.end > wall:
            continue
        in_range = _pods_with_end().filter(created_at__gte=p.start, created_at__lt=p.end)
        if not in_range.exclude(_prunable(cutoffs)).exists():
            yield p


def _drop(spec: PartitionedTable, candidates, outcome: Outcome) -> None:
    for p in list(candidates):
        rows = _partition_rows(p.name)
        if outcome.dry_run or partitions.detach_and_drop(connection, spec, p.name):
            outcome.add(Step("drop partition", p.name, rows))


def _ensure_ahead(now: datetime, outcome: Outcome) -> None:
    for spec in partitions.TABLES:
        if not partitions.is_partitioned(connection, spec.table):
            continue
        if outcome.dry_run:
            until = spec.start_of(now) + timedelta(days=spec.width_days * spec.ahead)
            existing = {p.start for p in partitions.partitions(connection, spec.table)}
            for start in spec.starts(now, until):
                if start not in existing:
                    outcome.add(Step("create partition", spec.name_of(start)))
            continue
        for name in partitions.ensure_partitions(connection, spec, now, now):
            outcome.add(Step("create partition", name))


def _clear_log_tails(cutoffs: dict[int, datetime], outcome: Outcome) -> None:
    ended = Coalesce("finished_at", "started_at")
    old = (
        Attempt.objects.exclude(log_tail="")
        .annotate(ended=ended)
        .filter(_per_cluster_via_pod(cutoffs, lambda c: Q(ended__lt=c) | Q(ended__isnull=True)))
    )
    if outcome.dry_run:
        outcome.add(Step("clear log tails", Attempt._meta.db_table, old.count()))
        return
    cleared = 0
    clusters = {c.pk: c for c in Cluster.objects.filter(pk__in=list(cutoffs))}
    for pk, cutoff in cutoffs.items():
        pods = Pod.objects.filter(pk__in=old.filter(pod__cluster_id=pk).values("pod_id"))
        for ids in _batches(pods, BATCH_LOG_TAILS):
            uids = set(Pod.objects.filter(pk__in=ids).values_list("uid", flat=True))
            cleared += clear_log_tails(cluster=clusters[pk], uids=uids, captured_before=cutoff)
    outcome.add(Step("clear log tails", Attempt._meta.db_table, cleared))


def _per_cluster_via_pod(cutoffs: dict[int, datetime], condition) -> Q:
    q = Q(pk__in=[])
    for pk, cutoff in cutoffs.items():
        q |= Q(pod__cluster_id=pk) & condition(cutoff)
    return q


def _delete_pods(cutoffs: dict[int, datetime], outcome: Outcome) -> None:
    qs = prunable_pods(cutoffs)
    if outcome.dry_run:
        pods = qs.values("pk")
        outcome.add(Step("delete", Attempt._meta.db_table, Attempt.objects.filter(pod_id__in=pods).count()))
        outcome.add(Step("delete gone Pods from", Pod._meta.db_table, qs.count()))
        return
    attempts = deleted = 0
    for ids in _batches(qs, BATCH_PODS):
        with transaction.atomic():
            # Children first, each one set-based statement; then the Pods (their containers and pulls
            # cascade in Django's collector, attempts are gone already).
            attempts += Attempt.objects.filter(pod_id__in=ids).delete()[0]
            deleted += Pod.objects.filter(pk__in=ids).delete()[1].get(Pod._meta.label, 0)
    outcome.add(Step("delete", Attempt._meta.db_table, attempts))
    outcome.add(Step("delete gone Pods from", Pod._meta.db_table, deleted))


def _prune_samples(cutoffs: dict[int, datetime], outcome: Outcome) -> None:
    if outcome.dry_run:
        old = _per_cluster(cutoffs, lambda c: Q(hour__lt=sample_rows.first_hour(c)))
        outcome.add(Step("delete", ReportSample._meta.db_table, ReportSample.objects.filter(old).count()))
        return
    outcome.add(Step("delete", ReportSample._meta.db_table, sample_rows.prune(cutoffs)))


def maintain(
    *, now: datetime | None = None, dry_run: bool = False, retention: Retention | None = None
) -> Outcome:
    """Create partitions ahead and prune what is past retention (see the module's docstring)."""
    now = now or datetime.now(UTC)
    retention = retention or Retention.from_settings()
    outcome = Outcome(dry_run=dry_run)
    clocks = cluster_clocks(now)
    _ensure_ahead(now, outcome)

    events = _cutoffs(clocks, retention.events_days)
    for spec, model in ((partitions.EVENTS, Event), (partitions.RELATED_EVENTS, RelatedEvent)):
        if partitions.is_partitioned(connection, spec.table):
            _drop(spec, _event_partitions_past(spec, events, now, retention.events_days), outcome)
        _delete_rows(model, _per_cluster(events, _event_past), outcome, BATCH_ROWS)
    _clear_log_tails(events, outcome)

    attempts = _cutoffs(clocks, retention.attempts_days)
    if partitions.is_partitioned(connection, partitions.ATTEMPTS.table):
        _drop(partitions.ATTEMPTS, _attempt_partitions_past(attempts, now, retention.attempts_days), outcome)
    _delete_pods(attempts, outcome)
    _prune_samples(attempts, outcome)
    # The metrics' applied cells of hours the rollup task never recomputes again (docs/signals.md).
    _delete_rows(MetricHour, _per_cluster(attempts, lambda c: Q(hour__lt=c)), outcome, BATCH_ROWS)
    if not dry_run:
        metric_store.hours_pruned(attempts)

    rollups = _cutoffs(clocks, retention.rollups_days)
    for rollup in (InitContainerRollup, NodeRollup, PodStartupRollup):
        _delete_rows(rollup, _per_cluster(rollups, lambda c: Q(hour__lt=c)), outcome, BATCH_ROWS)
    for step in outcome.steps:
        log.info("history: %s%s", "(dry run) " if dry_run else "", step)
    return outcome
