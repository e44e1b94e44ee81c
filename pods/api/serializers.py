"""The API's shapes: one serializer per JSON object the endpoints return, the only copy of each shape.

The documents themselves are built elsewhere (`pods.timeline.timeline_document`, `pods.selectors`,
the watch health read model); these classes describe them for the OpenAPI schema (drf-spectacular reads
them, `pods.api.schema` closes every object with `additionalProperties: false`) and `docs/api.md`'s
reference is rendered from that schema (`python manage.py api_docs`). A test validates real responses of
every endpoint against the schema, so a field added on either side without the other fails it.

Conventions: times are RFC 3339 UTC strings ending in `Z`, or null when unknown (`Time`); strings that come
from the cluster are untrusted (escape them when you render them).
"""

from __future__ import annotations

from typing import get_args

from rest_framework import serializers

from pods.timeline import DIAGNOSIS_CODES
from pods.timeline.model import WORKLOAD_DIAGNOSIS_CODES, ContainerKind


# A JSON object with exactly the fields declared (the schema says `additionalProperties: false`). No
# docstring on purpose: drf-spectacular would give it to every subclass without one as its description.
class Closed(serializers.Serializer):
    pass


def Time(help_text: str = "", **kw) -> serializers.DateTimeField:  # noqa: N802 - reads like a field class
    """An RFC 3339 UTC time (`2024-05-01T10:00:00Z`), or null when unknown."""
    return serializers.DateTimeField(allow_null=True, help_text=help_text, **kw)


def Text(help_text: str = "", **kw) -> serializers.CharField:  # noqa: N802
    """A string that may be empty."""
    return serializers.CharField(allow_blank=True, help_text=help_text, **kw)


UNTRUSTED = "Untrusted text from the cluster."

# ------------------------------------------------------------------------------------------------ pods


class OwnerSerializer(Closed):
    kind = serializers.CharField(help_text="`Deployment`, `StatefulSet`, `Job`, `CronJob`, ...")
    name = serializers.CharField()


class DiagnosisSerializer(Closed):
    code = serializers.ChoiceField(choices=list(DIAGNOSIS_CODES), help_text="What holds the Pod back.")
    container = Text("The container at fault; empty when the cause is Pod-level.")
    summary = serializers.CharField(help_text="One line, plain text. " + UNTRUSTED)
    since = Time("Since when the cause holds.")


class StepSerializer(Closed):
    name = Text(
        "`scheduling`, `init:<container>` (an init container or sidecar), `containers`, `running`, `done`, "
        "`deleting`, or empty before the first Pod object."
    )
    container = Text("The init container the Pod waits for (from `init:<container>`), else empty.")
    since = Time("Since when the Pod is in this step.")
    label = Text(  # type: ignore[assignment]  # named like a Field attribute; DRF moves declared fields aside
        "The step for people: `scheduling`, `init 2/3: migrate`, `starting containers`, ..."
    )


class ConditionSerializer(Closed):
    type = serializers.CharField(help_text="`PodScheduled`, `Initialized`, `ContainersReady`, `Ready`, ...")
    status = serializers.CharField(help_text="`True`, `False` or `Unknown`.")
    reason = Text()
    message = Text(UNTRUSTED)
    last_transition_at = Time()


class SignalSerializer(Closed):
    """A Pod-level problem reported by Events (FailedScheduling, FailedMount, FailedCreatePodSandBox, ...)."""

    reason = serializers.CharField()
    message = Text(UNTRUSTED)
    count = serializers.IntegerField()
    first_at = Time()
    last_at = Time()


class PullSerializer(Closed):
    """The container's image pull, from the `Pulling`/`Pulled`/`Failed`/`BackOff` Events."""

    image = Text()
    started_at = Time("The `Pulling` Event.")
    finished_at = Time("The `Pulled` Event.")
    pull_seconds = serializers.FloatField(allow_null=True, help_text="The pull itself.")
    wait_seconds = serializers.FloatField(allow_null=True, help_text="Time queued before the pull.")
    image_bytes = serializers.IntegerField(allow_null=True)
    already_present = serializers.BooleanField(help_text="The image was on the node: no pull, no durations.")
    failures = serializers.IntegerField(help_text="Failed pulls seen (ErrImagePull, `Failed` Events).")
    last_error = Text(UNTRUSTED)


class WaitingSerializer(Closed):
    """A span during which the container was seen waiting (status observations and its Events)."""

    reason = serializers.CharField(
        help_text="The waiting reason, or the reasons of one problem in the order seen "
        "(`ErrImagePull/ImagePullBackOff`)."
    )
    message = Text(UNTRUSTED + " The newest waiting message of the status.")
    first_at = Time("When it was first seen.")
    last_at = Time("When it was last seen.")
    ended_at = Time("When something else was first seen; null while it lasts.")


class AttemptSerializer(Closed):
    number = serializers.IntegerField(
        help_text="The container's `restartCount` while this attempt ran (0 for the first)."
    )
    generation = serializers.IntegerField(
        help_text="Init generation: starts at 0 and grows when the Pod's sandbox was recreated and its init "
        "containers ran again. (`generation`, `number`) identifies an attempt."
    )
    count = serializers.IntegerField(
        help_text="How many attempts this entry stands for: 1, or for a run of placeholders (`known` false) "
        "the attempts `number` .. `number + count - 1`, none of whose details the API showed."
    )
    started_at = Time(
        "`startedAt` as the API gave it; it may be no time at all (the Unix epoch for a `StartError`, "
        "kubernetes#120331): see `start_known`."
    )
    finished_at = Time()
    start_known = serializers.BooleanField(
        help_text="Whether `started_at` is a start to measure from: false for placeholders and for a start "
        "at the Unix epoch or more than an hour before the Pod's creation (the attempt is then drawn as "
        "starting unknown, at most from the Pod's creation)."
    )
    seconds = serializers.FloatField(
        allow_null=True,
        help_text="How long the attempt ran (finish − start); null while it runs or when its start is "
        "unknown.",
    )
    exit_code = serializers.IntegerField(allow_null=True)
    reason = Text("`Completed`, `Error`, `OOMKilled`, ...")
    message = Text("Termination message. " + UNTRUSTED)
    signal = serializers.IntegerField(allow_null=True)
    known = serializers.BooleanField(
        help_text="False for an attempt that `restartCount` proves happened but whose details the API never "
        "showed: its times, exit code and reason are null or empty."
    )
    container_id = Text("The runtime's container id (`containerd://...`), when known.")
    log_tail = Text(
        "The last lines of the attempt's log, kept by the watcher when it failed (empty otherwise). "
        + UNTRUSTED
    )


class RestartRuleSerializer(Closed):
    """One of a container's `restartPolicyRules` (KEP-5307)."""

    action = serializers.CharField(
        help_text="`Restart`, or `RestartAllContainers` (KEP-5532: every container restarts in place)."
    )
    operator = serializers.CharField(help_text="`In` or `NotIn`.")
    exit_codes = serializers.ListField(child=serializers.IntegerField())


class ResourcesSerializer(Closed):
    """A container status's `resources`; each part present only when reported."""

    limits = serializers.DictField(child=serializers.CharField(), required=False)
    requests = serializers.DictField(child=serializers.CharField(), required=False)


class GenerationSerializer(Closed):
    """How an init generation after the first began."""

    number = serializers.IntegerField()
    cause = serializers.ChoiceField(
        choices=["restart-all", "sandbox"],
        help_text="`restart-all`: RestartAllContainers (KEP-5532) restarted every container in place; "
        "`sandbox`: the sandbox was recreated or the runtime lost its state.",
    )
    started_at = Time("When the previous generation was stopped, as far as the objects show it.")


class ContainerSerializer(Closed):
    name = serializers.CharField()
    kind = serializers.ChoiceField(
        choices=list(get_args(ContainerKind)),
        help_text="`sidecar` is an init container with `restartPolicy: Always`.",
    )
    index = serializers.IntegerField(help_text="Start order: init containers first, then app containers.")
    image = Text()
    restart_count = serializers.IntegerField()
    state = Text("`waiting`, `running`, `terminated`, or empty before the kubelet reported one.")
    state_reason = Text()
    state_message = Text(UNTRUSTED)
    state_since = Time("`running.startedAt` or `terminated.finishedAt`.")
    waiting_since = Time("When the current waiting reason (e.g. ImagePullBackOff) was first seen.")
    ready = serializers.BooleanField()
    started = serializers.BooleanField(allow_null=True, help_text="null when the kubelet does not report it.")
    has_startup_probe = serializers.BooleanField()
    generation = serializers.IntegerField(help_text="The init generation the container's state belongs to.")
    restart_policy = Text("The container's own `restartPolicy` (KEP-5307); empty when it follows the Pod's.")
    effective_restart_policy = serializers.CharField(
        help_text="The policy in force when no rule matches: the container's own, else the Pod's; `Always` "
        "for a sidecar."
    )
    restart_rules = RestartRuleSerializer(
        many=True, help_text="`restartPolicyRules`, in order: the first rule matching an exit code decides."
    )
    stop_signal = Text("`stopSignal` from the container status (KEP-4960), e.g. `SIGUSR1`; empty if unset.")
    resources = ResourcesSerializer(
        help_text="`resources` from the container status (what the runtime enacted; in-place resize, GA in "
        "1.35), as last reported: the kubelet reports it only while the container runs."
    )
    allocated_resources = serializers.DictField(
        child=serializers.CharField(),
        help_text="`allocatedResources` from the container status (resource name -> quantity), if reported.",
    )
    back_off = Text(
        "While in `CrashLoopBackOff`: the delay the waiting message states (`2m40s`), as the kubelet's "
        "settings make it (KEP-4603, KEP-5593); empty otherwise."
    )
    next_attempt_at = Time("The newest exit plus `back_off`: when the kubelet may restart the container.")
    pull = PullSerializer(allow_null=True)
    waiting = WaitingSerializer(
        many=True, help_text="The spans the container was seen waiting, oldest first (at most 16 kept)."
    )
    waiting_dropped = serializers.IntegerField(help_text="Older waiting spans dropped to keep state small.")
    attempts = AttemptSerializer(many=True)


class InvolvedSerializer(Closed):
    kind = serializers.CharField(help_text="`Node` or `PersistentVolumeClaim`.")
    name = serializers.CharField()


class EventSerializer(Closed):
    """A Kubernetes Event about the Pod (core/v1 or events.k8s.io/v1), the newest copy of each."""

    uid = serializers.CharField(help_text="The Event's own `metadata.uid`.")
    type = Text("`Normal` or `Warning`.")
    reason = Text()
    message = Text(UNTRUSTED)
    count = serializers.IntegerField()
    first_at = Time()
    last_at = Time()
    container = Text("From the Event's `fieldPath`; empty for Pod-level Events.")
    source = Text(  # type: ignore[assignment]  # named like a Field attribute; DRF moves declared fields aside
        "The reporting component (`kubelet`, `default-scheduler`, ...)."
    )
    about = InvolvedSerializer(
        allow_null=True,
        help_text="null for an Event about the Pod itself; else the Node it runs on or the "
        "PersistentVolumeClaim it mounts that the Event is about (NotReady, disk pressure, provisioning).",
    )


# ---------------------------------------------------------------------------------------- describe

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
    overhead = Quantities("`spec.overhead` (RuntimeClass).")
    pod_requests = Quantities("Pod-level `spec.resources.requests`, when set (they then decide).")
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


class PodFieldsSerializer(Closed):
    """What a Pod summary and a Pod document both say (each adds its own fields after these)."""

    cluster = serializers.CharField()
    uid = serializers.CharField(help_text="`metadata.uid`.")
    namespace = serializers.CharField()
    name = serializers.CharField()
    owner = OwnerSerializer(
        allow_null=True,
        help_text="The workload: a Deployment rather than its ReplicaSet when the ReplicaSet's name and "
        "`pod-template-hash` show it.",
    )
    node = Text()
    phase = Text()
    status = serializers.CharField(help_text="kubectl's STATUS column (kubectl 1.35's printer).")
    restarts = serializers.IntegerField(help_text="kubectl's RESTARTS column.")
    created_at = Time("From the API server's clock, like `deleted_at`; container times are the node's.")
    deleted_at = Time(
        "When the Pod was deleted (DELETED watch event). For a Pod found gone at a relist, the earliest it "
        "can have been deleted (when it was last seen alive); the document's `deleted_between` then gives "
        "both bounds."
    )
    stuck = serializers.BooleanField()
    diagnosis = DiagnosisSerializer(allow_null=True)
    live = serializers.BooleanField(
        help_text="True when the Pod's cluster is watched; false for a recording, whose `stuck`, "
        "`diagnosis` and step durations are judged at `as_of`."
    )
    as_of = serializers.DateTimeField(
        help_text="The moment this answer is judged at: now for a watched cluster, the end of the data for "
        "a recording."
    )


class PodSummarySerializer(PodFieldsSerializer):
    """One row of the Pod list: what the overview and `manage.py pods list` show."""

    step = Text("The step for people (the document's `step.label`).")
    step_since = Time()
    init_containers = serializers.IntegerField(help_text="How many init containers (sidecars included).")
    ready = Text(
        "kubectl's READY column: ready containers of the app containers and sidecars (`1/2`); empty until "
        "the Pod's next object was folded after an upgrade."
    )
    failed = serializers.BooleanField(
        help_text="Terminal failure: finished in phase Failed (a container failed for good, "
        "activeDeadlineSeconds, eviction) or diagnosed `failed` / `deadline`; not a Pod stopped by its own "
        "deletion, nor a deleted one. The list shows these after the stuck Pods and before the rest."
    )


class PodDocumentSerializer(PodFieldsSerializer):
    """The timeline document of one Pod; also what `manage.py pods show --json` prints and
    `manage.py export` writes, one per line."""

    seen = serializers.BooleanField(
        help_text="A Pod object was seen (always true here: Pods known only from Events are not served)."
    )
    controller = OwnerSerializer(allow_null=True, help_text="The direct controller from `ownerReferences`.")
    labels = serializers.DictField(child=serializers.CharField(allow_blank=True))
    restart_policy = serializers.CharField(help_text="`Always`, `OnFailure` or `Never`.")
    reason = Text("`status.reason` (DeadlineExceeded, Evicted, ...).")
    message = Text("`status.message`. " + UNTRUSTED)
    restarts_last_at = Time("When the newest restart happened (the `(5m ago)` of RESTARTS).")
    started_at = Time("`status.startTime`.")
    scheduled_at = Time()
    initialized_at = Time()
    containers_ready_at = Time()
    ready_at = Time()
    sandbox_ready_at = Time(
        "`PodReadyToStartContainers` True: the sandbox and its network are up (on since 1.29); null while "
        "it is False (e.g. a sandbox that cannot be created) or not reported."
    )
    deletion_requested_at = Time(
        "When the deletion was requested: `metadata.deletionTimestamp` − `deletionGracePeriodSeconds` (the "
        "API sets `deletionTimestamp` to the request time plus the grace period)."
    )
    deletion_deadline_at = Time(
        "`metadata.deletionTimestamp` as the newest object gives it: the end of the grace period."
    )
    deleted_at_exact = serializers.BooleanField(
        help_text="False when the Pod vanished across a relist: its deletion was not seen and `deleted_at` "
        "is only the earliest it can have happened (see `deleted_between`); true otherwise."
    )
    deleted_between = serializers.ListField(
        child=serializers.DateTimeField(),
        min_length=2,
        max_length=2,
        allow_null=True,
        help_text="For a Pod that vanished across a relist: [when it was last seen alive, the relist that "
        "found it gone]; the exact deletion time is unknown. Null otherwise.",
    )
    init_generation = serializers.IntegerField(help_text="The newest init generation (see attempts).")
    generations = GenerationSerializer(
        many=True, help_text="How each generation after 0 began, oldest first."
    )
    step = StepSerializer()
    conditions = ConditionSerializer(many=True)
    signals = SignalSerializer(many=True)
    containers = ContainerSerializer(many=True, help_text="In start order (`index`).")
    events = EventSerializer(many=True, help_text="Oldest first.")
    spec = PodSpecSerializer(
        help_text="What `kubectl describe` shows: resources, probes, volumes, scheduling."
    )
    workload = PodWorkloadSerializer(
        allow_null=True,
        help_text="The controller and sibling Pods; null without a controller, and in `manage.py export`.",
    )


# One page of a list endpoint (`pods.api.views._page`); a subclass names what `results` holds (`items`,
# for `count`'s description) and declares `results`. No docstring, as for `Closed`.
class PageSerializer(Closed):
    count = serializers.IntegerField()
    page = serializers.IntegerField()
    pages = serializers.IntegerField()
    next = serializers.URLField(allow_null=True, help_text="The next page's URL, or null on the last.")
    previous = serializers.URLField(
        allow_null=True, help_text="The previous page's URL, or null on the first."
    )

    items = ""

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        fields["count"].help_text = f"{self.items} matching the filters."
        return fields


class ListQuerySerializer(serializers.Serializer):
    """The query parameters every list endpoint takes (validated by the view, documented from here)."""

    cluster = serializers.CharField(required=False, allow_blank=True)
    namespace = serializers.CharField(required=False, allow_blank=True)
    stuck = serializers.BooleanField(required=False, allow_null=True, default=None)
    page = serializers.IntegerField(required=False, min_value=1, default=1)
    page_size = serializers.IntegerField(required=False, min_value=1, max_value=500, default=50)


class PodPageSerializer(PageSerializer):
    items = "Pods"
    results = PodSummarySerializer(many=True)


class PodListQuerySerializer(ListQuerySerializer):
    """The query parameters of `GET /api/v1/pods` (validated by the view, documented from here)."""

    workload = serializers.CharField(
        required=False, allow_blank=True, help_text="`name` or `Kind/name`, e.g. `Deployment/api`."
    )
    status = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text="kubectl STATUS, case-insensitive and by prefix (`init:` matches `Init:0/2` and "
        "`Init:CrashLoopBackOff`); several comma-separated, e.g. `Init:CrashLoopBackOff,Init:Error`.",
    )
    failed = serializers.BooleanField(required=False, allow_null=True, default=None)
    search = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text="Substring (case-insensitive) of the name, namespace, workload, a container's name or the "
        "diagnosis (code and text).",
    )


# ------------------------------------------------------------------------------------------------ workloads


class WorkloadDiagnosisSerializer(Closed):
    code = serializers.ChoiceField(
        choices=list(WORKLOAD_DIAGNOSIS_CODES),
        help_text="`create-failed`: the controller cannot create the Pods it should (its newest "
        "`FailedCreate` Event is newer than its newest `SuccessfulCreate` and its newest Pod, and at most an "
        "hour old): an exceeded quota, an admission webhook's denial, a Pod Security violation, a missing "
        "ServiceAccount.",
    )
    summary = serializers.CharField(help_text="One line with the Event's message. " + UNTRUSTED)
    since = Time("The first FailedCreate of the current run.")


class WorkloadSerializer(Closed):
    """A workload seen through its Pods' owners or through Events about it (a ReplicaSet's are its
    Deployment's, a Job's its CronJob's)."""

    cluster = serializers.CharField()
    kind = serializers.CharField(help_text="`Deployment`, `StatefulSet`, `DaemonSet`, `Job`, `CronJob`, ...")
    namespace = serializers.CharField()
    name = serializers.CharField()
    pods = serializers.IntegerField(help_text="Its Pods that are not deleted.")
    pods_by_status = serializers.DictField(
        child=serializers.IntegerField(), help_text="Those Pods per kubectl STATUS, most first."
    )
    stuck = serializers.BooleanField(help_text="It has a diagnosis: Pods that should exist do not.")
    diagnosis = WorkloadDiagnosisSerializer(allow_null=True)
    live = serializers.BooleanField(help_text="As for Pods: false for a recording, judged at `as_of`.")
    as_of = serializers.DateTimeField(help_text="The moment this answer is judged at.")


class WorkloadPageSerializer(PageSerializer):
    items = "Workloads"
    results = WorkloadSerializer(many=True)


class WorkloadListQuerySerializer(ListQuerySerializer):
    """The query parameters of `GET /api/v1/workloads`."""


# ------------------------------------------------------------------------------------------------ logs


class LogAttemptSerializer(Closed):
    """The attempt the lines belong to, as Initscope stored it."""

    generation = serializers.IntegerField()
    number = serializers.IntegerField()
    known = serializers.BooleanField(
        help_text="False: one of a run of attempts the API never showed (no exit code, reason or time)."
    )
    exit_code = serializers.IntegerField(allow_null=True)
    reason = Text()
    finished_at = Time()


class PodLogSerializer(Closed):
    uid = serializers.CharField()
    cluster = serializers.CharField()
    namespace = serializers.CharField()
    pod = serializers.CharField(help_text="The Pod's name.")
    container = serializers.CharField()
    previous = serializers.BooleanField(
        help_text="The lines are of the attempt before the current one (asked with `previous` or `attempt`)."
    )
    source = serializers.ChoiceField(  # type: ignore[assignment]  # as `source` above: a declared field
        choices=["live", "stored", "none"],
        help_text="`live` from the cluster, `stored`: the tail kept with that attempt (for the current one "
        "when it kept none: the newest attempt that did; `attempt` says which), `none`.",
    )
    reason = Text("Why the log is not live (empty when it is), in Initscope's words.")
    text = Text(UNTRUSTED)
    lines = serializers.IntegerField(help_text="How many lines `text` holds.")
    timestamps = serializers.BooleanField(
        help_text="The lines start with the kubelet's RFC 3339 time (asked for, and served live)."
    )
    same_as_current = serializers.BooleanField(
        help_text="For the previous attempt: its lines are exactly those served for the current one."
    )
    attempt = LogAttemptSerializer(
        allow_null=True,
        help_text="The attempt the lines belong to (`live`: the current or previous one as stored; "
        "`stored`: the one whose tail is served), or null when Initscope knows no attempt yet.",
    )


# ------------------------------------------------------------------------------------------------ clusters


class WatchStreamSerializer(Closed):
    """One list/watch stream of a cluster (Pods or Events, of one namespace or of all)."""

    resource = serializers.CharField(help_text="`pods` or `events`.")
    namespace = Text("Empty: all namespaces.")
    state = serializers.ChoiceField(
        choices=["ok", "error", "pending"],
        help_text="`error`: its newest error (`last_error`) is newer than its last success; `ok`; "
        "`pending`: the API has not answered it yet.",
    )
    resource_version = Text("The cursor: the newest resourceVersion handled.")
    listed_at = Time("The last full list.")
    last_event_at = Time()
    last_ok_at = Time("The last time the stream heard from the API server.")
    lag_seconds = serializers.FloatField(allow_null=True, help_text="Seconds since `last_ok_at`.")
    last_error = Text()
    last_error_at = Time()


class ClusterHealthSerializer(Closed):
    name = serializers.CharField()
    configured = serializers.BooleanField(help_text="In INITSCOPE_CLUSTERS (else: watched once, not now).")
    namespaces = serializers.ListField(
        child=serializers.CharField(), help_text="Watched namespaces; empty: all of them."
    )
    state = serializers.ChoiceField(
        # The watch health read model writes these as literals; it has no constant to import yet.
        choices=["watching", "degraded", "backing-off", "error", "stopped", "not-configured"],
        help_text="`watching`: a holder renewed its lock in time; `degraded`: watching, but some streams "
        "fail (see `streams`: e.g. a namespace whose RBAC refuses the watch, retried on its own while the "
        "others are watched); `error`: every stream's newest error is newer than its last success (or the "
        "watch is not running); `backing-off`: waiting to retry; `stopped`; `not-configured`: no "
        "process configures it here and no watcher keeps it alive.",
    )
    pods = serializers.IntegerField(help_text="Its Pods that are not deleted.")
    stuck = serializers.IntegerField(help_text="How many of those are stuck.")
    holder = Text("The worker holding the cluster's watch lock.")
    heartbeat_at = Time()
    last_event_at = Time()
    last_ok_at = Time()
    lag_seconds = serializers.FloatField(
        allow_null=True, help_text="Seconds since the stalest stream last heard from the API server."
    )
    last_error = Text("The newest stream error.")
    last_error_at = Time()
    failures = serializers.IntegerField(
        help_text="Failed attempts in a row: failed runs, plus the failed (re)connects in a row of the "
        "stream failing longest while the watch runs (a refused connection counts); 0 once every stream "
        "succeeds."
    )
    retry_at = Time("When the next try may start (while backing off).")
    stale = serializers.BooleanField(
        help_text="The cluster's data is not current: a stream fails, the watch is not running, a stream "
        "never connected, or a stream has not heard from the API server within INITSCOPE_STALE_AFTER_SECONDS "
        "(default 120). The pages show the same verdict."
    )
    stale_reason = Text("Why it is stale (empty when current).")
    known_at = Time(
        "The data is known up to here: the stalest stream's last success (null if one never had one)."
    )
    streams = WatchStreamSerializer(many=True)


class ClusterListSerializer(Closed):
    results = ClusterHealthSerializer(many=True)


# ------------------------------------------------------------------------------------------------ errors


class ErrorSerializer(Closed):
    detail = serializers.CharField()
