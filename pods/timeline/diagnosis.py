"""Stuck and diagnosis (DESIGN.md "Stuck and diagnosis").

`compute_failure` is the time-independent cause, stored in `PodState.failure` by every apply; `diagnose`
adds `slow` (which needs `now`) and `is_stuck` decides the overview's stuck flag. Precedence:
unschedulable > sandbox > mount > (the container holding the Pod back) image-pull > config-error >
oom-killed > crash-loop > deadline > failed > slow.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from functools import lru_cache

from .attempts import latest_finished
from .model import TERMINAL_DIAGNOSES, Attempt, ContainerState, Diagnosis, PodSignal, PodState
from .policy import matching_rule, policy_text, restart_action
from .steps import (
    MOUNT_REASONS,
    condition,
    current_init,
    is_initialized,
    is_ready,
    is_scheduled,
    killed_by_deletion,
    signal,
    started_after,
)
from .times import human_duration, parse_go_duration

IMAGE_REASONS = frozenset(
    {
        "ErrImagePull",
        "ImagePullBackOff",
        "InvalidImageName",
        "ErrImageNeverPull",
        "RegistryUnavailable",
        "SignatureValidationFailed",
    }
)
CONFIG_REASONS = frozenset({"CreateContainerConfigError", "CreateContainerError", "RunContainerError"})
_BACKOFF = re.compile(r"back-off (\S+) restarting failed")
# Summaries keep whole messages (the Pod page shows them in full; the list wraps and cuts at the end):
# the limit only stops a runaway message, never the name of the missing ConfigMap or image.
_MAX_TEXT = 1000
_MESSAGE_TEXT = 500  # a container's termination message inside a longer summary
# Messages that say that something failed but not what: the kubelet repeats them beside the specific one.
_GENERIC = (
    "timed out waiting for the condition",
    "unable to attach or mount volumes",
    "context deadline exceeded",
)
# How long a specific message is preferred to a newer generic one of the same reason: the kubelet retries a
# mount with a back-off capped at 2m2s, so a cause that still holds repeats well within it.
SPECIFIC_WINDOW = timedelta(minutes=5)


def _short(text: str, limit: int = _MAX_TEXT) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def kind_word(container: ContainerState) -> str:
    return {"init": "init container", "sidecar": "sidecar"}.get(container.kind, "container")


# The kubelet's back-off messages are short; a longer one (hostile or odd input) is read without being
# cached, so 1,024 cached messages hold kilobytes, not up to the API's object size each.
_CACHED_MESSAGE_MAX = 512


def backoff_of(message: str) -> str:
    """The current crash-loop delay from the waiting message (`back-off 2m40s restarting failed ...`)."""
    if len(message) > _CACHED_MESSAGE_MAX:
        return _backoff_of(message)
    return _cached_backoff_of(message)


def _backoff_of(message: str) -> str:
    match = _BACKOFF.search(message)
    if match and parse_go_duration(match.group(1)) is not None:
        return match.group(1)
    return ""


# the same waiting message repeats in every object of a crash loop
_cached_backoff_of = lru_cache(maxsize=1024)(_backoff_of)


def generic_message(message: str) -> bool:
    """Whether an Event's message says only that something failed, not what (`Unable to attach or mount
    volumes: ... timed out waiting for the condition`)."""
    text = message.lower()
    return not text.strip() or any(marker in text for marker in _GENERIC)


def signal_text(found: PodSignal) -> str:
    """A signal's message for the diagnosis: its newest specific message while that still repeats (within
    `SPECIFIC_WINDOW` of the newest Event of its reason), else the newest message."""
    at = found.specific_at
    if found.specific and at is not None and (found.last_at is None or at >= found.last_at - SPECIFIC_WINDOW):
        return found.specific
    return found.message


def _unschedulable(state: PodState) -> Diagnosis | None:
    if is_scheduled(state) and state.seen:
        return None
    cond = condition(state, "PodScheduled")
    failed = signal(state, "FailedScheduling")
    if cond is not None and cond.status == "False" and cond.reason != "SchedulingGated":
        message = cond.message or (failed.message if failed else "")
        return Diagnosis("unschedulable", "", _scheduling_text(message), cond.last_transition_at)
    if cond is None and failed is not None:
        return Diagnosis("unschedulable", "", _scheduling_text(failed.message), failed.first_at)
    return None


def _scheduling_text(message: str) -> str:
    # The scheduler appends its preemption verdict; the first sentence is what the SRE needs.
    message = message.split(" preemption:", 1)[0].strip()
    return _short(message) if message else "no node can run the Pod (Unschedulable)"


def _pod_level(state: PodState) -> Diagnosis | None:
    if is_initialized(state):
        return None
    sandbox = signal(state, "FailedCreatePodSandBox")
    if sandbox is not None and not started_after(state, sandbox.last_at):
        ready = condition(state, "PodReadyToStartContainers")
        if (
            ready is None
            or ready.status != "True"
            or (ready.last_transition_at and sandbox.last_at and ready.last_transition_at < sandbox.last_at)
        ):
            text = signal_text(sandbox).removeprefix("Failed to create pod sandbox: ")
            return Diagnosis("sandbox", "", _short("sandbox cannot be created: " + text), sandbox.first_at)
    for reason in MOUNT_REASONS:
        mount = signal(state, reason)
        if mount is not None and not started_after(state, mount.last_at):
            return Diagnosis("mount", "", _short(signal_text(mount) or reason), mount.first_at)
    return None


def _will_restart(state: PodState, container: ContainerState, exit_code: int | None) -> bool:
    """Whether the kubelet restarts the container (or the whole Pod) after this exit: its effective
    policy (KEP-5307), not the Pod's alone."""
    return restart_action(state.restart_policy, container, exit_code) != "none"


def _streak_start(container: ContainerState) -> datetime | None:
    """When the current run of failures began: the first failed attempt's finish."""
    since = None
    for attempt in reversed(container.attempts):
        if attempt.generation != container.generation:
            break
        if attempt.known and attempt.exit_code == 0:
            break
        moment = attempt.finished_at or attempt.started_at
        if moment is not None:
            since = moment
    return since or container.waiting_since


def attempt_count(container: ContainerState) -> int:
    """Attempts of the current generation, each of a run of placeholders counted (the diagnosis's
    "N attempts"; alerts' crash-loop rule reads it too)."""
    return sum(a.count for a in container.attempts if a.generation == container.generation)


def _crash(state: PodState, container: ContainerState) -> Diagnosis:
    last = latest_finished(container)
    oom = last is not None and last.reason == "OOMKilled"
    who = f"{kind_word(container)} `{container.name}`"
    text = _exit_text(who, last, oom)
    rule = matching_rule(container, last.exit_code) if last is not None else None
    if rule is not None:  # the restart comes from the container's restartPolicyRules (KEP-5307)
        action = "restarts all containers" if rule["action"] == "RestartAllContainers" else "restarts it"
        text += f", which its restartPolicyRules {action}"
    count = attempt_count(container)
    # one failed attempt waiting to restart is not yet a loop (kubectl already says CrashLoopBackOff):
    # say so, and count attempts as the waterfall's lane and attempts table do
    text += ", first attempt failed, restarting" if count == 1 else f", {count} attempts"
    backoff = backoff_of(container.state_message) if container.state == "waiting" else ""
    if backoff:
        text += f", back-off {backoff}"
    if last is not None and last.message and not oom:
        text += f"; last message: {_short(last.message, _MESSAGE_TEXT)}"
    return Diagnosis("oom-killed" if oom else "crash-loop", container.name, text, _streak_start(container))


def _exit_text(who: str, last: Attempt | None, oom: bool) -> str:
    if last is None:
        return f"{who} keeps restarting"
    if oom:
        code = f" (exit {last.exit_code})" if last.exit_code is not None else ""
        return f"{who} was OOMKilled{code}"
    if last.signal:
        return f"{who} killed by signal {last.signal}"
    reason = f" ({last.reason})" if last.reason else ""
    return f"{who} exits {last.exit_code if last.exit_code is not None else '?'}{reason}"


def _image_error(container: ContainerState) -> str:
    if container.pull is not None and container.pull.last_error:
        return container.pull.last_error
    message = container.state_message
    for marker in ("ErrImagePull: ", "ImagePullBackOff: "):
        if marker in message:
            return message.split(marker, 1)[1]
    return message or container.state_reason


def container_failure(state: PodState, container: ContainerState) -> Diagnosis | None:
    """image-pull / config-error / oom-killed / crash-loop for one container, or None."""
    reason = container.state_reason if container.state == "waiting" else ""
    if reason in IMAGE_REASONS:
        image = (container.pull.image if container.pull else "") or container.image
        text = f'image "{image}" cannot be pulled: {_short(_image_error(container))}'
        if reason in ("InvalidImageName", "ErrImageNeverPull"):
            text = f'image "{image}" cannot be used ({reason}): {_short(container.state_message or reason)}'
        return Diagnosis("image-pull", container.name, text, container.waiting_since)
    if reason in CONFIG_REASONS:
        who = f"{kind_word(container)} `{container.name}`"
        text = f"{who} cannot start ({reason}): {_short(container.state_message or reason)}"
        return Diagnosis("config-error", container.name, text, container.waiting_since)
    if reason == "CrashLoopBackOff":
        return _crash(state, container)
    if container.state == "terminated":
        last = latest_finished(container)
        if (
            last is not None
            and last.exit_code not in (0, None)
            and _will_restart(state, container, last.exit_code)
        ):
            return _crash(state, container)
    return None


def _holding(state: PodState) -> Diagnosis | None:
    """Rule 3: the container holding the Pod back (current init container, else a failing sidecar or
    app container, in start order)."""
    if not is_initialized(state):
        container, _, _ = current_init(state)
        return container_failure(state, container) if container is not None else None
    for kind in ("sidecar", "app"):
        for container in state.containers:
            if container.kind == kind:
                found = container_failure(state, container)
                if found is not None:
                    return found
    return None


def _deadline(state: PodState) -> Diagnosis | None:
    if state.reason != "DeadlineExceeded":
        return None
    exceeded = signal(state, "DeadlineExceeded")
    since = exceeded.first_at if exceeded else None
    if since is None and state.started_at is not None and state.active_deadline_seconds is not None:
        since = state.started_at + timedelta(seconds=state.active_deadline_seconds)
    limit = f" ({state.active_deadline_seconds}s)" if state.active_deadline_seconds is not None else ""
    text = f"Pod ran past activeDeadlineSeconds{limit} and was stopped"
    container = ""
    if not is_initialized(state):
        current, _, _ = current_init(state)
        if current is not None:
            container = current.name
            text += f" while waiting for {kind_word(current)} `{current.name}`"
    return Diagnosis("deadline", container, text, since)


def _failed(state: PodState) -> Diagnosis | None:
    """The Pod failed because a regular init container failed for good: an exit its effective policy
    does not restart (Pod `restartPolicy: Never`, or the container's own policy and rules, KEP-5307)."""
    if state.phase != "Failed":
        return None
    for container in state.containers:
        if container.kind != "init":
            continue
        last = latest_finished(container)
        if last is None or last.exit_code in (0, None):
            continue
        if restart_action(state.restart_policy, container, last.exit_code) != "none":
            continue
        if (
            state.deletion_requested_at
            and last.finished_at
            and last.finished_at >= state.deletion_requested_at
        ):
            return None  # killed by the deletion, not a failure of its own
        who = f"init container `{container.name}`"
        text = (
            _exit_text(who, last, last.reason == "OOMKilled")
            + " "
            + policy_text(state.restart_policy, container, last.exit_code)
        )
        if last.message:
            text += f": {_short(last.message, _MESSAGE_TEXT)}"
        return Diagnosis("failed", container.name, text, last.finished_at)
    return None


def compute_failure(state: PodState) -> Diagnosis | None:
    """The time-independent cause that holds now (everything but `slow`), or None."""
    if state.terminal:
        return _deadline(state) or _failed(state)
    if state.deleted_at is not None or state.deletion_requested_at is not None:
        return None  # a Pod being deleted is not an init failure
    if is_ready(state):
        return None
    return _unschedulable(state) or _pod_level(state) or _holding(state)


def _slow_text(state: PodState, now: datetime) -> str:
    took = human_duration(now - state.step_since) if state.step_since else "?"
    if state.step == "scheduling":
        cond = condition(state, "PodScheduled")
        if cond is not None and cond.reason == "SchedulingGated":
            return f"scheduling gated for {took}"
        return f"waiting to be scheduled for {took}"
    if state.step.startswith("init:"):
        container = state.container(state.step[5:])
        if container is not None:
            return _slow_init_text(container, now, took)
    if state.step == "containers":
        waiting = [c for c in state.containers if c.kind != "init" and not c.ready]
        names = ", ".join(f"`{c.name}` {c.state_reason or c.state or 'not reported'}" for c in waiting[:3])
        return f"containers not ready after {took}" + (f": {names}" if names else "")
    return f"in step {state.step} for {took}"


def _slow_init_text(container: ContainerState, now: datetime, took: str) -> str:
    name = f"`{container.name}`"
    if container.state == "running":
        running = container.state_since
        ran = human_duration(now - running) if running else took
        if container.kind == "sidecar":
            return f"waiting for sidecar {name} to start (startup probe), running {ran}"
        return f"blocked on init container {name}, running {ran}"
    pull = container.pull
    if (
        pull is not None
        and pull.started_at is not None
        and pull.finished_at is None
        and not pull.already_present
    ):
        return (
            f'{kind_word(container)} {name} not started after {took}, pulling image "{pull.image}" for '
            + (human_duration(now - pull.started_at))
        )
    reason = f" ({container.state_reason})" if container.state_reason else ""
    return f"{kind_word(container)} {name} not started after {took}{reason}"


def can_be_stuck(state: PodState) -> bool:
    """The time-independent half of the stuck rule: seen, not terminal, not deleted (nor being deleted),
    not Ready. Ingest sends it with every change summary, so the live overview applies `stuck_rule` too."""
    return (
        state.seen
        and not state.terminal
        and state.deleted_at is None
        and state.deletion_requested_at is None
        and not is_ready(state)
    )


def diagnose(state: PodState, *, now: datetime, threshold: timedelta) -> Diagnosis | None:
    """The diagnosis at `now`: the stored kind of failure, else `slow` when the current step (scheduling,
    an init container, the containers' start) has run longer than `threshold`. None for healthy, Ready,
    Succeeded and deleted Pods."""
    failure = compute_failure(state)
    if failure is not None:
        return failure
    if not can_be_stuck(state) or state.step_since is None:
        return None
    if state.step not in ("scheduling", "containers") and not state.step.startswith("init:"):
        return None
    if now - state.step_since <= threshold:
        return None
    sandbox = _sandbox_not_ready(state, now, threshold)
    if sandbox is not None:
        return sandbox
    container = state.step[5:] if state.step.startswith("init:") else ""
    return Diagnosis("slow", container, _slow_text(state, now), state.step_since)


def _sandbox_not_ready(state: PodState, now: datetime, threshold: timedelta) -> Diagnosis | None:
    """`sandbox` without an Event to say why: `PodReadyToStartContainers` (on since 1.29) has stayed
    False past the threshold, so no container can start (docs/kubernetes.md §2 Conditions). Only a Pod
    already slow gets it (it refines `slow`; the stuck verdict is the same)."""
    cond = condition(state, "PodReadyToStartContainers")
    if cond is None or cond.status != "False" or cond.last_transition_at is None:
        return None
    if now - cond.last_transition_at <= threshold:
        return None
    why = f", {cond.reason}" if cond.reason else ""
    text = (
        f"sandbox not ready for {human_duration(now - cond.last_transition_at)} "
        f"(PodReadyToStartContainers False{why}): no container can start"
    )
    if cond.message:
        text += f": {_short(cond.message, _MESSAGE_TEXT)}"
    return Diagnosis("sandbox", "", text, cond.last_transition_at)


def is_failed(state: PodState) -> bool:
    """Terminal failure (the list's "failed", after "stuck"): a Pod that finished in phase Failed (an
    init or app container failed for good, activeDeadlineSeconds, eviction) or whose diagnosis is
    `failed` / `deadline`; not one stopped by its own deletion, nor one deleted since (history, not a
    failure to act on). `pods.selectors` reads it as the projected column `failed`; change summaries
    carry it for the live overview."""
    if not state.terminal or state.deleted_at is not None:
        return False
    failure = compute_failure(state)
    if failure is not None and failure.code in TERMINAL_DIAGNOSES:
        return True
    return state.phase == "Failed" and not killed_by_deletion(state)


def stuck_rule(
    *, can_be_stuck: bool, failing: bool, step_since: datetime | None, now: datetime, threshold: timedelta
) -> bool:
    """The stuck rule (DESIGN.md "Stuck and diagnosis"), over its inputs: a Pod that can be stuck (see
    `can_be_stuck`) is stuck when a failure cause holds or its current step has run past `threshold`.

    `is_stuck` applies it to a `PodState`, the live overview to a change summary; `pods.selectors.stuck_q`
    states it in SQL over the projected columns, and a test holds the three to the same verdicts.
    """
    return can_be_stuck and (failing or (step_since is not None and now - step_since > threshold))


def is_stuck(state: PodState, *, now: datetime, threshold: timedelta) -> bool:
    """Whether `state` is stuck at `now` (`stuck_rule`; the same verdict as `diagnose` returning a cause for
    a Pod that can be stuck: while it can, its step is scheduling, an init container or the containers)."""
    return stuck_rule(
        can_be_stuck=can_be_stuck(state),
        failing=compute_failure(state) is not None,
        step_since=state.step_since,
        now=now,
        threshold=threshold,
    )


__all__ = [
    "attempt_count",
    "backoff_of",
    "can_be_stuck",
    "compute_failure",
    "container_failure",
    "diagnose",
    "generic_message",
    "is_failed",
    "is_stuck",
    "kind_word",
    "signal_text",
    "stuck_rule",
]
