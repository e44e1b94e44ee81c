"""The timeline engine's data model: plain, JSON-serialisable dataclasses.

`PodState` is the folded state of one Pod (keyed by `metadata.uid`). The engine folds raw Pod objects
and Events into it with pure functions (`fold.apply_pod`, `fold_events.apply_event`); ingest stores it with
`codec.encode_state` (orjson of the dataclasses) and reads it back with `codec.decode_state` before
folding the next batch, and projects it into rows (containers, attempts, pulls) for queries and reports.
`to_dict()`/`from_dict()` give the same data as plain JSON types (documents, tests, older stored rows).

Times are timezone-aware UTC `datetime`s (or None when unknown). Nothing here may hold a Secret value or a
container environment value.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import Field, asdict, dataclass, field, fields
from datetime import datetime
from functools import lru_cache
from typing import Any, Literal, Self, get_args

from .times import format_time, parse_time, time_key

ContainerKind = Literal["init", "sidecar", "app"]
# The diagnosis codes, in the order the diagnosis checks them (DESIGN.md "Stuck and diagnosis").
DiagnosisCode = Literal[
    "unschedulable",
    "sandbox",
    "mount",
    "image-pull",
    "config-error",
    "oom-killed",
    "crash-loop",
    "failed",
    "deadline",
    "slow",
]
DIAGNOSIS_CODES: tuple[DiagnosisCode, ...] = get_args(DiagnosisCode)
# The diagnosis codes of a workload (pods.timeline.related): `create-failed`, its controller cannot create
# the Pods it should (FailedCreate: quota, admission webhook, Pod Security, missing ServiceAccount).
WorkloadDiagnosisCode = Literal["create-failed"]
WORKLOAD_DIAGNOSIS_CODES: tuple[WorkloadDiagnosisCode, ...] = get_args(WorkloadDiagnosisCode)
# The codes only a finished (terminal) Pod gets: they never make a Pod stuck.
TERMINAL_DIAGNOSES: tuple[DiagnosisCode, ...] = ("failed", "deadline")
# The Pod phases a Pod never leaves (docs/kubernetes.md §2).
TERMINAL_PHASES = frozenset({"Succeeded", "Failed"})


def set_if_changed(obj: Any, name: str, value: Any) -> bool:
    """Set `obj.name` to `value`; whether it changed (how every fold step reports a change)."""
    if getattr(obj, name) != value:
        setattr(obj, name, value)
        return True
    return False


def set_fields(obj: Any, **values: Any) -> bool:
    """`set_if_changed` for each of `values`; whether any changed."""
    changed = False
    for name, value in values.items():
        changed |= set_if_changed(obj, name, value)
    return changed


_FIELD_PLANS: dict[type, tuple[tuple[str, bool], ...]] = {}


def _field_plan(cls: type) -> tuple[tuple[str, bool], ...]:
    """(name, is a time field) for each field of a dataclass; `fields()` is too slow to call per object."""
    # A dict, not functools.cache: mypy takes a class passed to a cached function for unhashable.
    plan = _FIELD_PLANS.get(cls)
    if plan is None:
        # `Diagnosis.since` is a time too
        plan = tuple((f.name, f.name == "since" or f.name.endswith(("_at", "_since"))) for f in fields(cls))
        _FIELD_PLANS[cls] = plan
    return plan


class _Serialisable:
    """to_dict/from_dict for flat dataclasses whose datetime fields end in `_at` or `_since`."""

    def to_dict(self) -> dict[str, Any]:
        out = {}
        for name, _ in _field_plan(type(self)):
            value = getattr(self, name)
            out[name] = format_time(value) if isinstance(value, datetime) else value
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        kwargs = {}
        for name, is_time in _field_plan(cls):
            if name not in data:
                continue
            value = data[name]
            if is_time and isinstance(value, str):
                value = parse_time(value)
            kwargs[name] = value
        return cls(**kwargs)


@dataclass(slots=True)
class Attempt(_Serialisable):
    """One run of one container.

    `number` is the container's restartCount while the attempt ran (0 for the first). `generation` counts
    init generations of the Pod's sandbox: it starts at 0 and grows when the sandbox is recreated
    (SandboxChanged, or restartCount going down), so (generation, number) identifies an attempt.
    `known` is False for an attempt that restartCount proves happened but whose details the API never
    showed (docs/kubernetes.md §2 rule 4): its times, exit code and reason stay None/"". Placeholders are
    kept as runs: one `known=False` record stands for `count` consecutive attempts, numbers `number` ..
    `last_number` (a container first seen at restartCount 5000 holds one record, not 5000); a known
    attempt always has `count` 1. `started_at` is kept as the API gave it (it can be the Unix epoch,
    kubernetes#120331): measure from `attempts.usable_start`, never from it directly.
    """

    generation: int
    number: int
    container_id: str = ""
    started_at: datetime | None = None
    finished_at: datetime | None = None
    exit_code: int | None = None
    reason: str = ""
    message: str = ""
    signal: int | None = None
    known: bool = True
    count: int = 1  # attempts this record stands for (> 1 only for a run of placeholders)
    # Filled by the watcher later: the last lines of the attempt's log, captured when it failed.
    log_tail: str = ""

    @property
    def key(self) -> tuple[int, int]:
        return (self.generation, self.number)

    @property
    def last_number(self) -> int:
        """The last number a run of placeholders covers (`number` for a single attempt)."""
        return self.number + self.count - 1

    @property
    def running(self) -> bool:
        return self.known and self.started_at is not None and self.finished_at is None


@dataclass(slots=True)
class Pull(_Serialisable):
    """The image pull of a container, from `Pulling`/`Pulled`/`Failed`/`BackOff` events.

    From `Successfully pulled image "X" in 1.2s (3.4s including waiting). Image size: N bytes.`:
    pull_seconds=1.2, wait_seconds=2.2 (queue wait = total - pull), image_bytes=N.
    `Container image "X" already present on machine`: already_present=True, no durations.
    """

    image: str = ""
    started_at: datetime | None = None  # Pulling event
    finished_at: datetime | None = None  # Pulled event
    pull_seconds: float | None = None
    wait_seconds: float | None = None
    image_bytes: int | None = None
    already_present: bool = False
    failures: int = 0  # ErrImagePull / Failed-to-pull events seen
    last_error: str = ""
    # Added by the engine: the init generation this pull belongs to (a new sandbox generation may pull
    # again; the first successful pull of the current generation is kept).
    generation: int = 0


@dataclass(slots=True)
class WaitingSpan(_Serialisable):
    """A stretch during which a container was seen waiting for one problem (`pods.timeline.waiting`).

    `reason` is the waiting reason, or the reasons of one family in the order seen
    (`ErrImagePull/ImagePullBackOff`); `message` the newest waiting message (what Kubernetes shows in
    status, never more). `first_at`/`last_at`: the first and last time it was observed (status or the
    container's Events); `ended_at`: when something else was first seen (None while it lasts).
    """

    reason: str
    message: str = ""
    first_at: datetime | None = None
    last_at: datetime | None = None
    ended_at: datetime | None = None
    observations: int = 1


@dataclass(slots=True)
class ContainerState:
    """One container of the Pod, in start order (`index` 0..n-1 over init containers then app containers)."""

    name: str
    kind: ContainerKind
    index: int
    image: str = ""
    restart_count: int = 0
    state: str = ""  # "waiting" | "running" | "terminated" | "" (no status reported yet)
    state_reason: str = ""
    state_message: str = ""
    state_since: datetime | None = None  # running.startedAt / terminated.finishedAt
    ready: bool = False
    started: bool | None = None
    has_startup_probe: bool = False
    generation: int = 0
    attempts: list[Attempt] = field(default_factory=list)
    pull: Pull | None = None
    # When the container's current waiting reason (e.g. ImagePullBackOff) was first seen by us.
    waiting_since: datetime | None = None
    # The container's own `restartPolicy` ("" when it follows the Pod's) and its `restartPolicyRules` as
    # `{action, operator, exit_codes}` (KEP-5307): what `policy.restart_action` decides exits with.
    restart_policy: str = ""
    restart_rules: list[dict[str, Any]] = field(default_factory=list)
    # From the newest container status: `stopSignal` (KEP-4960) and the in-place resize fields
    # `resources` ({limits, requests}) and `allocatedResources` (resource name -> quantity text).
    stop_signal: str = ""
    resources: dict[str, dict[str, str]] = field(default_factory=dict)
    allocated_resources: dict[str, str] = field(default_factory=dict)
    # The spans during which a waiting reason was observed, oldest first (bounded: `waiting.MAX_SPANS`;
    # `waiting_dropped` counts the oldest ones dropped).
    waiting_spans: list[WaitingSpan] = field(default_factory=list)
    waiting_dropped: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "index": self.index,
            "image": self.image,
            "restart_count": self.restart_count,
            "state": self.state,
            "state_reason": self.state_reason,
            "state_message": self.state_message,
            "state_since": format_time(self.state_since),
            "ready": self.ready,
            "started": self.started,
            "has_startup_probe": self.has_startup_probe,
            "generation": self.generation,
            "attempts": [a.to_dict() for a in self.attempts],
            "pull": self.pull.to_dict() if self.pull else None,
            "waiting_since": format_time(self.waiting_since),
            "restart_policy": self.restart_policy,
            "restart_rules": [dict(r) for r in self.restart_rules],
            "stop_signal": self.stop_signal,
            "resources": {k: dict(v) for k, v in self.resources.items()},
            "allocated_resources": dict(self.allocated_resources),
            "waiting_spans": [w.to_dict() for w in self.waiting_spans],
            "waiting_dropped": self.waiting_dropped,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ContainerState:
        return cls(
            name=data["name"],
            kind=data["kind"],
            index=data["index"],
            image=data.get("image", ""),
            restart_count=data.get("restart_count", 0),
            state=data.get("state", ""),
            state_reason=data.get("state_reason", ""),
            state_message=data.get("state_message", ""),
            state_since=parse_time(data.get("state_since")),
            ready=data.get("ready", False),
            started=data.get("started"),
            has_startup_probe=data.get("has_startup_probe", False),
            generation=data.get("generation", 0),
            attempts=[Attempt.from_dict(a) for a in data.get("attempts", [])],
            pull=Pull.from_dict(data["pull"]) if data.get("pull") else None,
            waiting_since=parse_time(data.get("waiting_since")),
            restart_policy=data.get("restart_policy") or "",
            restart_rules=list(data.get("restart_rules") or ()),
            stop_signal=data.get("stop_signal") or "",
            resources=dict(data.get("resources") or {}),
            allocated_resources=dict(data.get("allocated_resources") or {}),
            waiting_spans=[WaitingSpan.from_dict(w) for w in data.get("waiting_spans") or ()],
            waiting_dropped=data.get("waiting_dropped") or 0,
        )


@dataclass(slots=True)
class Condition(_Serialisable):
    type: str
    status: str  # "True" | "False" | "Unknown"
    reason: str = ""
    message: str = ""
    last_transition_at: datetime | None = None


@dataclass(slots=True)
class PodSignal(_Serialisable):
    """A Pod-level problem reported by an Event (FailedScheduling, FailedMount, FailedAttachVolume,
    FailedCreatePodSandBox, SandboxChanged, DeadlineExceeded): what the diagnosis needs from Events."""

    reason: str
    message: str = ""
    first_at: datetime | None = None
    last_at: datetime | None = None
    count: int = 1
    # The newest specific message of this reason and when it was last repeated: a kubelet that cannot
    # mount a volume repeats both `configmap "x" not found` and the generic `Unable to attach or mount
    # volumes: ... timed out waiting for the condition`; the diagnosis keeps the specific one while it
    # repeats (`pods.timeline.diagnosis.signal_text`).
    specific: str = ""
    specific_at: datetime | None = None


@dataclass(slots=True)
class EventRecord(_Serialisable):
    """A Kubernetes Event (core/v1 or events.k8s.io/v1) normalised to one shape.

    `uid` is the Event's own metadata.uid (the key to deduplicate on); `pod_uid` is involvedObject.uid /
    regarding.uid. `container` is parsed from fieldPath `spec.initContainers{c}` / `spec.containers{c}`
    ("" for Pod-level events). Times: first_at/last_at from firstTimestamp/lastTimestamp, else eventTime /
    series.lastObservedTime, else metadata.creationTimestamp.
    """

    uid: str
    namespace: str
    name: str
    pod_uid: str
    pod_name: str
    type: str = ""
    reason: str = ""
    message: str = ""
    count: int = 1
    first_at: datetime | None = None
    last_at: datetime | None = None
    container: str = ""
    field_path: str = ""
    source: str = ""  # reportingComponent / source.component
    resource_version: str = ""
    involved_kind: str = "Pod"

    @property
    def recency(self) -> tuple[int, datetime]:
        return event_recency(self.count, self.last_at)


def event_recency(count: int, last_at: datetime | None) -> tuple[int, datetime]:
    """How new a copy of an Event is: by count, then by last time (a repeat of an Event updates both)."""
    return (count, time_key(last_at))


def newest_events(events: Iterable[EventRecord]) -> dict[str, EventRecord]:
    """The newest copy of each Event, by uid (of equally new copies, the later one)."""
    newest: dict[str, EventRecord] = {}
    for event in events:
        kept = newest.get(event.uid)
        if kept is None or event.recency >= kept.recency:
            newest[event.uid] = event
    return newest


@dataclass(slots=True)
class Generation(_Serialisable):
    """The start of an init generation after the first: the Pod's containers started over, init
    containers first, under the same uid. `cause` is `restart-all` (RestartAllContainers, KEP-5532: the
    made-up `RestartingAllContainers` terminations, docs/kubernetes.md §2 end notes) or `sandbox` (a
    sandbox recreation or a loss of runtime state, §2 rule 7). `started_at`: when the old generation was
    stopped, as far as the objects show it."""

    number: int
    cause: str
    started_at: datetime | None = None


@dataclass(slots=True)
class Owner(_Serialisable):
    kind: str
    name: str


@dataclass(slots=True)
class Diagnosis(_Serialisable):
    code: str  # one of DIAGNOSIS_CODES
    container: str  # "" when the cause is Pod-level
    summary: str  # one line, plain text (escape when rendering)
    since: datetime | None = None


@dataclass(slots=True)
class PodState:
    """The folded state of one Pod.

    `seen` is False for a placeholder made from Events before any Pod object arrived. `resource_version`
    is the RV of the newest Pod object folded in (stale and duplicate objects are dropped against it).
    `status`/`restarts`/`restarts_last_at` are kubectl's STATUS and RESTARTS columns for the newest object.
    `step`/`step_since`: the step the Pod is in now ("scheduling", "init:<container>", "sidecar:<c>",
    "containers", "running", "done") and since when; `failure` is the time-independent part of the
    diagnosis (a failure cause that holds now), or None; the stuck-by-time part is decided at read time.
    """

    uid: str
    namespace: str = ""
    name: str = ""
    seen: bool = False
    resource_version: str = ""
    labels: dict[str, str] = field(default_factory=dict)
    owner: Owner | None = None  # the workload (Deployment rather than ReplicaSet when the name shows it)
    controller: Owner | None = None  # the direct controller from ownerReferences
    node: str = ""
    restart_policy: str = "Always"
    active_deadline_seconds: int | None = None
    phase: str = ""
    reason: str = ""  # status.reason (DeadlineExceeded, Evicted, NodeLost)
    message: str = ""  # status.message
    created_at: datetime | None = None
    started_at: datetime | None = None  # status.startTime
    scheduled_at: datetime | None = None
    initialized_at: datetime | None = None
    containers_ready_at: datetime | None = None
    ready_at: datetime | None = None
    # PodReadyToStartContainers True (the sandbox and its network are up; on since 1.29, §2 Conditions)
    sandbox_ready_at: datetime | None = None
    # When the deletion was requested: metadata.deletionTimestamp − deletionGracePeriodSeconds (the API
    # sets deletionTimestamp to the request time plus the grace period, the deadline; docs/kubernetes.md §6).
    deletion_requested_at: datetime | None = None
    deletion_deadline_at: datetime | None = None  # metadata.deletionTimestamp as given
    deleted_at: datetime | None = None  # DELETED watch event / vanished at relist (then the earliest time)
    # Set only when the deletion was not seen: when a relist found the Pod gone, the latest the deletion
    # can have happened; `deleted_at` is then the earliest (when it was last seen alive).
    vanished_at: datetime | None = None
    conditions: list[Condition] = field(default_factory=list)
    containers: list[ContainerState] = field(default_factory=list)
    status: str = ""
    restarts: int = 0
    restarts_last_at: datetime | None = None
    ready_containers: str = ""  # kubectl's READY column (`1/2`) for the newest object
    step: str = ""
    step_since: datetime | None = None
    failure: Diagnosis | None = None
    signals: list[PodSignal] = field(default_factory=list)
    init_generation: int = 0
    generations: list[Generation] = field(default_factory=list)  # how each generation after 0 began
    last_seen_at: datetime | None = None  # newest time observed in the object (for "now" in replays)
    # Added by the engine: Event uid -> the count folded so far, so that folding Events is idempotent
    # (the same Event twice changes nothing; a repeat with a higher count adds only the difference).
    events_seen: dict[str, int] = field(default_factory=dict)
    # The PersistentVolumeClaims the Pod mounts (spec.volumes[].persistentVolumeClaim.claimName): the
    # Events about them explain a Pod that waits for its volume (pods.timeline.related).
    claims: list[str] = field(default_factory=list)
    # What `kubectl describe` shows beyond the timeline (requests, limits, probes, volumes, Pod IP, QoS,
    # scheduling constraints), as plain JSON types: `describe.spec_facts` of the newest object.
    spec_facts: dict[str, Any] = field(default_factory=dict)
    # Not stored (orjson leaves out fields whose name starts with "_", and so does `to_dict`): what
    # `spec_facts` was last read from, so that an unchanged spec is not read again (fold._fold_spec_facts).
    _spec_key: bytes = field(default=b"", compare=False, repr=False)

    @property
    def terminal(self) -> bool:
        return self.phase in TERMINAL_PHASES

    @property
    def deleted(self) -> bool:
        return self.deleted_at is not None

    def container(self, name: str) -> ContainerState | None:
        for c in self.containers:
            if c.name == name:
                return c
        return None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in _pod_fields():
            if f.name.startswith("_"):
                continue
            value = getattr(self, f.name)
            if isinstance(value, datetime):
                out[f.name] = format_time(value)
            elif f.name == "containers":
                out[f.name] = [c.to_dict() for c in value]
            elif f.name in ("conditions", "signals", "generations"):
                out[f.name] = [v.to_dict() for v in value]
            elif f.name in ("owner", "controller", "failure"):
                out[f.name] = value.to_dict() if value else None
            elif f.name in ("labels", "events_seen", "spec_facts"):
                out[f.name] = dict(value)
            else:
                out[f.name] = value
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PodState:
        kwargs: dict[str, Any] = {}
        for f in _pod_fields():
            if f.name not in data:
                continue
            value = data[f.name]
            if f.name == "containers":
                value = [ContainerState.from_dict(c) for c in value]
            elif f.name == "conditions":
                value = [Condition.from_dict(c) for c in value]
            elif f.name == "signals":
                value = [PodSignal.from_dict(s) for s in value]
            elif f.name == "generations":
                value = [Generation.from_dict(g) for g in value or ()]
            elif f.name in ("owner", "controller"):
                value = Owner.from_dict(value) if value else None
            elif f.name == "failure":
                value = Diagnosis.from_dict(value) if value else None
            elif f.name in ("labels", "events_seen", "spec_facts"):
                value = dict(value) if value else {}
            elif isinstance(value, str) and (f.name.endswith("_at") or f.name.endswith("_since")):
                value = parse_time(value)
            kwargs[f.name] = value
        return cls(**kwargs)


@lru_cache(maxsize=1)
def _pod_fields() -> tuple[Field[Any], ...]:
    return fields(PodState)


__all__ = [
    "Attempt",
    "Condition",
    "ContainerKind",
    "ContainerState",
    "DIAGNOSIS_CODES",
    "Diagnosis",
    "DiagnosisCode",
    "TERMINAL_DIAGNOSES",
    "TERMINAL_PHASES",
    "WaitingSpan",
    "WORKLOAD_DIAGNOSIS_CODES",
    "WorkloadDiagnosisCode",
    "EventRecord",
    "Generation",
    "Owner",
    "PodSignal",
    "PodState",
    "Pull",
    "asdict",
    "event_recency",
    "newest_events",
    "set_fields",
    "set_if_changed",
]
