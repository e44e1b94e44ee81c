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

from datetime import datetime

from pods.signals.trace_model import (
    SERVICE_NAME,
    WORKLOAD_ATTRIBUTES,
    Attributes,
    Span,
    SpanEvent,
    StartupEnd,
    StartupTrace,
    span_id,
    trace_id,
)
from pods.signals.trace_spans import SpanBuilder
from pods.timeline.attempts import usable_start
from pods.timeline.model import PodState
from pods.timeline.steps import is_ready, killed_by_deletion, last_finish
from pods.timeline.times import newest_time

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
    spans = SpanBuilder(state, end, start).build()
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
