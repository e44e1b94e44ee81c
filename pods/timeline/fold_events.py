"""Folding Events into a `PodState` (pure; no I/O): the signals a Pod's own Events carry (scheduling,
mounts, sandbox, deadline), image pulls, container waits and back-offs.

`apply_event` MUTATES and returns the given state (or a new one when given None) and reports whether
anything that matters changed; after it, `fold.finish` recomputes the derived fields as after a Pod.
"""

from __future__ import annotations

from datetime import datetime

from . import pulls, waiting
from .diagnosis import generic_message
from .errors import MalformedObject
from .fold import finish
from .model import (
    ContainerState,
    EventRecord,
    PodSignal,
    PodState,
    Pull,
)
from .parse import container_of_field_path

SIGNAL_REASONS = frozenset(
    {
        "FailedScheduling",
        "FailedMount",
        "FailedAttachVolume",
        "FailedCreatePodSandBox",
        "SandboxChanged",
        "DeadlineExceeded",
    }
)


def apply_event(state: PodState | None, event: EventRecord) -> tuple[PodState, bool]:
    """Fold one Event into the Pod's state (mutating and returning it; a placeholder with `seen=False`
    when the Event arrives before any Pod object).

    Image pulls per container (Pulling / Pulled / Failed to pull), and Pod-level signals (FailedScheduling,
    FailedMount, FailedAttachVolume, FailedCreatePodSandBox, SandboxChanged, DeadlineExceeded; one
    `PodSignal` per reason: count summed, message of the newest). Idempotent: each Event uid is folded
    once per count it reached (`PodState.events_seen`), so the same Event twice changes nothing and a
    repeat with a higher count adds only the difference.
    """
    if event.involved_kind and event.involved_kind != "Pod":
        raise MalformedObject(f"Event {event.uid!r} is about a {event.involved_kind}, not a Pod")
    if state is None:
        state = PodState(uid=event.pod_uid, namespace=event.namespace, name=event.pod_name, seen=False)
        if not _relevant(event):
            finish(state)
            return state, True  # a new placeholder: the Pod is known to exist
    elif state.uid != event.pod_uid:
        raise MalformedObject(f"Event about Pod {event.pod_uid!r} folded into the timeline of {state.uid!r}")
    if not _relevant(event):
        return state, False  # nothing this engine folds: no need to remember the Event either
    before = state.events_seen.get(event.uid, 0)
    if event.count <= before:
        return state, False
    new_times = event.count - before
    state.events_seen[event.uid] = event.count
    changed = True  # events_seen moved: the state must be stored
    if event.container:
        _fold_container_event(state, event, new_times, first=before == 0)
    elif event.reason in SIGNAL_REASONS:
        _fold_signal(state, event, new_times)
    changed |= finish(state)
    return state, changed


def _relevant(event: EventRecord) -> bool:
    if event.container:
        return event.reason in ("Pulling", "Pulled", "Failed", "BackOff")
    return event.reason in SIGNAL_REASONS


def _fold_signal(state: PodState, event: EventRecord, times: int) -> None:
    last_at = event.last_at or event.first_at
    specific = not generic_message(event.message)
    for signal in state.signals:
        if signal.reason == event.reason:
            signal.count += times
            if event.first_at is not None and (signal.first_at is None or event.first_at < signal.first_at):
                signal.first_at = event.first_at
            if event.last_at is not None and (signal.last_at is None or event.last_at >= signal.last_at):
                signal.last_at = event.last_at
                signal.message = event.message
            newer = last_at is not None and (signal.specific_at is None or last_at >= signal.specific_at)
            if specific and newer:
                signal.specific, signal.specific_at = event.message, last_at
            return
    state.signals.append(
        PodSignal(
            event.reason,
            event.message,
            event.first_at,
            last_at,
            times,
            specific=event.message if specific else "",
            specific_at=last_at if specific else None,
        )
    )


def _event_container(state: PodState, event: EventRecord) -> ContainerState | None:
    container = state.container(event.container)
    if container is not None:
        return container
    _, kind = container_of_field_path(event.field_path)
    if state.seen or (kind != "init" and kind != "app"):
        return None  # a container the spec does not name, or an ephemeral one
    # Before the Pod arrives: a placeholder, put in place (kind, index) by the first Pod object.
    container = ContainerState(name=event.container, kind=kind, index=len(state.containers))
    container.generation = state.init_generation
    state.containers.append(container)
    return container


def _current_pull(state: PodState, container: ContainerState, at: datetime | None) -> Pull:
    pull = container.pull
    if pull is None:
        pull = container.pull = Pull(generation=state.init_generation)
    elif (
        pull.generation < state.init_generation
        and pull.finished_at is not None
        and at is not None
        and at > pull.finished_at
    ):
        # A new sandbox generation pulls again; an Event older than the kept pull is not that new pull.
        pull = container.pull = Pull(generation=state.init_generation)
    return pull


def _fold_container_event(state: PodState, event: EventRecord, times: int, *, first: bool) -> None:
    reason = event.reason
    if reason not in ("Pulling", "Pulled", "Failed", "BackOff"):
        return
    container = _event_container(state, event)
    if container is None:
        return
    message = event.message
    # the waiting spans (pods.timeline.waiting): dated by the kubelet's Events as well as by the status
    waiting.observe_event(container, reason, message, event.first_at, event.last_at)
    if reason == "BackOff":
        return
    if reason == "Pulling":
        image = pulls.parse_pulling(message)
        if image is not None:
            pulls.apply_pulling(_current_pull(state, container, event.first_at), image, event.first_at)
    elif reason == "Pulled":
        parsed = pulls.parse_pulled(message)
        if parsed is not None and first:
            pulls.apply_pulled(_current_pull(state, container, event.first_at), parsed, event.first_at)
    else:
        failed = pulls.parse_failed_pull(message)
        if failed is not None:
            pull = _current_pull(state, container, event.first_at)
            pulls.apply_failed(pull, failed[0], failed[1], times)


__all__ = ["SIGNAL_REASONS", "apply_event"]
