"""Where a Pod is in its start-up: the step, since when, and which init container holds it."""

from __future__ import annotations

from datetime import datetime

from .attempts import latest_finished, usable_start
from .model import Condition, ContainerState, PodState
from .times import newest_time


def condition(state: PodState, kind: str) -> Condition | None:
    for cond in state.conditions:
        if cond.type == kind:
            return cond
    return None


def is_ready(state: PodState) -> bool:
    cond = condition(state, "Ready")
    return cond is not None and cond.status == "True"


def is_scheduled(state: PodState) -> bool:
    cond = condition(state, "PodScheduled")
    if cond is not None:
        return cond.status == "True" or bool(state.node)
    return bool(state.node) or state.scheduled_at is not None or any(c.state for c in state.containers)


def init_done(container: ContainerState) -> bool:
    """A regular init container completed (exit 0) / a sidecar has started (docs/kubernetes.md §1)."""
    if container.kind == "sidecar":
        if container.started is not None:
            return container.started
        # `started` is missing on very old kubelets: running without a startup probe counts as started
        return container.state == "running" and not container.has_startup_probe
    if container.state != "terminated":
        return False
    done = latest_finished(container)
    return done is not None and done.exit_code == 0


def is_initialized(state: PodState) -> bool:
    cond = condition(state, "Initialized")
    if cond is not None:
        return cond.status == "True"
    inits = [c for c in state.containers if c.kind != "app"]
    if not inits:
        return is_scheduled(state) and state.seen
    return all(init_done(c) for c in inits)


def current_init(state: PodState) -> tuple[ContainerState | None, int, int]:
    """The init container (or sidecar) being waited for, its 0-based position and the init count."""
    inits = [c for c in state.containers if c.kind != "app"]
    for position, container in enumerate(inits):
        if not init_done(container):
            return container, position, len(inits)
    return None, len(inits), len(inits)


def _finish_of(state: PodState, container: ContainerState) -> datetime | None:
    """When an init container let the next one start: its finish, or a sidecar's start."""
    if container.kind == "sidecar":
        for attempt in reversed(container.attempts):
            started = usable_start(attempt, state.created_at)
            if started is not None:
                return started
        return container.state_since
    done = latest_finished(container)
    return done.finished_at if done else None


def _first_of_generation(state: PodState, container: ContainerState, generation: int) -> datetime | None:
    for attempt in container.attempts:
        if attempt.generation == generation:
            started = usable_start(attempt, state.created_at)
            if started is not None:
                return started
    return None


def _init_since(state: PodState, container: ContainerState, position: int) -> datetime | None:
    """The step `init:<c>` began when the previous init container finished (or started, for a
    sidecar); for the first one when the Pod was scheduled (or its generation began)."""
    since = None
    if position > 0:
        previous = [c for c in state.containers if c.kind != "app"][position - 1]
        since = _finish_of(state, previous)
    elif state.init_generation == 0:
        since = state.scheduled_at or state.started_at or state.created_at
    return (
        since
        or _first_of_generation(state, container, state.init_generation)
        or container.waiting_since
        or state.scheduled_at
        or state.created_at
    )


def last_finish(state: PodState) -> datetime | None:
    return newest_time(a.finished_at for container in state.containers for a in container.attempts)


def _containers_since(state: PodState) -> datetime | None:
    since = state.initialized_at
    ready = condition(state, "Ready")
    lost = ready.last_transition_at if ready is not None and ready.status != "True" else None
    if lost is not None and (since is None or lost > since):
        since = lost  # readiness was lost later: the containers' step began again then
    if since is None:
        _, position, count = current_init(state)
        if count:
            since = _finish_of(state, [c for c in state.containers if c.kind != "app"][count - 1])
    return since or state.scheduled_at or state.created_at


def compute_step(state: PodState) -> tuple[str, datetime | None]:
    """(step, since): scheduling | init:<container> | containers | running | done | deleting."""
    if state.terminal:
        return "done", last_finish(state) or state.last_seen_at
    if state.deletion_requested_at is not None or state.deleted_at is not None:
        return "deleting", state.deletion_requested_at or state.deleted_at
    if not state.seen or not is_scheduled(state):
        since = state.created_at
        if since is None and state.signals:
            since = min((s.first_at for s in state.signals if s.first_at), default=None)
        return "scheduling", since
    if not is_initialized(state):
        container, position, _ = current_init(state)
        if container is not None:
            return f"init:{container.name}", _init_since(state, container, position)
        return "containers", _containers_since(state)
    if is_ready(state):
        return "running", state.ready_at
    return "containers", _containers_since(state)


def step_label(state: PodState) -> str:
    """The step for people: `scheduling`, `init 2/3: migrate`, `starting containers`, `running`, ..."""
    step = state.step
    if step.startswith("init:"):
        name = step[5:]
        inits = [c for c in state.containers if c.kind != "app"]
        for position, container in enumerate(inits):
            if container.name == name:
                word = "sidecar" if container.kind == "sidecar" else "init"
                return f"{word} {position + 1}/{len(inits)}: {name}"
        return f"init: {name}"
    return {
        "scheduling": "scheduling",
        "containers": "starting containers",
        "running": "running",
        "done": "done",
        "deleting": "deleting",
        "": "unknown",
    }.get(step, step)


__all__ = [
    "compute_step",
    "condition",
    "current_init",
    "init_done",
    "is_initialized",
    "is_ready",
    "is_scheduled",
    "last_finish",
    "step_label",
]
