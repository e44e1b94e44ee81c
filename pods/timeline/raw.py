"""The raw Kubernetes objects as they arrive: TypedDicts for the boundary (types only, no code).

The decoded JSON of a Pod (docs/kubernetes.md §1, §2), its container statuses, an Event in both its API
views (§5), a List and a watch event (§6), as `pods.kube`, the importer and the engine's readers receive
them. They are plain dicts at run time: nothing converts or validates.

Every field is optional (`total=False`): the API omits empty fields, and a recording may lack anything.
The types say what a well-formed object holds; the readers in `parse` still check each value's type at
run time (`as_str`, `as_dict`, ...), since input can hold anything. Only the fields Initscope reads, or
that help a reader recognise an object, are listed; the rest are still there at run time.
"""

from __future__ import annotations

from typing import Any, Generic, Literal, TypedDict, TypeVar

#: An RFC 3339 time as the API writes it: `2025-06-01T10:00:41Z` (MicroTime adds microseconds).
Time = str

WatchEventType = Literal["ADDED", "MODIFIED", "DELETED", "BOOKMARK", "ERROR"]


# ------------------------------------------------------------------------------------------ metadata


class RawOwnerReference(TypedDict, total=False):
    apiVersion: str
    kind: str
    name: str
    uid: str
    controller: bool  # the one entry naming the object's controller (§7)
    blockOwnerDeletion: bool


class RawObjectMeta(TypedDict, total=False):
    name: str
    generateName: str
    namespace: str
    uid: str
    resourceVersion: str  # opaque before 1.35, a comparable integer per resource since (§6 rule 6)
    generation: int
    creationTimestamp: Time
    deletionTimestamp: Time
    deletionGracePeriodSeconds: int
    labels: dict[str, str]
    annotations: dict[str, str]
    ownerReferences: list[RawOwnerReference]
    finalizers: list[str]
    managedFields: list[dict[str, Any]]  # dropped by the importer unless asked to keep it


class RawListMeta(TypedDict, total=False):
    resourceVersion: str
    # `continue` is a keyword: read it with `meta.get("continue")`.
    remainingItemCount: int


class RawObject(TypedDict, total=False):
    """Any API object, read only for its identity and owners (a ReplicaSet, a Job, ...)."""

    apiVersion: str
    kind: str
    metadata: RawObjectMeta


# ----------------------------------------------------------------------------------------------- Pod


class RawContainer(TypedDict, total=False):
    """An entry of `spec.initContainers` / `spec.containers` / `spec.ephemeralContainers` (§1)."""

    name: str
    image: str
    imagePullPolicy: str
    command: list[str]
    args: list[str]
    env: list[dict[str, Any]]  # never stored: values may be secrets
    restartPolicy: str  # "Always" on an init container makes it a sidecar (§1)
    startupProbe: dict[str, Any]
    readinessProbe: dict[str, Any]
    livenessProbe: dict[str, Any]
    resources: dict[str, Any]


class RawPodSpec(TypedDict, total=False):
    initContainers: list[RawContainer]
    containers: list[RawContainer]
    ephemeralContainers: list[RawContainer]
    restartPolicy: str  # Always (the default) | OnFailure | Never
    nodeName: str
    activeDeadlineSeconds: int
    schedulingGates: list[dict[str, str]]
    serviceAccountName: str
    terminationGracePeriodSeconds: int


class RawPodCondition(TypedDict, total=False):
    type: str  # PodScheduled | PodReadyToStartContainers | Initialized | ContainersReady | Ready | ...
    status: str  # "True" | "False" | "Unknown"
    reason: str
    message: str
    lastTransitionTime: Time
    lastProbeTime: Time


class RawContainerStateWaiting(TypedDict, total=False):
    reason: str
    message: str


class RawContainerStateRunning(TypedDict, total=False):
    startedAt: Time


class RawContainerStateTerminated(TypedDict, total=False):
    exitCode: int
    signal: int
    reason: str
    message: str
    startedAt: Time
    finishedAt: Time
    containerID: str


class RawContainerState(TypedDict, total=False):
    """Exactly one of the three in `state`; `lastState` is `{}` or the previous attempt's end (§2)."""

    waiting: RawContainerStateWaiting
    running: RawContainerStateRunning
    terminated: RawContainerStateTerminated


class RawContainerStatus(TypedDict, total=False):
    """An entry of `status.initContainerStatuses` / `status.containerStatuses` (§2)."""

    name: str
    image: str
    imageID: str
    containerID: str  # `<runtime>://<id>`, new with every attempt
    restartCount: int
    ready: bool
    started: bool
    state: RawContainerState
    lastState: RawContainerState


class RawPodStatus(TypedDict, total=False):
    phase: str  # Pending | Running | Succeeded | Failed | Unknown
    reason: str  # e.g. DeadlineExceeded, Evicted
    message: str
    conditions: list[RawPodCondition]
    startTime: Time
    nominatedNodeName: str
    hostIP: str
    podIP: str
    qosClass: str
    initContainerStatuses: list[RawContainerStatus]
    containerStatuses: list[RawContainerStatus]
    ephemeralContainerStatuses: list[RawContainerStatus]


class RawPod(TypedDict, total=False):
    apiVersion: str  # "v1"
    kind: str  # "Pod"; absent on the items of a raw PodList
    metadata: RawObjectMeta
    spec: RawPodSpec
    status: RawPodStatus


# --------------------------------------------------------------------------------------------- Event


class RawObjectReference(TypedDict, total=False):
    apiVersion: str
    kind: str
    namespace: str
    name: str
    uid: str
    resourceVersion: str
    fieldPath: str  # `spec.initContainers{<c>}` etc. for a container's Events (§5)


class RawEventSource(TypedDict, total=False):
    component: str
    host: str


class RawEventSeries(TypedDict, total=False):
    count: int
    lastObservedTime: Time


class _EventCommon(TypedDict, total=False):
    """The fields both Event APIs name alike."""

    apiVersion: str  # "v1" | "events.k8s.io/v1"
    kind: str  # "Event"
    metadata: RawObjectMeta
    reason: str
    type: str  # Normal | Warning
    eventTime: Time  # MicroTime; null on kubelet Events
    series: RawEventSeries
    reportingInstance: str
    action: str
    related: RawObjectReference


class _CoreEventNames(TypedDict, total=False):
    involvedObject: RawObjectReference
    message: str
    count: int
    firstTimestamp: Time
    lastTimestamp: Time
    source: RawEventSource
    reportingComponent: str


class _EventsV1Names(TypedDict, total=False):
    regarding: RawObjectReference
    note: str
    deprecatedCount: int
    deprecatedFirstTimestamp: Time
    deprecatedLastTimestamp: Time
    deprecatedSource: RawEventSource
    reportingController: str


class RawCoreEvent(_EventCommon, _CoreEventNames, total=False):
    """A core/v1 Event (`apiVersion: v1`)."""


class RawEventsV1Event(_EventCommon, _EventsV1Names, total=False):
    """An events.k8s.io/v1 Event: the same Event under other names (`regarding`, `note`, ...)."""


class RawEvent(_EventCommon, _CoreEventNames, _EventsV1Names, total=False):
    """An Event of either API, as the engine reads it: one object carries one view's names (§5)."""


# ------------------------------------------------------------------------------------ lists, watches

T = TypeVar("T")


class RawList(TypedDict, Generic[T], total=False):
    """One page of a list: `{"kind": "PodList", "metadata": {"resourceVersion", "continue"}, "items"}`.

    `items` is null in an empty raw list; its entries carry no `kind` or `apiVersion` (§6).
    """

    apiVersion: str
    kind: str
    metadata: RawListMeta
    items: list[T] | None


class RawStatus(TypedDict, total=False):
    """A metav1.Status: an error answer, or the object of an ERROR watch event (410 Expired, §6 rule 4)."""

    apiVersion: str
    kind: str  # "Status"
    status: str  # "Failure"
    reason: str  # e.g. "Expired"
    message: str
    code: int
    details: dict[str, Any]


class RawWatchEvent(TypedDict, Generic[T], total=False):
    """One line of a watch stream (§6 rule 2).

    `object` is a `T` for ADDED / MODIFIED / DELETED (DELETED carries the final state), a `T` with only
    `metadata.resourceVersion` (and maybe annotations) for BOOKMARK, and a `RawStatus` for ERROR.
    """

    type: WatchEventType
    object: T | RawStatus


#: A Pod or an Event, as a list, a watch or a file hands it over; the caller knows which it holds.
RawPodOrEvent = RawPod | RawEvent

__all__ = [
    "RawContainer",
    "RawContainerState",
    "RawContainerStateRunning",
    "RawContainerStateTerminated",
    "RawContainerStateWaiting",
    "RawContainerStatus",
    "RawCoreEvent",
    "RawEvent",
    "RawEventSeries",
    "RawEventSource",
    "RawEventsV1Event",
    "RawList",
    "RawListMeta",
    "RawObject",
    "RawObjectMeta",
    "RawObjectReference",
    "RawOwnerReference",
    "RawPod",
    "RawPodCondition",
    "RawPodOrEvent",
    "RawPodSpec",
    "RawPodStatus",
    "RawStatus",
    "RawWatchEvent",
    "Time",
    "WatchEventType",
]
