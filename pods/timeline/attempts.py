"""Rebuilding a container's attempts from restartCount, state and lastState (docs/kubernetes.md §2 rules 1–7).

The API shows only the current state and the previous termination, so each Pod object is an
*observation*; folding observations in RV order rebuilds the history:

- `running`/`terminated` is attempt `restartCount`; `lastState.terminated` is then attempt `restartCount-1`
  (rule 2).
- `waiting` + `lastState.terminated`: attempt `restartCount` finished and the next has not started; so
  lastState is attempt `restartCount` (rule 3). `waiting` without lastState: nothing to record.
- Every number below `restartCount` happened: the ones no observation described are recorded once as
  `known=False` placeholders with no invented detail (rule 4), filled in if a later lastState shows them.
  Consecutive placeholders are one record (`Attempt.count`), however many: none is ever dropped, and a
  run is split where a later observation shows one of its attempts.
- An attempt is identified by its containerID when one is known (rule 1), else by (generation, number),
  so seeing the same object (or the same attempt through state and later lastState) twice adds nothing.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, NamedTuple

from .model import Attempt, ContainerState
from .parse import EMPTY, as_int, as_str
from .times import UNIX_EPOCH, parse_time

# How far before the Pod's creation a container start may lie and still be a real time (clock skew
# between the node and the API server); anything earlier is no start at all.
START_SKEW = timedelta(hours=1)


def usable_start(attempt: Attempt, created_at: datetime | None) -> datetime | None:
    """The attempt's start, when it is one to draw and measure from; None when it is unknown.

    The one rule for every duration and drawing (document, waterfall, CLI, reports): a placeholder has
    no start, and a start at or before the Unix epoch (containerd reports `startedAt:
    1970-01-01T00:00:00Z` for a container that failed to start, exit 128 `StartError`,
    kubernetes#120331) or more than `START_SKEW` before the Pod's creation is the runtime's "unset",
    not a time. The stored attempt keeps the value as the API gave it.
    """
    started = attempt.started_at
    if started is None or not attempt.known or started <= UNIX_EPOCH:
        return None
    if created_at is not None and started < created_at - START_SKEW:
        return None
    return started


class Run(NamedTuple):
    """What one observation says about one attempt."""

    container_id: str
    started_at: datetime | None
    finished_at: datetime | None = None
    exit_code: int | None = None
    reason: str = ""
    message: str = ""
    signal: int | None = None
    terminated: bool = False


class Observation(NamedTuple):
    """One container status, parsed once."""

    rc: int
    kind: str  # "waiting" | "running" | "terminated" | ""
    reason: str
    message: str
    current: Run | None  # the attempt `restartCount` when running/terminated
    last: Run | None  # lastState.terminated
    ready: bool
    started: bool | None
    container_id: str


def _terminated_run(term: dict[str, Any], fallback_id: str) -> Run:
    get = term.get
    container_id = get("containerID")
    exit_code = get("exitCode")
    signal = get("signal")
    reason = get("reason")
    message = get("message")
    # positional: NamedTuple keyword construction costs twice as much on this hot path
    return Run(
        container_id if type(container_id) is str and container_id else fallback_id,
        parse_time(get("startedAt")),
        parse_time(get("finishedAt")),
        exit_code if type(exit_code) is int else as_int(exit_code),
        reason if type(reason) is str else "",
        message if type(message) is str else "",
        (signal if type(signal) is int else as_int(signal)) or None,
        True,
    )


def observe_status(cs: dict[str, Any]) -> Observation:
    """Parse a raw container status, a `raw.RawContainerStatus` (tolerant: odd fields become ""/None/0)."""
    get = cs.get
    rc = get("restartCount")
    if type(rc) is not int:
        rc = as_int(rc) or 0
    if rc < 0:
        rc = 0
    cid = get("containerID")
    if type(cid) is not str:
        cid = ""
    state = get("state")
    if type(state) is not dict:
        state = EMPTY
    last_state = get("lastState")
    last_term = last_state.get("terminated") if type(last_state) is dict else None
    kind = reason = message = ""
    current = None
    terminated = state.get("terminated")
    if type(terminated) is dict:
        kind = "terminated"
        current = _terminated_run(terminated, cid)
        reason, message = current.reason, current.message
    else:
        running = state.get("running")
        if type(running) is dict:
            kind = "running"
            current = Run(cid, parse_time(running.get("startedAt")))
        else:
            waiting = state.get("waiting")
            if type(waiting) is dict:
                kind = "waiting"
                reason = as_str(waiting.get("reason"))
                message = as_str(waiting.get("message"))
    last = None
    if type(last_term) is dict and last_term:
        # The status-level containerID names the newest container: for `waiting` that is lastState's.
        last = _terminated_run(last_term, cid if kind == "waiting" else "")
    started = get("started")
    return Observation(
        rc, kind, reason, message, current, last, get("ready") is True,
        started if type(started) is bool else None, cid,
    )  # fmt: skip


def find_by_id(container: ContainerState, container_id: str) -> Attempt | None:
    for attempt in reversed(container.attempts):
        if attempt.container_id == container_id:
            return attempt
    return None


def find_by_key(container: ContainerState, generation: int, number: int) -> Attempt | None:
    """The record of attempt (generation, number): the attempt itself, or the run of placeholders that
    covers that number."""
    for attempt in reversed(container.attempts):
        if attempt.generation == generation and attempt.number <= number <= attempt.last_number:
            return attempt
    return None


def _split_run(container: ContainerState, run: Attempt, number: int) -> Attempt:
    """Take attempt `number` out of a run of placeholders; return its own (placeholder) record.

    The run keeps the numbers before it (or moves up past it); a new run holds the numbers after it. The
    set of keys (generation, number) only grows, so stored rows are updated or added, never left stale.
    """
    if run.count == 1:
        return run
    first, last = run.number, run.last_number
    if number == first:
        run.number, run.count = first + 1, last - first
        single = Attempt(generation=run.generation, number=number, known=False)
        _insert(container, single)
        return single
    run.count = number - first
    single = Attempt(generation=run.generation, number=number, known=False)
    _insert(container, single)
    if number < last:
        after = Attempt(generation=run.generation, number=number + 1, known=False, count=last - number)
        _insert(container, after)
    return single


def _unchanged(attempt: Attempt, run: Run) -> bool:
    """Whether `run` adds nothing to `attempt` (the common case: the same object seen again)."""
    return (
        attempt.known
        and (not run.container_id or attempt.container_id == run.container_id)
        and (run.started_at is None or attempt.started_at == run.started_at)
        and (
            not run.terminated
            or (
                attempt.finished_at == run.finished_at
                and attempt.exit_code == run.exit_code
                and attempt.reason == run.reason
                and attempt.message == run.message
                and attempt.signal == run.signal
            )
        )
    )


def _merge(attempt: Attempt, run: Run) -> bool:
    if _unchanged(attempt, run):
        return False
    changed = False
    if not attempt.known:
        attempt.known = True
        changed = True
    if run.container_id and attempt.container_id != run.container_id:
        attempt.container_id = run.container_id
        changed = True
    if run.started_at is not None and attempt.started_at != run.started_at:
        attempt.started_at = run.started_at
        changed = True
    if not run.terminated:
        return changed
    for name in ("finished_at", "exit_code", "reason", "message", "signal"):
        value = getattr(run, name)
        if getattr(attempt, name) != value:
            setattr(attempt, name, value)
            changed = True
    return changed


def _insert(container: ContainerState, attempt: Attempt) -> None:
    attempts = container.attempts
    key = (attempt.generation, attempt.number)
    if not attempts or (attempts[-1].generation, attempts[-1].number) < key:
        attempts.append(attempt)
        return
    attempts.append(attempt)
    attempts.sort(key=lambda a: (a.generation, a.number))


def _never_ran(run: Run) -> bool:
    """A termination with neither a containerID nor a start time: no container ever existed.

    When a Pod ends, the kubelet reports containers that never started as
    `terminated {exitCode: 137, reason: ContainerStatusUnknown}` with no containerID and no times; that
    is not an attempt (docs/kubernetes.md §2 rule 5: failures before a container exists are not attempts).
    A vanished container that did run is still recorded, because an earlier object showed its attempt.
    """
    return run.terminated and not run.container_id and run.started_at is None


def is_restart_all(run: Run) -> bool:
    """The termination the kubelet makes up for a container removed by RestartAllContainers (KEP-5532,
    docs/kubernetes.md §2 end notes): reason `RestartingAllContainers`, exit 137, no times. It stands for
    attempt `restartCount - 1` being stopped (or, if that one had ended, for nothing); never for an
    attempt of its own, and never over the real exit code of the attempt it follows."""
    return run.reason == "RestartingAllContainers" and run.started_at is None and run.finished_at is None


def place(container: ContainerState, generation: int, number: int, run: Run) -> bool:
    """Record `run` as attempt `number` of `generation` (or update the attempt with its containerID)."""
    attempt = find_by_id(container, run.container_id) if run.container_id else None
    if attempt is None:
        if number < 0:
            return False  # lastState of attempt 0 after a counter reset: its number is unknowable
        attempt = find_by_key(container, generation, number)
        if attempt is None:
            if _never_ran(run):
                return False
            attempt = Attempt(generation=generation, number=number)
            _merge(attempt, run)
            _insert(container, attempt)
            return True
        if not attempt.known and attempt.count > 1:
            if _never_ran(run):
                return False
            attempt = _split_run(container, attempt, number)
        if attempt.container_id and run.container_id and attempt.container_id != run.container_id:
            return False  # another container holds this number: never overwrite a known attempt
    return _merge(attempt, run)


def _fill_floor(container: ContainerState, generation: int) -> int | None:
    """The lowest number that may belong to `generation` (None: do not fill)."""
    if generation == 0:
        return 0
    lowest = None
    previous_max = -1
    for attempt in container.attempts:
        if attempt.generation == generation:
            if lowest is None or attempt.number < lowest:
                lowest = attempt.number
        elif attempt.last_number > previous_max:
            previous_max = attempt.last_number
    if lowest is None:
        return None  # nothing of this generation yet: its numbering may have restarted anywhere
    return previous_max + 1 if previous_max + 1 <= lowest else lowest


def fill_unknown(container: ContainerState, generation: int, below: int) -> bool:
    """Record attempts `floor..below-1` that restartCount proves happened but nothing showed (rule 4):
    each gap becomes one run of placeholders (or extends the run just before it); none is capped."""
    if below <= 0:
        return False
    attempts = container.attempts
    if generation == 0 and len(attempts) >= below:
        # Sorted, non-overlapping, numbers >= 0: if record below-1 is (0, below-1), records 0..below-1
        # are exactly the single attempts 0..below-1.
        probe = attempts[below - 1]
        if probe.generation == 0 and probe.number == below - 1:
            return False
    floor = _fill_floor(container, generation)
    if floor is None or floor >= below:
        return False
    gaps: list[tuple[int, int]] = []  # (first, last) numbers nobody covers
    before: dict[int, Attempt] = {}  # a gap's first number -> the placeholder run ending just before it
    expected = floor
    previous: Attempt | None = None
    for attempt in attempts:
        if attempt.generation != generation or attempt.last_number < floor:
            continue
        if attempt.number >= below:
            break
        if attempt.number > expected:
            gaps.append((expected, attempt.number - 1))
            if previous is not None and not previous.known and previous.last_number == expected - 1:
                before[expected] = previous
        expected = max(expected, attempt.last_number + 1)
        previous = attempt
    if expected < below:
        gaps.append((expected, below - 1))
        if previous is not None and not previous.known and previous.last_number == expected - 1:
            before[expected] = previous
    if not gaps:
        return False
    for first, last in gaps:
        run = before.get(first)
        if run is not None:
            run.count += last - first + 1
        else:
            attempts.append(Attempt(generation=generation, number=first, known=False, count=last - first + 1))
    attempts.sort(key=lambda a: (a.generation, a.number))
    return True


def observe(container: ContainerState, obs: Observation, generation: int) -> bool:
    """Fold one observation into the container's attempts; True when an attempt was added or changed."""
    changed = False
    # RestartAllContainers' made-up lastState is no attempt of its own (`end_restarted` reads it)
    last = None if obs.last is None or is_restart_all(obs.last) else obs.last
    if obs.current is not None:
        changed |= place(container, generation, obs.rc, obs.current)
        if last is not None:
            changed |= place(container, generation, obs.rc - 1, last)
    elif obs.kind == "waiting" and last is not None or obs.kind == "" and last is not None:
        changed |= place(container, generation, obs.rc, last)
    if obs.kind:
        changed |= fill_unknown(container, generation, obs.rc)
    return changed


def ended_unseen(container: ContainerState, attempt: Attempt) -> bool:
    """A known attempt the API last showed running, yet not its container's newest: a later attempt proves
    it ended, but no object the watcher read showed how (a watch gap, then a relist that only shows later
    attempts). It is not running; its end, exit code and reason are unknown, like a placeholder's."""
    return (
        attempt.known
        and attempt.finished_at is None
        and attempt.exit_code is None
        and attempt is not container.attempts[-1]
    )


def latest_finished(container: ContainerState) -> Attempt | None:
    """The newest known attempt that has finished (has a finish time or an exit code)."""
    for attempt in reversed(container.attempts):
        if attempt.known and (attempt.finished_at is not None or attempt.exit_code is not None):
            return attempt
    return None


def needs_new_generation(container: ContainerState, obs: Observation) -> bool:
    """Whether this observation shows the Pod's containers starting over (sandbox recreated, §2 rule 7).

    Signs: restartCount went down; a regular init container that had completed (exit 0) runs again or
    shows a new container; an attempt number of the current generation now names another container.
    """
    if not container.state:
        return False  # first status of this container: nothing to compare with
    if obs.rc < container.restart_count:
        return True
    if container.kind == "init" and container.state == "terminated" and obs.kind:
        done = latest_finished(container)
        if done is not None and done.exit_code == 0 and done.generation == container.generation:
            if obs.kind != "terminated":
                return True
            new_id = obs.current.container_id if obs.current else ""
            if new_id and done.container_id and new_id != done.container_id:
                return True
    if obs.current is not None and obs.current.container_id:
        same = find_by_key(container, container.generation, obs.rc)
        if (
            same is not None
            and same.container_id
            and same.container_id != obs.current.container_id
            and find_by_id(container, obs.current.container_id) is None
        ):
            return True
    return False


__all__ = [
    "START_SKEW",
    "Observation",
    "Run",
    "fill_unknown",
    "find_by_id",
    "find_by_key",
    "latest_finished",
    "needs_new_generation",
    "observe",
    "observe_status",
    "place",
    "usable_start",
]
