"""The timeline document served by the API, the CLI and the export (JSON-serialisable)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from .attempts import ended_unseen, latest_finished, usable_start
from .describe import spec_document
from .diagnosis import backoff_of, diagnose, is_stuck
from .event_order import event_sort_key
from .model import Attempt, ContainerState, EventRecord, PodState, newest_events
from .policy import effective_policy
from .steps import step_label
from .times import format_time, parse_go_duration

# The fields each part of the document shows, in its order (times as RFC 3339 text, see `_shown`).
_PULL_FIELDS = (
    "image", "started_at", "finished_at", "pull_seconds", "wait_seconds", "image_bytes", "already_present",
    "failures", "last_error",
)  # fmt: skip
_WAITING_FIELDS = ("reason", "message", "first_at", "last_at", "ended_at")
_ATTEMPT_FIELDS = (
    "number", "generation", "count", "started_at", "finished_at", "exit_code", "reason", "message", "signal",
    "known", "container_id", "log_tail",
)  # fmt: skip
_CONTAINER_FIELDS = (
    "name", "kind", "index", "image", "restart_count", "state", "state_reason", "state_message",
    "state_since", "waiting_since", "ready", "started", "has_startup_probe", "generation", "restart_policy",
    "stop_signal",
)  # fmt: skip


def _shown(obj: object, names: tuple[str, ...]) -> dict[str, Any]:
    """The named fields of `obj`, times written as RFC 3339 text."""
    out: dict[str, Any] = {}
    for name in names:
        value = getattr(obj, name)
        out[name] = format_time(value) if isinstance(value, datetime) else value
    return out


def _attempt(container: ContainerState, attempt: Attempt, created_at: datetime | None) -> dict[str, Any]:
    """An attempt with its measured start (`usable_start`: the one rule), its duration, and whether its
    end went unseen (`ended_unseen`: not running, how it ended unknown)."""
    start = usable_start(attempt, created_at)
    seconds = None
    if start is not None and attempt.finished_at is not None:
        seconds = max((attempt.finished_at - start).total_seconds(), 0.0)
    return {
        **_shown(attempt, _ATTEMPT_FIELDS),
        "start_known": start is not None,
        "seconds": seconds,
        "ended_unseen": ended_unseen(container, attempt),
    }


def _container_facts(container: ContainerState, pod_policy: str) -> dict[str, Any]:
    """The restart policy in force (KEP-5307), the resize fields, and the crash-loop back-off as the
    waiting message states it (`back_off`) with the next attempt it implies: the newest exit plus that
    delay. Nothing assumes the kubelet's default delays (KEP-4603/5593 change them, docs/kubernetes.md §4)."""
    back_off = ""
    next_attempt_at = None
    if container.state == "waiting" and container.state_reason == "CrashLoopBackOff":
        back_off = backoff_of(container.state_message)
        seconds = parse_go_duration(back_off) if back_off else None
        last = latest_finished(container)
        if seconds is not None and last is not None and last.finished_at is not None:
            next_attempt_at = last.finished_at + timedelta(seconds=seconds)
    return {
        "effective_restart_policy": effective_policy(pod_policy, container),
        "restart_rules": [
            dict(rule, exit_codes=list(rule.get("exit_codes") or ())) for rule in container.restart_rules
        ],
        "resources": {key: dict(values) for key, values in container.resources.items()},
        "allocated_resources": dict(container.allocated_resources),
        "back_off": back_off,
        "next_attempt_at": format_time(next_attempt_at),
    }


def _container(
    container: ContainerState, created_at: datetime | None, pod_policy: str = "Always"
) -> dict[str, Any]:
    return {
        **_shown(container, _CONTAINER_FIELDS),
        **_container_facts(container, pod_policy),
        "pull": _shown(container.pull, _PULL_FIELDS) if container.pull else None,
        "waiting": [_shown(span, _WAITING_FIELDS) for span in container.waiting_spans],
        "waiting_dropped": container.waiting_dropped,
        "attempts": [_attempt(container, a, created_at) for a in container.attempts],
    }


def event_entry(e: EventRecord) -> dict[str, Any]:
    """One Event as the document shows it."""
    return {
        "uid": e.uid,
        "type": e.type,
        "reason": e.reason,
        "message": e.message,
        "count": e.count,
        "first_at": format_time(e.first_at),
        "last_at": format_time(e.last_at),
        "container": e.container,
        "source": e.source,
    }


def _events(events: Iterable[EventRecord]) -> list[dict[str, Any]]:
    ordered = sorted(
        newest_events(events).values(),
        key=lambda e: event_sort_key(e.first_at, e.reason, e.last_at, e.uid),
    )
    return [event_entry(e) for e in ordered]


def timeline_document(
    state: PodState, events: list[EventRecord], *, cluster: str, now: datetime, threshold: timedelta
) -> dict[str, Any]:
    """The document of one Pod (times RFC 3339 UTC with `Z`; events deduplicated by uid, by first_at)."""
    diagnosis = diagnose(state, now=now, threshold=threshold)
    step_container = state.step[5:] if state.step.startswith("init:") else ""
    return {
        "cluster": cluster,
        "uid": state.uid,
        "namespace": state.namespace,
        "name": state.name,
        "seen": state.seen,
        "owner": {"kind": state.owner.kind, "name": state.owner.name} if state.owner else None,
        "controller": {"kind": state.controller.kind, "name": state.controller.name}
        if state.controller
        else None,
        "labels": dict(state.labels),
        "node": state.node,
        "restart_policy": state.restart_policy,
        "phase": state.phase,
        "reason": state.reason,
        "message": state.message,
        "status": state.status,
        "restarts": state.restarts,
        "restarts_last_at": format_time(state.restarts_last_at),
        "created_at": format_time(state.created_at),
        "started_at": format_time(state.started_at),
        "scheduled_at": format_time(state.scheduled_at),
        "initialized_at": format_time(state.initialized_at),
        "containers_ready_at": format_time(state.containers_ready_at),
        "ready_at": format_time(state.ready_at),
        "sandbox_ready_at": format_time(state.sandbox_ready_at),
        "deletion_requested_at": format_time(state.deletion_requested_at),
        "deletion_deadline_at": format_time(state.deletion_deadline_at),
        "deleted_at": format_time(state.deleted_at),
        "deleted_at_exact": state.vanished_at is None,
        "deleted_between": [format_time(state.deleted_at), format_time(state.vanished_at)]
        if state.deleted_at is not None and state.vanished_at is not None
        else None,
        "init_generation": state.init_generation,
        "generations": [
            {"number": g.number, "cause": g.cause, "started_at": format_time(g.started_at)}
            for g in state.generations
        ],
        "stuck": is_stuck(state, now=now, threshold=threshold),
        "diagnosis": None
        if diagnosis is None
        else {
            "code": diagnosis.code,
            "container": diagnosis.container,
            "summary": diagnosis.summary,
            "since": format_time(diagnosis.since),
        },
        "step": {
            "name": state.step,
            "container": step_container,
            "since": format_time(state.step_since),
            "label": step_label(state),
        },
        "conditions": [
            {
                "type": c.type,
                "status": c.status,
                "reason": c.reason,
                "message": c.message,
                "last_transition_at": format_time(c.last_transition_at),
            }
            for c in state.conditions
        ],
        "signals": [
            {
                "reason": s.reason,
                "message": s.message,
                "count": s.count,
                "first_at": format_time(s.first_at),
                "last_at": format_time(s.last_at),
            }
            for s in state.signals
        ],
        "containers": [_container(c, state.created_at, state.restart_policy) for c in state.containers],
        "events": _events(events),
        "spec": spec_document(state.spec_facts),
    }


__all__ = ["timeline_document"]
