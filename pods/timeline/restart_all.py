"""RestartAllContainers (KEP-5532, beta in 1.36; docs/kubernetes.md §2 end notes): an in-place restart of
every container of a Pod, init containers included, under the same uid.

What the API shows: a container exits with a code a `RestartAllContainers` rule matches (its own real
termination); the condition `AllContainersRestarting` turns True; every container that had run is
removed, and the next report gives each of them `restartCount + 1` with a made-up `lastState`
(`RestartingAllContainers`, exit 137, no times, no containerID, `attempts.is_restart_all`); then the init
containers run again from the first. The engine reads that as:

- a new init generation (as after a sandbox recreation, §2 rule 7), recorded with cause `restart-all`;
- the attempts that were still running when it happened end with exit 137, reason
  `RestartingAllContainers`, at the moment the restart began: the trigger's exit when the objects
  showed it, else the condition's transition;
- an attempt that had already ended (the trigger, a completed init container) keeps its own exit.
"""

from __future__ import annotations

from datetime import datetime

from .attempts import Observation, is_restart_all
from .model import ContainerState, PodState
from .policy import RESTART_ALL_REASON, restart_action
from .steps import condition
from .times import newest_time

CONDITION = "AllContainersRestarting"


def shows_restart_all(obs: Observation) -> bool:
    return obs.last is not None and is_restart_all(obs.last)


def opens_generation(container: ContainerState, obs: Observation) -> bool:
    """Whether `obs` shows a restart-all the container's attempts have not yet been split at: its
    made-up lastState beside restartCount N while the current generation holds attempts below N only,
    one of them seen (a run known only by count was placed at first sight, when the restart had already
    happened: the round seen then is the current generation)."""
    if not shows_restart_all(obs):
        return False
    below = False
    for attempt in container.attempts:
        if attempt.generation == container.generation:
            if attempt.number + max(attempt.count, 1) - 1 >= obs.rc:
                return False
            below = below or attempt.known
    return below


def restart_began(state: PodState) -> datetime | None:
    """When the restart began, as the objects show it: the exit of the trigger (an attempt of the current
    generation whose exit code the container's rules answer with `RestartAllContainers`), else the
    `AllContainersRestarting` condition's transition (True: the start; False: the end, the latest it can
    have been)."""
    trigger = newest_time(
        a.finished_at
        for c in state.containers
        for a in c.attempts
        if a.generation == state.init_generation
        and a.known
        and a.exit_code is not None
        and a.reason != RESTART_ALL_REASON
        and restart_action(state.restart_policy, c, a.exit_code) == "restart-all"
    )
    if trigger is not None:
        return trigger
    cond = condition(state, CONDITION)
    return cond.last_transition_at if cond is not None else None


def end_restarted(container: ContainerState, obs: Observation, began: datetime | None) -> bool:
    """End the attempt a restart-all stopped (attempt `restartCount - 1`) when it was still running."""
    if not shows_restart_all(obs):
        return False
    number = obs.rc - 1
    for attempt in reversed(container.attempts):
        if attempt.number != number or not attempt.known:
            continue
        if attempt.finished_at is not None or attempt.exit_code is not None:
            return False  # it had ended on its own: its exit stands
        started = attempt.started_at
        # never before its own start: then the start is the best bound the objects give
        attempt.finished_at = (
            began if began is not None and (started is None or began >= started) else started
        )
        assert obs.last is not None
        attempt.exit_code = obs.last.exit_code if obs.last.exit_code is not None else 137
        attempt.reason = RESTART_ALL_REASON
        attempt.message = obs.last.message
        return True
    return False


__all__ = ["CONDITION", "end_restarted", "opens_generation", "restart_began", "shows_restart_all"]
