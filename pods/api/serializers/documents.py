"""A Pod: the list summary and the timeline document (containers, attempts, pulls, waits, Events)."""

from __future__ import annotations

from typing import get_args

from rest_framework import serializers

from pods.api.serializers.describe import PodSpecSerializer, PodWorkloadSerializer
from pods.api.serializers.fields import UNTRUSTED, Closed, OwnerSerializer, Text, Time
from pods.timeline import DIAGNOSIS_CODES
from pods.timeline.model import ContainerKind


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
    ended_unseen = serializers.BooleanField(
        help_text="True for an attempt the API last showed running although later attempts of its container "
        "followed (a watch gap hid its end): it is not running; its end, exit code and reason are unknown."
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
