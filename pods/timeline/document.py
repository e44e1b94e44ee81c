"""The timeline document served by the API, the CLI and the export (JSON-serialisable)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from .diagnosis import diagnose, is_stuck
from .model import ContainerState, EventRecord, PodState, newest_events
from .steps import step_label
from .times import format_time, time_key

# The fields each part of the document shows, in its order (times as RFC 3339 text, see `_shown`).
_PULL_FIELDS = (
    "image", "started_at", "finished_at", "pull_seconds", "wait_seconds", "image_bytes", "already_present",
    "failures", "last_error",
)  # fmt: skip
_ATTEMPT_FIELDS = (
    "number", "generation", "started_at", "finished_at", "exit_code", "reason", "message", "signal", "known",
    "container_id", "log_tail",
)  # fmt: skip
_CONTAINER_FIELDS = (
    "name", "kind", "index", "image", "restart_count", "state", "state_reason", "state_message",
    "state_since", "waiting_since", "ready", "started", "has_startup_probe", "generation",
)  # fmt: skip


def _shown(obj: object, names: tuple[str, ...]) -> dict[str, Any]:
    """The named fields of `obj`, times written as RFC 3339 text."""
    out: dict[str, Any] = {}
    for name in names:
        value = getattr(obj, name)
        out[name] = format_time(value) if isinstance(value, datetime) else value
    return out


def _container(container: ContainerState) -> dict[str, Any]:
    return {
        **_shown(container, _CONTAINER_FIELDS),
        "pull": _shown(container.pull, _PULL_FIELDS) if container.pull else None,
        "attempts": [_shown(a, _ATTEMPT_FIELDS) for a in container.attempts],
    }


def _events(events: Iterable[EventRecord]) -> list[dict[str, Any]]:
    ordered = sorted(
        newest_events(events).values(),
        key=lambda e: (e.first_at is None, time_key(e.first_at), time_key(e.last_at), e.uid),
    )
    return [
        {
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
        for e in ordered
    ]


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
        "deletion_requested_at": format_time(state.deletion_requested_at),
        "deleted_at": format_time(state.deleted_at),
        "init_generation": state.init_generation,
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
        "containers": [_container(c) for c in state.containers],
        "events": _events(events),
    }


__all__ = ["timeline_document"]
