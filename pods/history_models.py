"""The derived history tables: what the rollup task computes from the raw rows of `pods.models` (rollups
by hour and longer blocks, the raw rows' exact report samples, the metrics' persistent totals) and the
marks that tell it which hours to recompute. Registered with the `pods` app through `pods.models`, which
re-exports them.
"""

from __future__ import annotations

from django.db import models

from pods.models import Cluster, HistogramField

# The init-containers report's key of a stored hour or block (rollups and samples alike).
INIT_CONTAINER_KEY = [
    "cluster",
    "hour",
    "span_hours",
    "namespace",
    "workload_kind",
    "workload",
    "container",
    "kind",
]


class RollupMark(models.Model):
    """An hour of a cluster whose rollups must be recomputed (pods.reports.rollup_task): ingest marks the
    hours its rows place in a report, the rollup task recomputes each marked hour from raw rows and then
    removes the mark unless it was marked again meanwhile (`token` changed): a mark stays until its hour
    is committed."""

    cluster = models.ForeignKey(Cluster, on_delete=models.CASCADE, related_name="rollup_marks")
    hour = models.DateTimeField()
    # A fresh value at every mark: the task clears the mark only if it still holds the token it read.
    token = models.UUIDField()
    marked_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["cluster", "hour"], name="rollup_mark_unique_cluster_hour")
        ]
        indexes = [models.Index(fields=["hour"], name="rollup_mark_hour")]

    def __str__(self) -> str:
        return f"rollup mark {self.cluster_id}@{self.hour.isoformat()}"


class AttemptRollupFields(models.Model):
    """The numbers of the init-container and sidecar attempts of one hour, summable across hours
    (pods.reports.rollups, docs/reports.md): counts, duration count/sum/max and log-bucketed histograms
    (`pods.reports.histogram`, packed), the pulls of the containers first attempted in the hour. Rows of
    longer blocks (`span_hours`: days, months, …) sum the rows of their span."""

    cluster = models.ForeignKey(Cluster, on_delete=models.CASCADE, related_name="+")
    hour = models.DateTimeField()
    # The hours summed, from `hour`: 1 (an hour), 2 to 16 (a block of hours in a day), 24 (a day), 48 to
    # 384 (a block of days in a month), 672 to 744 (a calendar month, UTC): `pods.reports.hourly.cover`.
    span_hours = models.SmallIntegerField(default=1)
    # Pods whose first attempt (of this container; on a node: of any init container) is in this hour.
    pods = models.IntegerField(default=0)
    attempts = models.IntegerField(default=0)
    finished = models.IntegerField(default=0)
    failed = models.IntegerField(default=0)
    duration_count = models.IntegerField(default=0)
    duration_sum = models.FloatField(default=0.0)
    duration_max = models.FloatField(null=True, blank=True)
    duration_histogram = HistogramField()
    pull_count = models.IntegerField(default=0)
    pull_histogram = HistogramField()
    queue_wait_count = models.IntegerField(default=0)
    queue_wait_histogram = HistogramField()
    already_present = models.IntegerField(default=0)
    # Pods (and their pulls) counted in an earlier hour, by that hour (hours since the epoch): a report
    # whose period starts after that hour counts them here (pods.reports.hourly). `carried_pods`:
    # `[[previous hour, Pods], ...]`; `carried_pulls`: `[[previous hour, already present, pull histogram,
    # queue-wait histogram], ...]` (histograms as `{bucket: count}`); `carried_from`: the earliest previous
    # hour of both (null: none), so that a report reads them only from the rows that may count them.
    carried_pods = models.JSONField(default=list)
    carried_pulls = models.JSONField(default=list)
    carried_from = models.IntegerField(null=True, blank=True)

    class Meta:
        abstract = True


class InitContainerRollup(AttemptRollupFields):
    """One hour of one init container (or sidecar) of one workload: the init-containers report's
    numbers, plus the failures (`reasons`: `[[reason, exit_code, count], ...]`) for its top reasons."""

    namespace = models.CharField(max_length=253, blank=True, default="")
    workload_kind = models.CharField(max_length=63, blank=True, default="")
    workload = models.CharField(max_length=253, blank=True, default="")
    container = models.CharField(max_length=253)
    kind = models.CharField(max_length=8)  # init | sidecar
    reasons = models.JSONField(default=list)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=INIT_CONTAINER_KEY,
                name="init_rollup_unique_key",
            )
        ]
        indexes = [models.Index(fields=["hour"], name="init_rollup_hour")]

    def __str__(self) -> str:
        return f"{self.namespace}/{self.workload}/{self.container}@{self.hour.isoformat()}"


class NodeRollup(AttemptRollupFields):
    """One hour of the init-container and sidecar attempts of the Pods on one node (`""`: never
    scheduled): the nodes report's numbers."""

    node = models.CharField(max_length=253, blank=True, default="")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["cluster", "hour", "span_hours", "node"], name="node_rollup_unique_key"
            )
        ]
        indexes = [models.Index(fields=["hour"], name="node_rollup_hour")]

    def __str__(self) -> str:
        return f"node {self.node}@{self.hour.isoformat()}"


class PodStartupRollup(models.Model):
    """One hour of the Pods of one workload created in it: the pod-startup report's numbers, per step
    (created → scheduled, → Initialized, → Ready) how many reached it, the maximum and a log-bucketed
    histogram."""

    cluster = models.ForeignKey(Cluster, on_delete=models.CASCADE, related_name="+")
    hour = models.DateTimeField()
    span_hours = models.SmallIntegerField(default=1)  # as in AttemptRollupFields
    namespace = models.CharField(max_length=253, blank=True, default="")
    workload_kind = models.CharField(max_length=63, blank=True, default="")
    workload = models.CharField(max_length=253, blank=True, default="")
    pods = models.IntegerField(default=0)
    scheduled = models.IntegerField(default=0)
    scheduled_max = models.FloatField(null=True, blank=True)
    scheduled_histogram = HistogramField()
    initialized = models.IntegerField(default=0)
    initialized_max = models.FloatField(null=True, blank=True)
    initialized_histogram = HistogramField()
    ready = models.IntegerField(default=0)
    ready_max = models.FloatField(null=True, blank=True)
    ready_histogram = HistogramField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["cluster", "hour", "span_hours", "namespace", "workload_kind", "workload"],
                name="pod_startup_rollup_unique_key",
            )
        ]
        indexes = [models.Index(fields=["hour"], name="pod_startup_rollup_hour")]

    def __str__(self) -> str:
        return f"{self.namespace}/{self.workload_kind}/{self.workload}@{self.hour.isoformat()}"


class ReportSample(models.Model):
    """The raw facts of one hour (`span_hours` 1) or day (24) of one init container (or sidecar) of one
    workload, in the layout the raw init-containers report merges (pods.reports.samples, docs/reports.md
    "Reports over raw rows, fast"): the attempts' counts and failures, and packed little-endian arrays:
    `durations` (float64, sorted), `pods` (int64 Pod ids, sorted) with, aligned to them, each Pod's pull of
    this container (`pulls`, `waits`: float64, NaN when not measured; `present`: uint8, already present)."""

    cluster = models.ForeignKey(Cluster, on_delete=models.CASCADE, related_name="+")
    hour = models.DateTimeField()
    span_hours = models.SmallIntegerField(default=1)  # 1: an hour; 24: the day starting at `hour`
    namespace = models.CharField(max_length=253, blank=True, default="")
    workload_kind = models.CharField(max_length=63, blank=True, default="")
    workload = models.CharField(max_length=253, blank=True, default="")
    container = models.CharField(max_length=253)
    kind = models.CharField(max_length=8)  # init | sidecar
    attempts = models.BigIntegerField(default=0)
    finished = models.BigIntegerField(default=0)
    failed = models.BigIntegerField(default=0)
    durations = models.BinaryField(default=b"")
    pods = models.BinaryField(default=b"")
    pulls = models.BinaryField(default=b"")
    waits = models.BinaryField(default=b"")
    present = models.BinaryField(default=b"")
    reasons = models.JSONField(default=list)  # [[reason, exit_code, count], ...] of failed known attempts

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=INIT_CONTAINER_KEY,
                name="report_sample_unique_key",
            )
        ]

    def __str__(self) -> str:
        return f"samples {self.namespace}/{self.workload}/{self.container}@{self.hour.isoformat()}"


class ReportSampleCover(models.Model):
    """From which hour a cluster's `ReportSample` rows say what raw rows hold (`since`; an hour marked for
    the rollup task excepted), and by which version of the code they were computed (`version`: rows of
    another version are not read)."""

    cluster = models.OneToOneField(Cluster, on_delete=models.CASCADE, related_name="+")
    since = models.DateTimeField()
    version = models.IntegerField()

    def __str__(self) -> str:
        return f"samples of {self.cluster_id} since {self.since.isoformat()} (v{self.version})"


class MetricHour(models.Model):
    """The Prometheus cells one hour of one cluster has added to the totals (`pods.signals.metric_cells`):
    what the rollup task applied last time it computed the hour, so that a recompute applies only the
    change (new − old). Pruned with the raw rows' horizon, past which an hour is never recomputed."""

    cluster = models.ForeignKey(Cluster, on_delete=models.CASCADE, related_name="+")
    hour = models.DateTimeField()
    cells = models.JSONField(default=list)  # [[metric, namespace, kind, workload, container, extra, part, n]]

    class Meta:
        constraints = [models.UniqueConstraint(fields=["cluster", "hour"], name="metric_hour_unique")]

    def __str__(self) -> str:
        return f"metric cells {self.cluster_id}@{self.hour.isoformat()}"


class MetricTotal(models.Model):
    """One exposed series' number (a counter, a histogram bucket or sum, or a gauge the watcher sets) of one
    cluster: `net` is the signed sum of the changes applied, `value` (exposed) the highest `net` has been,
    so a counter never goes backwards (docs/signals.md, "How counters stay monotonic")."""

    cluster = models.ForeignKey(Cluster, on_delete=models.CASCADE, related_name="+")
    series = models.TextField()  # JSON: [metric name, label values after cluster ..., part]
    value = models.FloatField(default=0.0)
    net = models.FloatField(default=0.0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["cluster", "series"], name="metric_total_unique")]

    def __str__(self) -> str:
        return f"{self.cluster_id} {self.series} = {self.value}"


class MetricWorkload(models.Model):
    """A workload the metrics have seen in a cluster, and whether it has its own series (`admitted`, the
    first INITSCOPE_METRICS_WORKLOADS_PER_CLUSTER of the cluster) or counts under `workload="other"`."""

    cluster = models.ForeignKey(Cluster, on_delete=models.CASCADE, related_name="+")
    namespace = models.CharField(max_length=253, blank=True, default="")
    kind = models.CharField(max_length=63, blank=True, default="")
    name = models.CharField(max_length=253, blank=True, default="")
    admitted = models.BooleanField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["cluster", "namespace", "kind", "name"], name="metric_workload_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.namespace}/{self.name}: {'own series' if self.admitted else 'other'}"
