"""One Pod startup as an OpenTelemetry trace: pure functions over the timeline engine's `PodState`.

A startup is one init generation of one Pod (`PodState.init_generation`: 0, then one more per sandbox
recreation or RestartAllContainers). It ends (`startup_end`) when the Pod becomes Ready, finishes on its
own (phase Failed, e.g. an init container that failed for good, or Succeeded), or its deletion is
requested first. `build_trace` turns it into spans (docs/signals.md lists them):

    pod startup                     created (or the generation's start) → Ready / the end
    ├─ scheduling                   created → PodScheduled            (generation 0 only)
    ├─ init <name> / sidecar <name> / container <name>
    │  ├─ image pull queue wait     (the Pulled Event's "including waiting" part)
    │  ├─ image pull                Pulled Event time − pull seconds → Pulled Event time
    │  ├─ attempt                   startedAt → finishedAt, one per known attempt
    │  ├─ back-off                  a finishedAt → the next attempt's startedAt
    │  └─ attempts (details unknown) a run of placeholders: the window they happened in, no times of theirs

Every time is one the API gave (startedAt, finishedAt, conditions' lastTransitionTime, Events' times and
the durations their messages state), never when Initscope saw it. Where the API gave none, nothing is
made up: a placeholder run is one span over the window between the known moments around it, marked
`initscope.attempt.times_known=false`; an attempt whose start the runtime never reported (a StartError's
epoch `startedAt`, `attempts.usable_start`) is a zero-length span at its finish. A sidecar has no
"started" time in the API: its span ends when the container after it started (the kubelet starts it
once the sidecar reports started). App containers' spans end at ContainersReady.

Ids are deterministic: the trace id is the first 16 bytes of sha256("<uid>:<generation>"), each span id
the first 8 bytes of sha256(trace id + the span's key), so exporting a startup again replaces it on
backends that key spans by id instead of adding a copy.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal, NamedTuple

from pods.timeline.attempts import usable_start
from pods.timeline.model import Attempt, ContainerState, PodState, Pull
from pods.timeline.steps import is_ready, killed_by_deletion, last_finish
from pods.timeline.times import format_time, newest_time, parse_time

SERVICE_NAME = "initscope"
Outcome = Literal["ready", "failed", "succeeded", "deleted"]
AttributeValue = str | bool | int | float
Attributes = dict[str, AttributeValue]
StatusCode = Literal["unset", "ok", "error"]

# OpenTelemetry's Kubernetes semantic conventions: the workload attribute of each controller kind.
WORKLOAD_ATTRIBUTES = {
    "Deployment": "k8s.deployment.name",
    "ReplicaSet": "k8s.replicaset.name",
    "StatefulSet": "k8s.statefulset.name",
    "DaemonSet": "k8s.daemonset.name",
    "Job": "k8s.job.name",
    "CronJob": "k8s.cronjob.name",
}
_SPAN_PREFIX = {"init": "init", "sidecar": "sidecar", "app": "container"}
MESSAGE_LIMIT = 1000  # characters of a message kept in an attribute (termination messages reach 4 KiB)


class StartupEnd(NamedTuple):
    """How and when a startup ended: `at` is an API time (see `startup_end`)."""

    generation: int
    outcome: Outcome
    at: datetime


@dataclass(frozen=True, slots=True)
class SpanEvent:
    name: str
    at: datetime
    attributes: Attributes = field(default_factory=dict)


@dataclass(slots=True)
class Span:
    """One span: `key` names it within its trace (the span id is derived from it)."""

    key: str
    name: str
    span_id: str  # 16 hex digits
    parent_id: str  # "" for the root
    start_at: datetime
    end_at: datetime
    attributes: Attributes = field(default_factory=dict)
    events: list[SpanEvent] = field(default_factory=list)
    status: StatusCode = "unset"
    status_message: str = ""


@dataclass(slots=True)
class StartupTrace:
    """A startup's trace: its id (32 hex digits), the resource attributes and the spans (root first)."""

    trace_id: str
    resource: Attributes
    spans: list[Span]

    @property
    def root(self) -> Span:
        return self.spans[0]

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types (the Celery task's message)."""
        return {
            "trace_id": self.trace_id,
            "resource": dict(self.resource),
            "spans": [
                {
                    "key": s.key,
                    "name": s.name,
                    "span_id": s.span_id,
                    "parent_id": s.parent_id,
                    "start_at": format_time(s.start_at),
                    "end_at": format_time(s.end_at),
                    "attributes": dict(s.attributes),
                    "events": [[e.name, format_time(e.at), dict(e.attributes)] for e in s.events],
                    "status": s.status,
                    "status_message": s.status_message,
                }
                for s in self.spans
            ],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> StartupTrace:
        spans = []
        for s in data["spans"]:
            spans.append(
                Span(
                    key=s["key"],
                    name=s["name"],
                    span_id=s["span_id"],
                    parent_id=s["parent_id"],
                    start_at=_time(s["start_at"]),
                    end_at=_time(s["end_at"]),
                    attributes=dict(s["attributes"]),
                    events=[SpanEvent(name, _time(at), dict(attrs)) for name, at, attrs in s["events"]],
                    status=s["status"],
                    status_message=s["status_message"],
                )
            )
        return cls(trace_id=data["trace_id"], resource=dict(data["resource"]), spans=spans)


def _time(text: object) -> datetime:
    parsed = parse_time(text)
    if parsed is None:
        raise ValueError(f"not a time: {text!r}")
    return parsed


# ---------------------------------------------------------------------------------------------- ids


def trace_id(uid: str, generation: int) -> str:
    """The startup's trace id: the first 16 bytes of sha256("<uid>:<generation>"), as 32 hex digits."""
    return _nonzero(hashlib.sha256(f"{uid}:{generation}".encode()).digest()[:16]).hex()


def span_id(trace: str, key: str) -> str:
    """A span's id: the first 8 bytes of sha256(trace id bytes + key), as 16 hex digits."""
    return _nonzero(hashlib.sha256(bytes.fromhex(trace) + key.encode()).digest()[:8]).hex()


def _nonzero(digest: bytes) -> bytes:
    # All zeros is the invalid id in OpenTelemetry (one chance in 2^64 or 2^128)
    return digest if any(digest) else digest[:-1] + b"\x01"


# ------------------------------------------------------------------------------------ when it ended


def startup_start(state: PodState, generation: int) -> datetime | None:
    """When startup `generation` began, from the API's times.

    Generation 0: the Pod's creation. A later one: a RestartAllContainers' start (the trigger's exit or
    the condition's transition, `restart_all.restart_began`), else the newest finish of an earlier
    generation's attempt (the old containers stopped then), never after the generation's first start.
    """
    if generation == 0:
        return state.created_at
    first = _first_start(state, generation)
    began: datetime | None = None
    for gen in state.generations:
        if gen.number == generation and gen.cause == "restart-all":
            began = gen.started_at
    if began is None:
        began = newest_time(
            a.finished_at
            for c in state.containers
            for a in c.attempts
            if a.generation < generation and a.known
        )
    if began is None or (first is not None and first < began):
        return first
    return began


def _first_start(state: PodState, generation: int) -> datetime | None:
    starts = [
        usable_start(a, state.created_at)
        for c in state.containers
        for a in c.attempts
        if a.generation == generation
    ]
    return min((s for s in starts if s is not None), default=None)


def startup_end(state: PodState) -> StartupEnd | None:
    """Whether the Pod's current startup has ended, how and when (None: it goes on, or the Pod was never
    seen). In this order: Ready (at the Ready condition's transition, when it belongs to this generation),
    finished on its own (phase Failed or Succeeded and not stopped by its deletion: at its last
    container's finish), deletion requested or deleted (at the request: `deletionTimestamp` less the grace
    period; else when it went away)."""
    if not state.seen:
        return None
    generation = state.init_generation
    if is_ready(state) and state.ready_at is not None:
        start = startup_start(state, generation)
        if start is None or state.ready_at >= start:
            return StartupEnd(generation, "ready", state.ready_at)
    if state.terminal and not killed_by_deletion(state):
        at = (
            last_finish(state)
            or newest_time(c.last_transition_at for c in state.conditions)
            or state.last_seen_at
            or state.created_at
        )
        if at is not None:
            return StartupEnd(generation, "failed" if state.phase == "Failed" else "succeeded", at)
    deleted = state.deletion_requested_at or state.deleted_at
    if deleted is not None:
        return StartupEnd(generation, "deleted", deleted)
    return None


# --------------------------------------------------------------------------------------- attributes


def resource_attributes(state: PodState, cluster: str) -> Attributes:
    """The trace's resource, in OpenTelemetry's Kubernetes semantic conventions: the cluster (Initscope's
    name for it), namespace, Pod, node and the workloads that own the Pod (its controller from
    ownerReferences and the workload above it, e.g. a ReplicaSet and its Deployment)."""
    attrs: Attributes = {
        "service.name": SERVICE_NAME,
        "k8s.cluster.name": cluster,
        "k8s.namespace.name": state.namespace,
        "k8s.pod.name": state.name,
        "k8s.pod.uid": state.uid,
    }
    if state.node:
        attrs["k8s.node.name"] = state.node
    for owner in (state.controller, state.owner):
        if owner is not None and owner.kind in WORKLOAD_ATTRIBUTES and owner.name:
            attrs[WORKLOAD_ATTRIBUTES[owner.kind]] = owner.name
    return attrs


def _message(text: str) -> str:
    return text if len(text) <= MESSAGE_LIMIT else text[: MESSAGE_LIMIT - 1] + "…"


# ----------------------------------------------------------------------------------------- building


class _Builder:
    def __init__(self, state: PodState, end: StartupEnd, start: datetime) -> None:
        self.state = state
        self.end = end
        self.generation = end.generation
        self.trace = trace_id(state.uid, end.generation)
        self.start = start
        self.spans: list[Span] = []
        # The newest end of the init containers and sidecars laid out so far: the earliest moment the
        # next container can have started (a bound for its placeholders).
        self.init_floor = start

    def span(
        self,
        key: str,
        name: str,
        parent: Span | None,
        start: datetime,
        end: datetime,
        attributes: Attributes | None = None,
    ) -> Span:
        span = Span(
            key=key,
            name=name,
            span_id=span_id(self.trace, key),
            parent_id=parent.span_id if parent is not None else "",
            start_at=start,
            end_at=max(end, start),  # clocks of different components can disagree: never negative
            attributes=dict(attributes or {}),
        )
        self.spans.append(span)
        return span

    def build(self) -> list[Span]:
        state, end = self.state, self.end
        root = self.span(
            "root",
            "pod startup",
            None,
            self.start,
            end.at,
            {
                "initscope.outcome": end.outcome,
                "initscope.generation": self.generation,
                "k8s.pod.status.phase": state.phase,
                "initscope.pod.status": state.status,
            },
        )
        for gen in state.generations:
            if gen.number == self.generation:
                root.attributes["initscope.generation.cause"] = gen.cause
        if state.failure is not None:
            root.attributes["initscope.diagnosis.code"] = state.failure.code
            root.attributes["initscope.diagnosis.summary"] = _message(state.failure.summary)
        if end.outcome == "failed":
            root.status, root.status_message = (
                "error",
                _message(state.failure.summary if state.failure else state.message or state.status),
            )
        elif end.outcome == "deleted" and state.vanished_at is not None:
            root.attributes["initscope.end_exact"] = False  # deleted while no watch saw it
        self._root_events(root)
        if self.generation == 0 and state.created_at is not None:
            self._scheduling(root)
        following: dict[str, datetime | None] = {}
        starts = [self._container_first_start(c) for c in state.containers]
        for i, container in enumerate(state.containers):
            following[container.name] = min((s for s in starts[i + 1 :] if s is not None), default=None)
        for container in state.containers:
            self._container(root, container, following[container.name])
        return self.spans

    # pod-level -------------------------------------------------------------------------------------
    def _in_window(self, at: datetime | None) -> bool:
        return at is not None and self.start <= at <= self.end.at

    def _root_events(self, root: Span) -> None:
        """The conditions that turned True in the startup, and the Pod-level problems Events reported."""
        events = []
        for cond in self.state.conditions:
            if cond.status == "True" and self._in_window(cond.last_transition_at):
                assert cond.last_transition_at is not None  # noqa: S101 - _in_window checked it
                events.append(
                    SpanEvent(cond.type, cond.last_transition_at, {"k8s.pod.condition.status": "True"})
                )
        for signal in self.state.signals:
            # at its first time; one that began before this startup (an earlier generation's), at its
            # newest repeat when that falls in it
            at = signal.first_at if self._in_window(signal.first_at) else signal.last_at
            if at is None or not self._in_window(at):
                continue
            attrs: Attributes = {
                "initscope.event.count": signal.count,
                "initscope.event.message": _message(signal.message),
            }
            if signal.last_at is not None:
                attrs["initscope.event.last_at"] = format_time(signal.last_at) or ""
            events.append(SpanEvent(signal.reason, at, attrs))
        root.events = sorted(events, key=lambda e: (e.at, e.name))

    def _scheduling(self, root: Span) -> None:
        created, scheduled = self.state.created_at, self.state.scheduled_at
        assert created is not None  # noqa: S101 - the caller checked it
        if scheduled is not None and scheduled <= self.end.at:
            self.span("scheduling", "scheduling", root, created, scheduled, {"initscope.scheduled": True})
            return
        span = self.span(
            "scheduling", "scheduling", root, created, self.end.at, {"initscope.scheduled": False}
        )
        span.status, span.status_message = "error", "never scheduled"

    # containers ------------------------------------------------------------------------------------
    def _attempts(self, container: ContainerState) -> list[Attempt]:
        return sorted(
            (a for a in container.attempts if a.generation == self.generation), key=lambda a: a.number
        )

    def _pull(self, container: ContainerState) -> Pull | None:
        pull = container.pull
        return pull if pull is not None and pull.generation == self.generation else None

    def _container_first_start(self, container: ContainerState) -> datetime | None:
        starts = (usable_start(a, self.state.created_at) for a in self._attempts(container))
        return min((s for s in starts if s is not None), default=None)

    def _container_bound(self, container: ContainerState, following: datetime | None) -> datetime:
        """Where the container's part of the startup ends when its last attempt still runs: a sidecar
        when the next container started, an app container at ContainersReady, else the trace's end."""
        end = self.end.at
        if container.kind == "sidecar" and following is not None:
            return min(following, end)
        ready = self.state.containers_ready_at
        if container.kind == "app" and ready is not None and self._in_window(ready):
            return ready
        return end

    def _container(self, root: Span, container: ContainerState, following: datetime | None) -> None:
        attempts = self._attempts(container)
        pull = self._pull(container)
        if not attempts and pull is None:
            return
        prefix = f"container/{container.name}"
        kind_word = _SPAN_PREFIX.get(container.kind, "container")
        attrs: Attributes = {
            "k8s.container.name": container.name,
            "initscope.container.kind": container.kind,
            "initscope.container.restart_count": container.restart_count,
            "initscope.attempts": sum(a.count for a in attempts),
            "initscope.attempts.unknown": sum(a.count for a in attempts if not a.known),
        }
        if container.image:
            attrs["container.image.name"] = container.image
        if container.kind == "app":
            attrs["k8s.container.ready"] = container.ready
        # a provisional span: its times are set from its children below
        span = self.span(prefix, f"{kind_word} {container.name}", root, self.end.at, self.end.at, attrs)
        first = len(self.spans)
        if pull is not None:
            self._pull_spans(span, container, pull)
        self._attempt_spans(span, container, attempts, self._container_bound(container, following))
        children = self.spans[first:]
        if children:
            span.start_at = min(c.start_at for c in children)
            span.end_at = max(c.end_at for c in children)
        elif span.events:
            span.start_at = span.end_at = min(e.at for e in span.events)
        else:  # nothing of it with a time in this startup
            self.spans.remove(span)
            return
        if container.kind != "app" and span.end_at > self.init_floor:
            self.init_floor = span.end_at
        known = [a for a in attempts if a.known and a.exit_code is not None]
        if known and known[-1].exit_code != 0 and container.kind == "init":
            span.status, span.status_message = "error", known[-1].reason or f"exit code {known[-1].exit_code}"

    def _pull_spans(self, span: Span, container: ContainerState, pull: Pull) -> None:
        image = pull.image or container.image
        key = f"{span.key}/pull"
        if pull.already_present:
            at = pull.finished_at or pull.started_at
            if at is not None:
                span.events.append(SpanEvent("image already present", at, {"container.image.name": image}))
            return
        attrs: Attributes = {"container.image.name": image, "initscope.pull.failures": pull.failures}
        if pull.finished_at is not None:
            finished = pull.finished_at
            pull_start = (
                finished - timedelta(seconds=pull.pull_seconds)
                if pull.pull_seconds is not None
                else pull.started_at or finished
            )
            if pull.pull_seconds is not None:
                attrs["initscope.pull.seconds"] = pull.pull_seconds
            if pull.wait_seconds is not None:
                attrs["initscope.pull.queue_wait_seconds"] = pull.wait_seconds
            if pull.image_bytes is not None:
                attrs["initscope.pull.image_bytes"] = pull.image_bytes
            if pull.wait_seconds:
                wait_start = pull_start - timedelta(seconds=pull.wait_seconds)
                self.span(f"{key}-wait", "image pull queue wait", span, wait_start, pull_start, dict(attrs))
            self.span(key, "image pull", span, pull_start, finished, attrs)
        elif pull.started_at is not None and pull.started_at <= self.end.at:
            attrs["initscope.pull.finished"] = False
            pulling = self.span(key, "image pull", span, pull.started_at, self.end.at, attrs)
            if pull.failures or pull.last_error:
                pulling.status, pulling.status_message = "error", _message(pull.last_error)

    def _attempt_spans(
        self, span: Span, container: ContainerState, attempts: list[Attempt], bound: datetime
    ) -> None:
        """Known attempts, the back-off between two of them, one span per run of placeholders."""
        created = self.state.created_at
        previous: Attempt | None = None
        unknown: list[Attempt] = []
        floor = self._latest_end(span) or self.init_floor
        for attempt in attempts:
            start = usable_start(attempt, created)
            if (start or attempt.finished_at or self.start) > self.end.at:
                break  # began after the startup ended (a trace built again later): not part of it
            if not attempt.known or (start is None and attempt.finished_at is None):
                unknown.append(attempt)
                continue
            begins = start or attempt.finished_at
            assert begins is not None  # noqa: S101 - one of them is known (checked above)
            if unknown:
                self._unknown(span, unknown, _end_of(previous) or floor, begins)
                unknown = []
            elif previous is not None and previous.finished_at is not None and begins > previous.finished_at:
                self._backoff(span, previous, begins, open_=False)
            self._attempt(span, container, attempt, start, bound)
            previous = attempt
        low = _end_of(previous) or floor
        if unknown and low <= self.end.at:
            self._unknown(span, unknown, low, bound)
        elif not unknown and (
            previous is not None
            and previous.finished_at is not None
            and container.state == "waiting"
            and previous.exit_code != 0
            and previous.finished_at < self.end.at
        ):
            self._backoff(span, previous, self.end.at, open_=True)

    def _latest_end(self, span: Span) -> datetime | None:
        """The newest end among the container's spans so far (its pull)."""
        return newest_time(s.end_at for s in self.spans if s.parent_id == span.span_id)

    def _attempt(
        self, span: Span, container: ContainerState, attempt: Attempt, start: datetime | None, bound: datetime
    ) -> None:
        running = attempt.finished_at is None
        finished = attempt.finished_at if attempt.finished_at is not None else max(bound, start or bound)
        attrs: Attributes = {
            "k8s.container.name": container.name,
            "initscope.attempt.number": attempt.number,
            "k8s.container.restart_count": attempt.number,
            "initscope.attempt.generation": attempt.generation,
            "initscope.attempt.known": True,
            "initscope.attempt.start_known": start is not None,
            "initscope.attempt.running": running,
        }
        if attempt.exit_code is not None:
            attrs["initscope.attempt.exit_code"] = attempt.exit_code
        if attempt.reason:
            attrs["k8s.container.status.reason"] = attempt.reason
        if attempt.signal is not None:
            attrs["initscope.attempt.signal"] = attempt.signal
        if attempt.message:
            attrs["initscope.attempt.message"] = _message(attempt.message)
        if attempt.container_id:
            attrs["container.id"] = attempt.container_id
        key = f"{span.key}/attempt/{attempt.generation}/{attempt.number}"
        # start unknown (a StartError's epoch startedAt): a zero-length span at its finish
        child = self.span(key, "attempt", span, start or finished, finished, attrs)
        if attempt.exit_code not in (0, None):
            child.status = "error"
            child.status_message = attempt.reason or f"exit code {attempt.exit_code}"

    def _backoff(self, span: Span, previous: Attempt, until: datetime, *, open_: bool) -> None:
        assert previous.finished_at is not None  # noqa: S101 - the callers checked it
        key = f"{span.key}/backoff/{previous.generation}/{previous.number}"
        attrs: Attributes = {
            "k8s.container.name": span.attributes["k8s.container.name"],
            "initscope.backoff.after_attempt": previous.number,
            "initscope.backoff.open": open_,
        }
        self.span(key, "back-off", span, previous.finished_at, until, attrs)

    def _unknown(self, span: Span, run: list[Attempt], low: datetime, high: datetime) -> None:
        first, last = run[0].number, run[-1].last_number
        key = f"{span.key}/unknown/{run[0].generation}/{first}"
        attrs: Attributes = {
            "k8s.container.name": span.attributes["k8s.container.name"],
            "initscope.attempt.known": False,
            "initscope.attempt.times_known": False,
            "initscope.attempt.count": sum(a.count for a in run),
            "initscope.attempt.number": first,
            "initscope.attempt.last_number": last,
            "initscope.attempt.generation": run[0].generation,
        }
        self.span(key, "attempts (details unknown)", span, low, max(high, low), attrs)


def _end_of(attempt: Attempt | None) -> datetime | None:
    if attempt is None:
        return None
    return attempt.finished_at or attempt.started_at


def build_trace(state: PodState, *, cluster: str, end: StartupEnd | None = None) -> StartupTrace | None:
    """The trace of the startup that ended (`end`, by default `startup_end(state)`); None when it has not
    ended or no start is known."""
    end = end if end is not None else startup_end(state)
    if end is None:
        return None
    start = startup_start(state, end.generation)
    if start is None:
        return None
    start = min(start, end.at)
    spans = _Builder(state, end, start).build()
    return StartupTrace(
        trace_id=trace_id(state.uid, end.generation),
        resource=resource_attributes(state, cluster),
        spans=spans,
    )


def ended_now(before: StartupEnd | None, after: StartupEnd | None) -> bool:
    """Whether a startup ended between two states of a Pod (the batch that ends it exports its trace)."""
    return after is not None and (before is None or before.generation != after.generation)


__all__ = [
    "SERVICE_NAME",
    "WORKLOAD_ATTRIBUTES",
    "Span",
    "SpanEvent",
    "StartupEnd",
    "StartupTrace",
    "build_trace",
    "ended_now",
    "resource_attributes",
    "span_id",
    "startup_end",
    "startup_start",
    "trace_id",
]
