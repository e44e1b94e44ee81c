"""The timeline document served by the API, the CLI and the export (JSON-serialisable)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from .diagnosis import diagnose, is_stuck
from .model import Attempt, ContainerState, EventRecord, PodState, Pull
from .steps import step_label
from .times import format_time


def _pull(pull: Pull | None) -> dict[str, Any] | None:
    if pull is None:
        return None
    return {
        "image": pull.image,
        "started_at": format_time(pull.started_at),
        "finished_at": format_time(pull.finished_at),
        "pull_seconds": pull.pull_seconds,
        "wait_seconds": pull.wait_seconds,
        "image_bytes": pull.image_bytes,
        "already_present": pull.already_present,
        "failures": pull.failures,
        "last_error": pull.last_error,
    }


def _attempt(attempt: Attempt) -> dict[str, Any]:
    return {
        "number": attempt.number,
        "generation": attempt.generation,
        "started_at": format_time(attempt.started_at),
        "finished_at": format_time(attempt.finished_at),
        "exit_code": attempt.exit_code,
        "reason": attempt.reason,
        "message": attempt.message,
        "signal": attempt.signal,
        "known": attempt.known,
        "container_id": attempt.container_id,
        "log_tail": attempt.log_tail,
    }


def _container(container: ContainerState) -> dict[str, Any]:
    return {
        "name": container.name,
        "kind": container.kind,
        "index": container.index,
        "image": container.image,
        "restart_count": container.restart_count,
        "state": container.state,
        "state_reason": container.state_reason,
        "state_message": container.state_message,
        "state_since": format_time(container.state_since),
        "waiting_since": format_time(container.waiting_since),
        "ready": container.ready,
        "started": container.started,
        "has_startup_probe": container.has_startup_probe,
        "generation": container.generation,
        "pull": _pull(container.pull),
        "attempts": [_attempt(a) for a in container.attempts],
    }


def _events(events: Iterable[EventRecord]) -> list[dict[str, Any]]:
    newest: dict[str, EventRecord] = {}
    for event in events:
        kept = newest.get(event.uid)
        if kept is None or (event.count, event.last_at or _MIN) >= (kept.count, kept.last_at or _MIN):
            newest[event.uid] = event
    ordered = sorted(
        newest.values(), key=lambda e: (e.first_at is None, e.first_at or _MIN, e.last_at or _MIN, e.uid)
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


_MIN = datetime.min.replace(tzinfo=UTC)


__all__ = ["timeline_document"]
