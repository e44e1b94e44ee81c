"""Storage of init-container timelines.

`Pod.state` holds the timeline engine's folded `PodState` (the aggregate ingest folds the next object
into); the other columns and the Container / Attempt / ImagePull rows are its projection for queries and
reports, written in the same transaction. Events are stored as received (normalised), keyed by their uid.
Nothing here holds a Secret or a container environment value: the engine never copies them.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property
from typing import Any

from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Coalesce

from pods.history.keys import UNKNOWN_TIME
from pods.timeline.codec import decode_state
from pods.timeline.model import PodState


class Cluster(models.Model):
    """A Kubernetes cluster, named as its kubeconfig context (or `import` for recordings)."""

    name = models.CharField(max_length=253, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # A watched cluster's "now" is the wall clock; a recording's is the newest time it holds, so its
    # stuck Pods, durations and waterfalls read as they did when the recording ended.
    watched = models.BooleanField(default=False)
    observed_until = models.DateTimeField(null=True, blank=True)
    # Watch health (pods.watch): who holds the cluster's watch lock, when it last proved alive, and the
    # back-off after failed windows (a 403 waits instead of crash-looping).
    watch_holder = models.CharField(max_length=200, blank=True, default="")
    watch_heartbeat_at = models.DateTimeField(null=True, blank=True)
    watch_failures = models.IntegerField(default=0)
    watch_retry_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class WatchCursor(models.Model):
    """Where a cluster's list+watch of one resource stands, and its health."""

    cluster = models.ForeignKey(Cluster, on_delete=models.CASCADE, related_name="cursors")
    resource = models.CharField(max_length=32)  # "pods" | "events"
    # The namespace of a namespace-scoped watch ("" for all namespaces).
    namespace = models.CharField(max_length=63, blank=True, default="")
    resource_version = models.CharField(max_length=64, blank=True, default="")
    listed_at = models.DateTimeField(null=True, blank=True)
    last_event_at = models.DateTimeField(null=True, blank=True)
    # Last successful contact with the API for this stream (a list page, a watch line or a bookmark).
    last_ok_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True, default="")
    last_error_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["cluster", "resource", "namespace"], name="cursor_unique_cluster_resource_ns"
            )
        ]

    def __str__(self) -> str:
        return f"{self.cluster_id}/{self.resource}@{self.resource_version}"


class WatchGroup(models.Model):
    """The watch of one namespace group of a split cluster (INITSCOPE_CLUSTER_NAMESPACE_GROUPS): the same
    health as a whole cluster's on the Cluster row (lock holder, heartbeat, back-off), kept per group; its
    streams are the cluster's WatchCursors of the group's namespaces, and its Pods the cluster's."""

    cluster = models.ForeignKey(Cluster, on_delete=models.CASCADE, related_name="watch_groups")
    name = models.CharField(max_length=63)
    watch_holder = models.CharField(max_length=200, blank=True, default="")
    watch_heartbeat_at = models.DateTimeField(null=True, blank=True)
    watch_failures = models.IntegerField(default=0)
    watch_retry_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["cluster", "name"], name="watch_group_unique_name")]

    def __str__(self) -> str:
        return f"{self.cluster_id}/{self.name}"


class Pod(models.Model):
    cluster = models.ForeignKey(Cluster, on_delete=models.CASCADE, related_name="pods")
    uid = models.CharField(max_length=64)
    namespace = models.CharField(max_length=253, blank=True, default="")
    name = models.CharField(max_length=253, blank=True, default="")
    seen = models.BooleanField(default=False)  # False: known only from Events so far
    node = models.CharField(max_length=253, blank=True, default="")
    owner_kind = models.CharField(max_length=63, blank=True, default="")
    owner_name = models.CharField(max_length=253, blank=True, default="")
    # The Pod's own controller (a Deployment's Pod: its ReplicaSet; a CronJob's: its Job), projected so
    # that a workload's Pods are told apart by controller without decoding their states.
    controller_kind = models.CharField(max_length=63, blank=True, default="")
    controller_name = models.CharField(max_length=253, blank=True, default="")
    restart_policy = models.CharField(max_length=16, blank=True, default="")
    phase = models.CharField(max_length=16, blank=True, default="")
    status = models.CharField(max_length=128, blank=True, default="")
    restarts = models.IntegerField(default=0)
    resource_version = models.CharField(max_length=64, blank=True, default="")
    created_at = models.DateTimeField(null=True, blank=True)
    scheduled_at = models.DateTimeField(null=True, blank=True)
    initialized_at = models.DateTimeField(null=True, blank=True)
    ready_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    # When the watcher last received this Pod's object (a watch event or a list item, the watcher's
    # clock; null for recordings): a Pod gone at a relist was deleted after this.
    observed_at = models.DateTimeField(null=True, blank=True)
    step = models.CharField(max_length=300, blank=True, default="")
    step_since = models.DateTimeField(null=True, blank=True)
    terminal = models.BooleanField(default=False)
    ready = models.BooleanField(default=False)
    # The engine's terminal-failure verdict (`pods.timeline.is_failed`): the list sorts these after the
    # stuck Pods and before the rest, and filters them (`failed=`).
    failed = models.BooleanField(default=False)
    # kubectl's READY column (`1/2`) for the newest object ("" until an object is folded again).
    ready_containers = models.CharField(max_length=16, blank=True, default="")
    failure_code = models.CharField(max_length=32, blank=True, default="")
    failure_container = models.CharField(max_length=253, blank=True, default="")
    failure_summary = models.TextField(blank=True, default="")
    failure_since = models.DateTimeField(null=True, blank=True)
    init_container_count = models.SmallIntegerField(default=0)
    # The engine's PodState as orjson bytes: read and written whole, never queried inside.
    state = models.BinaryField(default=bytes)
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["cluster", "uid"], name="pod_unique_cluster_uid")]
        indexes = [
            models.Index(fields=["cluster", "namespace", "name"], name="pod_ns_name"),
            models.Index(fields=["-created_at"], name="pod_created"),
            models.Index(fields=["owner_kind", "owner_name"], name="pod_owner"),
            models.Index(fields=["status"], name="pod_status"),
            # The overview's hot set: Pods still starting or running.
            models.Index(
                fields=["step_since"],
                name="pod_active_step",
                condition=Q(deleted_at__isnull=True, terminal=False, ready=False),
            ),
            # The list's order (`selectors.RankedPods`): its failed Pods, the rest (B4, docs/performance.md).
            models.Index(
                Coalesce("created_at", "updated_at").desc(),
                "uid",
                name="pod_list_order",
                condition=Q(seen=True),
            ),
            models.Index(
                Coalesce("created_at", "updated_at").desc(),
                "uid",
                name="pod_failed_order",
                condition=Q(failed=True),
            ),
            # A workload's newest Pods (the Pod page's siblings, `selectors.describe.pod_workload`).
            models.Index(
                "cluster",
                "namespace",
                "owner_kind",
                "owner_name",
                F("created_at").desc(),
                F("id").desc(),
                name="pod_workload_newest",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.namespace}/{self.name} ({self.uid})"

    @cached_property
    def folded_state(self) -> PodState:
        """The engine's folded state, decoded once per loaded row (lists read it more than once)."""
        return decode_state(self.state)


class PodStatusCount(models.Model):
    """How many seen Pods hold each STATUS, per cluster, namespace and whether deleted: the overview's
    counts without counting every stored Pod. Kept by PostgreSQL itself (statement triggers on
    `pods_pod`, migration 0010), so every writer (ingest, relist, retention, the benchmark's generator)
    keeps it exact in its own transaction; rows may hold 0. Not kept on SQLite, which counts the rows.
    """

    cluster = models.ForeignKey(Cluster, on_delete=models.CASCADE, related_name="+")
    namespace = models.CharField(max_length=253)
    status = models.CharField(max_length=128)
    deleted = models.BooleanField()
    pods = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["cluster", "namespace", "status", "deleted"], name="pod_status_count_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.namespace} {self.status}: {self.pods}"


class Container(models.Model):
    pod = models.ForeignKey(Pod, on_delete=models.CASCADE, related_name="containers")
    name = models.CharField(max_length=253)
    kind = models.CharField(max_length=8)  # init | sidecar | app
    index = models.SmallIntegerField()
    image = models.CharField(max_length=1024, blank=True, default="")
    restart_count = models.IntegerField(default=0)
    state = models.CharField(max_length=16, blank=True, default="")
    state_reason = models.CharField(max_length=128, blank=True, default="")

    class Meta:
        ordering = ["index"]
        constraints = [models.UniqueConstraint(fields=["pod", "name"], name="container_unique_pod_name")]

    def __str__(self) -> str:
        return f"{self.kind} container {self.name}"


class Attempt(models.Model):
    """One run of one container; (container, generation, number) identifies it.

    A run of placeholders (`known` False: attempts `restartCount` proves happened, details never shown)
    is one row: numbers `number` .. `number + count - 1`. A known attempt has `count` 1.
    """

    pod = models.ForeignKey(Pod, on_delete=models.CASCADE, related_name="attempts")
    container = models.ForeignKey(Container, on_delete=models.CASCADE, related_name="attempts")
    generation = models.IntegerField(default=0)
    number = models.IntegerField()
    known = models.BooleanField(default=True)
    count = models.IntegerField(default=1)
    # The runtime's id of this attempt (`containerd://...`); Django's `container_id` is the FK column.
    runtime_container_id = models.CharField(max_length=200, blank=True, default="")
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    exit_code = models.IntegerField(null=True, blank=True)
    reason = models.CharField(max_length=128, blank=True, default="")
    message = models.TextField(blank=True, default="")
    signal = models.IntegerField(null=True, blank=True)
    log_tail = models.TextField(blank=True, default="")
    # The Pod's creationTimestamp (UNKNOWN_TIME while unknown): never changes, so PostgreSQL partitions
    # attempts by it (pods.history) and it is part of the natural key that ingest upserts on.
    pod_created_at = models.DateTimeField(default=UNKNOWN_TIME)

    class Meta:
        ordering = ["generation", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["container", "generation", "number", "pod_created_at"],
                name="attempt_unique_container_gen_number",
            )
        ]
        indexes = [
            models.Index(fields=["started_at"], name="attempt_started"),
            # The attempts an hour's rollup places by their end (pods.reports.rollup_build).
            models.Index(fields=["finished_at"], name="attempt_finished"),
            # The few attempts that hold a captured log tail, for its retention (pods.history).
            models.Index(fields=["finished_at"], name="attempt_log_tail", condition=~Q(log_tail="")),
        ]

    def __str__(self) -> str:
        return f"attempt {self.generation}.{self.number} of container {self.container_id}"


class ImagePull(models.Model):
    """The image pull of a container (from Pulling/Pulled events), kept when the Events expire."""

    container = models.OneToOneField(Container, on_delete=models.CASCADE, related_name="pull")
    image = models.CharField(max_length=1024, blank=True, default="")
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    pull_seconds = models.FloatField(null=True, blank=True)
    wait_seconds = models.FloatField(null=True, blank=True)
    image_bytes = models.BigIntegerField(null=True, blank=True)
    already_present = models.BooleanField(default=False)
    failures = models.IntegerField(default=0)

    def __str__(self) -> str:
        return f"pull of {self.image}"


class EventFields(models.Model):
    """What every stored Kubernetes Event holds, whatever it is about (normalised from core/v1 or
    events.k8s.io/v1 into a `pods.timeline.EventRecord`); keyed by (cluster, uid) in each table."""

    uid = models.CharField(max_length=64)
    type = models.CharField(max_length=16, blank=True, default="")
    reason = models.CharField(max_length=128, blank=True, default="")
    message = models.TextField(blank=True, default="")
    count = models.IntegerField(default=1)
    first_at = models.DateTimeField(null=True, blank=True)
    last_at = models.DateTimeField(null=True, blank=True)
    source = models.CharField(max_length=253, blank=True, default="")
    resource_version = models.CharField(max_length=64, blank=True, default="")
    # `first_at` when the Event was first stored (UNKNOWN_TIME without one), kept as first written: the
    # time PostgreSQL partitions Events by (pods.history), part of the key ingest upserts on.
    partition_at = models.DateTimeField(default=UNKNOWN_TIME)

    class Meta:
        abstract = True


class Event(EventFields):
    """A Kubernetes Event about a Pod, normalised from core/v1 or events.k8s.io/v1."""

    cluster = models.ForeignKey(Cluster, on_delete=models.CASCADE, related_name="events")
    pod_uid = models.CharField(max_length=64)
    namespace = models.CharField(max_length=253, blank=True, default="")
    name = models.CharField(max_length=253, blank=True, default="")
    container = models.CharField(max_length=253, blank=True, default="")
    field_path = models.CharField(max_length=512, blank=True, default="")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["cluster", "uid", "partition_at"], name="event_unique_cluster_uid"
            )
        ]
        indexes = [models.Index(fields=["cluster", "pod_uid"], name="event_pod")]

    def __str__(self) -> str:
        return f"{self.type} {self.reason} x{self.count}"


class Workload(models.Model):
    """A workload (Deployment, StatefulSet, DaemonSet, Job, CronJob; a ReplicaSet or Job with none above
    it) seen through its Pods' owners or through Events about it (pods.ingest.related).

    Its diagnosis is derived when read (`pods.timeline.related.workload_diagnosis`) from the current run of
    its controller's FailedCreate Events (`failed_*`) against the newest sign that its Pods can be created
    (`created_last_at`: a SuccessfulCreate Event or a Pod's creation). Pod counts are read from `Pod`.
    """

    cluster = models.ForeignKey(Cluster, on_delete=models.CASCADE, related_name="workloads")
    kind = models.CharField(max_length=63)
    namespace = models.CharField(max_length=253, blank=True, default="")
    name = models.CharField(max_length=253)
    failed_message = models.TextField(blank=True, default="")
    failed_first_at = models.DateTimeField(null=True, blank=True)
    failed_last_at = models.DateTimeField(null=True, blank=True)
    failed_count = models.IntegerField(default=0)
    created_last_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["cluster", "kind", "namespace", "name"], name="workload_unique_cluster_kind_ns_name"
            )
        ]
        indexes = [models.Index(fields=["cluster", "namespace", "name"], name="workload_ns_name")]

    def __str__(self) -> str:
        return f"{self.kind} {self.namespace}/{self.name}"


class RelatedEvent(EventFields):
    """An Event about another kind than a Pod that explains Pod startup (pods.timeline.related): a
    workload's FailedCreate, a Node's (NotReady, disk pressure), a PersistentVolumeClaim's (provisioning,
    binding). Stored as received (normalised), keyed by (cluster, uid) like `Event`."""

    cluster = models.ForeignKey(Cluster, on_delete=models.CASCADE, related_name="related_events")
    involved_kind = models.CharField(max_length=63)
    involved_namespace = models.CharField(max_length=253, blank=True, default="")  # "" for Nodes
    involved_name = models.CharField(max_length=253, blank=True, default="")
    involved_uid = models.CharField(max_length=64, blank=True, default="")
    workload = models.ForeignKey(
        Workload, on_delete=models.CASCADE, related_name="events", null=True, blank=True
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["cluster", "uid", "partition_at"], name="related_event_unique_cluster_uid"
            )
        ]
        indexes = [
            models.Index(fields=["cluster", "involved_kind", "involved_name"], name="related_event_involved")
        ]

    def __str__(self) -> str:
        return f"{self.involved_kind}/{self.involved_name}: {self.type} {self.reason} x{self.count}"


class HistogramField(models.BinaryField):
    """A log-bucketed histogram of the rollups, packed (`pods.reports.histogram.pack`: bytes on SQLite and
    PostgreSQL alike): assigned a `{bucket: count}` mapping or packed bytes, read back as packed bytes."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("default", b"")
        kwargs.setdefault("editable", True)
        super().__init__(*args, **kwargs)

    def get_prep_value(self, value: Any) -> Any:
        if isinstance(value, Mapping):
            from pods.reports.histogram import pack  # pods.reports imports the models

            value = pack(value)
        return super().get_prep_value(value)

    def get_db_prep_value(self, value: Any, connection: Any, prepared: bool = False) -> Any:
        if not prepared:
            value = self.get_prep_value(value)
        return super().get_db_prep_value(value, connection, prepared=True)

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> bytes | None:
        return bytes(value) if isinstance(value, memoryview | bytearray) else value


# The derived history tables live apart (one subject): imported here so that Django registers them with
# this app and `from pods.models import InitContainerRollup` keeps working.
from pods.history_models import (  # noqa: E402, F401
    AttemptRollupFields,
    InitContainerRollup,
    MetricHour,
    MetricTotal,
    MetricWorkload,
    NodeRollup,
    PodStartupRollup,
    ReportSample,
    ReportSampleCover,
    RollupMark,
)
