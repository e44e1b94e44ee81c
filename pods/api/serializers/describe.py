"""What `kubectl describe` shows of a Pod (its spec facts) and of its controller."""

from __future__ import annotations

from typing import get_args

from rest_framework import serializers

from pods.api.serializers.fields import UNTRUSTED, Closed, OwnerSerializer, Text, Time
from pods.timeline.model import ContainerKind

Quantities = lambda help_text="": serializers.DictField(  # noqa: E731
    child=serializers.CharField(), help_text=help_text or "Resource name -> quantity text (`250m`, `128Mi`)."
)


class ProbeSerializer(Closed):
    """A probe in short: never an exec command, HTTP headers or host, nor a path's query string."""

    kind = serializers.CharField(help_text="`startup`, `liveness` or `readiness`.")
    type = Text("`httpGet`, `tcpSocket`, `grpc`, `exec`, or empty when the probe names no handler.")
    port = Text("The port, a number or a named port (empty for `exec`). " + UNTRUSTED)
    path = Text("`httpGet`: the path without its query string; `grpc`: the service name. " + UNTRUSTED)
    scheme = Text("`httpGet`'s scheme as given (empty means HTTP).")
    initial_delay_seconds = serializers.IntegerField()
    timeout_seconds = serializers.IntegerField()
    period_seconds = serializers.IntegerField()
    success_threshold = serializers.IntegerField()
    failure_threshold = serializers.IntegerField()


class InitDominatesSerializer(Closed):
    """An init container that sets the Pod's effective request of a resource (docs/kubernetes.md §1)."""

    resource = serializers.CharField()
    container = Text("The init container. " + UNTRUSTED)
    request = serializers.CharField(help_text="Its request plus the sidecars started before it (`2Gi`).")
    app = serializers.CharField(help_text="What the app containers and every sidecar request together.")
    margin = serializers.CharField(
        help_text="request − app: how much more the Pod reserves on its node, for its whole life, than its "
        "apps need."
    )


class ObjectRefSerializer(Closed):
    """An object the Pod refers to, by name only (never its contents)."""

    kind = serializers.CharField(
        help_text="`ConfigMap`, `Secret`, `PersistentVolumeClaim`, or `ServiceAccountToken` (no name)."
    )
    name = Text(UNTRUSTED)


class MountSerializer(Closed):
    volume = serializers.CharField()
    path = Text(UNTRUSTED)
    read_only = serializers.BooleanField()  # type: ignore[assignment]  # named like a Field attribute


class ContainerSpecSerializer(Closed):
    """A container's spec in short (what `kubectl describe` lists), never env values or commands."""

    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=list(get_args(ContainerKind)))
    requests = Quantities("`resources.requests` from the spec.")
    limits = Quantities("`resources.limits` from the spec.")
    probes = ProbeSerializer(many=True, help_text="Startup, liveness, readiness, as set.")
    ports = serializers.ListField(child=serializers.CharField(), help_text="`8080/TCP`, ...")
    mounts = MountSerializer(many=True)
    config_refs = ObjectRefSerializer(
        many=True,
        help_text="The ConfigMaps and Secrets its environment reads (`envFrom`, `valueFrom`), by name.",
    )


class VolumeSerializer(Closed):
    name = serializers.CharField()
    type = Text("The volume source: `configMap`, `secret`, `persistentVolumeClaim`, `projected`, ...")
    refs = ObjectRefSerializer(many=True, help_text="The objects it references, by name.")


class PodSpecSerializer(Closed):
    """What `kubectl describe pod` shows beyond the timeline, from the newest Pod object."""

    known = serializers.BooleanField(help_text="False for a Pod stored before these facts were read.")
    pod_ip = Text("`status.podIP`.")
    host_ip = Text("`status.hostIP`.")
    qos_class = Text("`Guaranteed`, `Burstable` or `BestEffort`.")
    qos_class_reported = serializers.BooleanField(
        help_text="True when `status.qosClass` said it; false when computed from the requests and limits."
    )
    service_account = Text()
    priority_class_name = Text()
    priority = serializers.IntegerField(allow_null=True)
    node_selector = serializers.DictField(child=serializers.CharField(allow_blank=True))
    tolerations = serializers.ListField(
        child=serializers.CharField(),
        help_text="As kubectl writes them: `key=value:Effect op=Exists for 300s`.",
    )
    affinity = serializers.ListField(
        child=serializers.CharField(),
        help_text="One line per rule: `node, required: kubernetes.io/arch In [amd64]`.",
    )
    volumes = VolumeSerializer(many=True)
    effective_requests = Quantities(
        "The Pod's effective request (docs/kubernetes.md §1): the larger of the app containers' sum "
        "(sidecars included) and each init container's own plus the sidecars started before it, plus "
        "overhead; what the scheduler compares with a node's free capacity (`Insufficient cpu`)."
    )
    effective_limits = Quantities("The same rule over limits, summed over the containers that set one.")
    effective_unreadable = serializers.ListField(
        child=serializers.CharField(), help_text="Resources left out: a quantity could not be read."
    )
    init_dominates = InitDominatesSerializer(
        many=True,
        help_text="Per resource whose effective request an init container sets (it asks more than the app "
        "containers and sidecars together): which one, and by how much.",
    )
    overhead = Quantities("`spec.overhead` (RuntimeClass).")
    pod_requests = Quantities(
        "Pod-level `spec.resources.requests`, when set (they then decide for cpu, memory and hugepages; "
        "the overhead is still added)."
    )
    pod_limits = Quantities("Pod-level `spec.resources.limits`, when set.")
    containers = ContainerSpecSerializer(many=True, help_text="In start order.")


class SiblingSerializer(Closed):
    uid = serializers.CharField()
    name = serializers.CharField()
    status = Text()
    phase = Text()
    created_at = Time()
    deleted_at = Time()
    controller = Text("Its direct controller (a ReplicaSet for a Deployment's Pod).")


class JobFactsSerializer(Closed):
    """The Job of a Job's Pod: stored sibling counts, and the Job object's own counts when fetched."""

    name = serializers.CharField()
    failed_pods_stored = serializers.IntegerField(help_text="Stored Pods of the Job (this one too) Failed.")
    backoff_limit = serializers.IntegerField(
        allow_null=True, help_text="`spec.backoffLimit`; null if not fetched."
    )
    completions = serializers.IntegerField(allow_null=True)
    parallelism = serializers.IntegerField(allow_null=True)
    active = serializers.IntegerField(allow_null=True, help_text="`status.active`; null if not fetched.")
    succeeded = serializers.IntegerField(allow_null=True)
    failed = serializers.IntegerField(allow_null=True, help_text="`status.failed`; null if not fetched.")
    conditions = serializers.ListField(
        child=serializers.CharField(),
        help_text="True conditions as `Type: Reason` (`Failed: BackoffLimitExceeded`).",
    )
    source = serializers.CharField(  # type: ignore[assignment]  # named like a Field attribute
        help_text="`live`: read from the API just now; `none`: not read (see `reason`)."
    )
    reason = Text("Why the Job was not read (a recording, 403, gone, ...).")


class RolloutSerializer(Closed):
    """A Deployment's Pod: its ReplicaSet, and whether that is the newest rollout."""

    replica_set = serializers.CharField()
    deployment = serializers.CharField()
    newest = serializers.BooleanField(allow_null=True, help_text="null when it cannot be told.")
    newest_replica_set = Text("The newest ReplicaSet when known.")
    decided_by = serializers.ChoiceField(
        choices=["revision", "pods", ""],
        help_text="`revision`: the ReplicaSet's `deployment.kubernetes.io/revision` equals the Deployment's "
        "(read from the API); `pods`: the ReplicaSet of the Deployment's newest stored Pod not deleted.",
    )
    other_replica_sets = serializers.ListField(
        child=serializers.CharField(), help_text="ReplicaSets of the stored sibling Pods."
    )
    revision = Text()
    deployment_revision = Text()
    source = serializers.CharField(help_text="`live` or `none`, as for a Job.")  # type: ignore[assignment]
    reason = Text("Why the API was not asked or did not answer.")


class PodWorkloadSerializer(Closed):
    """The Pod's controller and its sibling Pods (stored Pods with the same controller; for a
    Deployment's Pod, those of every ReplicaSet of the Deployment)."""

    controller = OwnerSerializer()
    pod_template_hash = Text()
    sibling_count = serializers.IntegerField(help_text="Stored sibling Pods (of the newest 200 looked at).")
    siblings = SiblingSerializer(many=True, help_text="The newest 20, newest first.")
    job = JobFactsSerializer(allow_null=True)
    rollout = RolloutSerializer(allow_null=True)
