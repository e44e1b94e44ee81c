"""The Prometheus metrics' catalog and the cells one hour adds to them (pure: no Django, no I/O).

`METRICS` is the one list of what `GET /metrics` exposes: name, type, help and labels (after `cluster`,
which every metric has). docs/signals.md describes each; a test holds the two together.

The counters and histograms that come from stored attempts and Pods are kept as *cells*: one number per
(metric, namespace, workload kind, workload, container, outcome or reason, part), where part is a
histogram's bucket (`"0.1"` … `"+Inf"`, not cumulative) or `"sum"`, and `""` for a counter. `hour_cells`
computes an hour's cells from the same raw facts and with the same placement rules as the hourly rollups
(`pods.reports.hourly.in_hour`: an attempt in the hour of its `period_time`; a container's pull and a Pod's
steps in its first hour), so a counter counts what the reports count. `pods.signals.metric_store` applies
the change of each hour's cells to persistent totals; `exported` names a cell's series, with the workloads
over the per-cluster cap folded into `other`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from pods.reports import definitions as d
from pods.reports import hourly

PREFIX = "initscope_"
# Histogram buckets in seconds, for init containers, pulls and Pod startups: 100 ms to 30 min.
BUCKETS: tuple[float, ...] = (0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1200, 1800)
INF = "+Inf"
SUM = "sum"
OTHER = "other"  # the workload (and its kind and containers) of workloads past the cap
# The workload of a Pod without a controller: the reports key it by its own name, a metric never does.
BARE = "<none>"

COUNTER = "counter"
GAUGE = "gauge"
HISTOGRAM = "histogram"

# Label sets (after `cluster`).
_INIT = ("namespace", "workload_kind", "workload", "container")
_PULL = ("namespace", "workload", "container")
_STARTUP = ("namespace", "workload")


@dataclass(frozen=True, slots=True)
class Metric:
    name: str  # the full name, as exposed (a counter's without `_total`, which the exposition adds)
    type: str  # counter | gauge | histogram
    help: str
    labels: tuple[str, ...]  # after `cluster`


def _m(name: str, kind: str, text: str, labels: tuple[str, ...] = ()) -> Metric:
    return Metric(PREFIX + name, kind, text, labels)


# From stored attempts and Pods (hourly, with the rollups): persistent totals, never going backwards.
INIT_DURATION = _m(
    "init_container_duration_seconds", HISTOGRAM,
    "Run time of init container attempts (a sidecar's: to started), by outcome.", (*_INIT, "outcome"),
)  # fmt: skip
INIT_ATTEMPTS = _m("init_container_attempts", COUNTER, "Init container and sidecar attempts.", _INIT)
INIT_FAILURES = _m(
    "init_container_failures", COUNTER, "Failed init container attempts, by reason.", (*_INIT, "reason")
)
PULL_DURATION = _m("image_pull_duration_seconds", HISTOGRAM, "Image pull time of init containers.", _PULL)
PULL_QUEUE_WAIT = _m(
    "image_pull_queue_wait_seconds",
    HISTOGRAM,
    "Time an init container's image pull waited for a slot.",
    _PULL,
)
POD_INITIALIZED = _m(
    "pod_initialized_seconds", HISTOGRAM, "Pod created to Initialized (every init container done).", _STARTUP
)
POD_READY = _m("pod_ready_seconds", HISTOGRAM, "Pod created to Ready.", _STARTUP)
# The watcher's own numbers, stored per cluster by the watcher (pods.ingest.watch_metrics).
INGEST_EVENTS = _m("ingest_events", COUNTER, "Watch events (Pods and Events) the watcher ingested.")
INGEST_BATCH = _m("ingest_batch_duration_seconds", HISTOGRAM, "Time to ingest one batch of watch events.")
INGEST_LAG = _m(
    "ingest_lag_seconds", GAUGE, "Newest batch: longest time from receiving a watch event to its commit."
)
WATCH_LISTS = _m(
    "watch_lists", COUNTER, "Full lists of a stream (the first, then each relist).", ("resource",)
)
WATCH_ERRORS = _m("watch_errors", COUNTER, "Errors of a stream's list or watch.", ("resource",))
# Read from the database at scrape time.
PODS_STUCK = _m(
    "pods_stuck", GAUGE, "Pods stuck now (the pages' stuck rule), by cause.", ("namespace", "cause")
)
WATCH_LAST_EVENT_AGE = _m(
    "watch_last_event_age_seconds", GAUGE, "Seconds since the stream's newest watch event.", ("resource",)
)
WATCH_LAG = _m(
    "watch_lag_seconds", GAUGE,
    "Seconds since the stalest stream last heard from the API server (the clusters page's lag).",
)  # fmt: skip
WATCH_STATES = ("watching", "degraded", "error", "backing-off", "stopped", "not-configured")
WATCH_STATE = _m(
    "watch_state", GAUGE, "1 for the watch's current state (GET /api/v1/clusters' state), else 0.", ("state",)
)
WATCH_FAILURES = _m("watch_consecutive_failures", GAUGE, "Watch runs or attempts failed in a row.")
ROLLUP_PENDING = _m(
    "rollup_pending_hours", GAUGE, "Hours changed by ingest and not yet rolled up (the counters lag by them)."
)
CAPPED_WORKLOADS = _m(
    "metrics_capped_workloads", GAUGE,
    "Workloads counted under workload=\"other\" (past INITSCOPE_METRICS_WORKLOADS_PER_CLUSTER).",
)  # fmt: skip

METRICS: tuple[Metric, ...] = (
    INIT_DURATION, INIT_ATTEMPTS, INIT_FAILURES, PULL_DURATION, PULL_QUEUE_WAIT, POD_INITIALIZED, POD_READY,
    INGEST_EVENTS, INGEST_BATCH, INGEST_LAG, WATCH_LISTS, WATCH_ERRORS, PODS_STUCK, WATCH_LAST_EVENT_AGE,
    WATCH_LAG, WATCH_STATE, WATCH_FAILURES, ROLLUP_PENDING, CAPPED_WORKLOADS,
)  # fmt: skip
BY_NAME: dict[str, Metric] = {m.name: m for m in METRICS}

# A cell: (metric name, namespace, workload kind, workload, container, outcome or reason or resource, part).
Cell = tuple[str, str, str, str, str, str, str]
Cells = dict[Cell, float]
WorkloadKey = tuple[str, str, str]  # namespace, workload kind, workload


def bucket_of(seconds: float) -> str:
    """The (non-cumulative) bucket a value falls in: the smallest bound at or above it, else `+Inf`."""
    for bound in BUCKETS:
        if seconds <= bound:
            return bucket_name(bound)
    return INF


def bucket_name(bound: float) -> str:
    return INF if math.isinf(bound) else repr(float(bound))


def observe(cells: Cells, metric: Metric, labels: tuple[str, str, str, str, str], seconds: float) -> None:
    """One observation into a histogram's cells (a negative value, clock skew, counts as 0)."""
    seconds = max(seconds, 0.0)
    add(cells, (metric.name, *labels, bucket_of(seconds)), 1)
    add(cells, (metric.name, *labels, SUM), seconds)


def add(cells: Cells, cell: Cell, value: float) -> None:
    cells[cell] = cells.get(cell, 0) + value


def outcome(facts: d.AttemptFacts) -> str:
    """`oom-killed`, `failed` (`definitions.is_failed`) or `succeeded`."""
    if facts.reason == "OOMKilled":
        return "oom-killed"
    return "failed" if d.is_failed(facts) else "succeeded"


def reason(facts: d.AttemptFacts) -> str:
    """A failure's reason as the runtime gave it; `unknown` for placeholders (details never shown)."""
    return (facts.reason if facts.known else "") or "unknown"


def hour_cells(
    hour: datetime, containers: Iterable[hourly.ContainerFacts], pods: Iterable[hourly.PodStartupFacts]
) -> Cells:
    """The cells of the hour starting at `hour`, from the facts `rollup_build.hour_inputs` reads for it."""
    number = hourly.hour_number(hour)
    cells: Cells = {}
    for c in containers:
        placed = hourly.in_hour(c, number)
        if not placed.attempts:
            continue
        base = (c.namespace, c.workload_kind, _workload(c.workload_kind, c.workload), c.name)
        for _, facts in placed.attempts:
            add(cells, (INIT_ATTEMPTS.name, *base, "", ""), facts.count)
            if d.is_failed(facts):
                add(cells, (INIT_FAILURES.name, *base, reason(facts), ""), facts.count)
            seconds = d.duration(facts)
            if seconds is not None:
                observe(cells, INIT_DURATION, (*base, outcome(facts)), seconds)
        pull = c.pull
        if placed.previous is None and pull is not None and not pull.already_present:
            if pull.pull_seconds is not None:
                observe(cells, PULL_DURATION, (*base, ""), pull.pull_seconds)
            if pull.wait_seconds is not None:
                observe(cells, PULL_QUEUE_WAIT, (*base, ""), pull.wait_seconds)
    for p in pods:
        for step, metric in (("initialized", POD_INITIALIZED), ("ready", POD_READY)):
            seconds = hourly.step_seconds(p.facts, step)
            if seconds is not None:
                workload = _workload(p.workload_kind, p.workload)
                observe(cells, metric, (p.namespace, p.workload_kind, workload, "", ""), seconds)
    return cells


def _workload(kind: str, name: str) -> str:
    """A workload's name as a label: a bare Pod's (kind `Pod`, named after the Pod) is `<none>`."""
    return BARE if kind == "Pod" else name


def workload_of(cell: Cell) -> WorkloadKey | None:
    """The workload a cell belongs to (None for the watcher's cells, which have none)."""
    return (cell[1], cell[2], cell[3]) if BY_NAME[cell[0]].labels[:1] == ("namespace",) and cell[3] else None


def exported(cell: Cell, *, admitted: bool = True) -> tuple[str, ...]:
    """The series of a cell: its metric name, its label values in the catalog's order (after `cluster`) and
    its part. A workload that is not admitted (past the cap) is `other`, its kind and containers too."""
    metric = BY_NAME[cell[0]]
    namespace, kind, workload, container, extra, part = cell[1:]
    if not admitted:
        kind, workload, container = OTHER, OTHER, (OTHER if container else "")
    values = {
        "namespace": namespace,
        "workload_kind": kind,
        "workload": workload,
        "container": container,
        "outcome": extra,
        "reason": extra,
        "resource": extra,
        "cause": extra,
        "state": extra,
    }
    return (metric.name, *(values[label] for label in metric.labels), part)


def difference(new: Mapping[Cell, float], old: Mapping[Cell, float]) -> Cells:
    """new − old, per cell, without the cells that did not change."""
    out: Cells = {}
    for cell in new.keys() | old.keys():
        change = new.get(cell, 0) - old.get(cell, 0)
        if change:
            out[cell] = change
    return out
