"""Where a Pod is in its start-up: the step, since when, and which init container holds it."""

from __future__ import annotations

from datetime import datetime

from .attempts import latest_finished, usable_start
from .model import Condition, ContainerState, PodSignal, PodState
from .times import newest_time, time_key

MOUNT_REASONS = ("FailedMount", "FailedAttachVolume")


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


def signal(state: PodState, reason: str) -> PodSignal | None:
    for found in state.signals:
        if found.reason == reason:
            return found
    return None


def started_after(state: PodState, at: datetime | None) -> bool:
    """Whether any container of the current generation started after `at` (a signal is then past)."""
    if at is None:
        return False
    for container in state.containers:
        for attempt in reversed(container.attempts):
            if attempt.generation == state.init_generation and attempt.started_at and attempt.started_at > at:
                return True
    return False


def has_started(state: PodState, container: ContainerState) -> bool:
    """Whether the container has run in the current generation (it is running, or an attempt started)."""
    if container.state == "running":
        return True
    return any(
        a.generation == state.init_generation and usable_start(a, state.created_at) is not None
        for a in container.attempts
    )


def start_blocker(state: PodState) -> str:
    """What holds back a Pod before its containers can start: `mount` (a FailedMount /
    FailedAttachVolume no container start has answered), `sandbox` (FailedCreatePodSandBox likewise, or
    PodReadyToStartContainers False), or "" (nothing known)."""
    found: list[tuple[datetime | None, str]] = []
    for reason, blocker in (
        ("FailedMount", "mount"),
        ("FailedAttachVolume", "mount"),
        ("FailedCreatePodSandBox", "sandbox"),
    ):
        held = signal(state, reason)
        if held is not None and not started_after(state, held.last_at):
            found.append((held.last_at, blocker))
    if found:  # the newest one: a mount that failed, then succeeded, leaves a sandbox failure after it
        return max(found, key=lambda item: time_key(item[0]))[1]
    cond = condition(state, "PodReadyToStartContainers")
    if cond is not None and cond.status == "False":
        return "sandbox"
    return ""


_BLOCKER_LABELS = {"mount": "mounting volumes", "sandbox": "waiting for sandbox"}
_TERMINAL_REASONS = {"DeadlineExceeded": "failed: deadline exceeded", "Evicted": "evicted"}


def killed_by_deletion(state: PodState) -> bool:
    """Whether a finished Pod was stopped by its deletion: the deletion was requested and no container
    finished before it (a Pod that failed and was deleted later failed on its own)."""
    requested = state.deletion_requested_at
    if requested is None:
        return False
    finished = last_finish(state)
    return finished is None or finished >= requested


def _terminal_label(state: PodState) -> str:
    """A finished Pod: `completed`, `failed`, `failed: deadline exceeded`, `evicted`, `killed (deleted)`."""
    if state.phase == "Succeeded":
        return "completed"
    if state.reason in _TERMINAL_REASONS:
        return _TERMINAL_REASONS[state.reason]
    if killed_by_deletion(state):
        return "killed (deleted)"
    return "failed"


def _containers_label(state: PodState) -> str:
    """Step `containers`: `starting containers` until every app container has run; then the first
    sidecar or app container that is not running (`sidecar proxy: CrashLoopBackOff`), else `running, not
    ready` (a readiness probe that has not passed yet, or readiness lost)."""
    apps = [c for c in state.containers if c.kind == "app"]
    if not apps or not all(has_started(state, c) for c in apps):
        blocker = start_blocker(state) if not any(has_started(state, c) for c in state.containers) else ""
        return _BLOCKER_LABELS.get(blocker, "starting containers")
    for kind in ("sidecar", "app"):
        for container in state.containers:
            if container.kind == kind and container.state != "running":
                word = "sidecar" if kind == "sidecar" else "container"
                return (
                    f"{word} {container.name}: {container.state_reason or container.state or 'not reported'}"
                )
    return "running, not ready"


def step_label(state: PodState) -> str:
    """The step for people: `scheduling`, `init 2/3: migrate`, `mounting volumes`, `starting containers`,
    `sidecar proxy: CrashLoopBackOff`, `running`, `completed`, `failed`, `deleting`, ..."""
    step = state.step
    if step.startswith("init:"):
        name = step[5:]
        inits = [c for c in state.containers if c.kind != "app"]
        for position, container in enumerate(inits):
            if container.name == name:
                if position == 0 and not has_started(state, container):
                    blocker = _BLOCKER_LABELS.get(start_blocker(state))
                    if blocker is not None:
                        return blocker
                word = "sidecar" if container.kind == "sidecar" else "init"
                return f"{word} {position + 1}/{len(inits)}: {name}"
        return f"init: {name}"
    if step == "containers":
        return _containers_label(state)
    if step == "done":
        return _terminal_label(state)
    if step == "deleting":
        return "deleted" if state.deleted_at is not None else "deleting"
    return {"scheduling": "scheduling", "running": "running", "": "unknown"}.get(step, step)


__all__ = [
    "MOUNT_REASONS",
    "compute_step",
    "condition",
    "current_init",
    "has_started",
    "init_done",
    "is_initialized",
    "is_ready",
    "is_scheduled",
    "killed_by_deletion",
    "last_finish",
    "signal",
    "start_blocker",
    "started_after",
    "step_label",
]
