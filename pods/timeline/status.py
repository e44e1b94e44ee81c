"""kubectl 1.35 `printPod` STATUS and RESTARTS (docs/kubernetes.md §3), from a raw Pod.

The walk runs over parsed container statuses (`attempts.Observation`) so that `apply_pod` computes it
from the observations it already parsed; `kubectl_status` parses a raw Pod and runs the same walk.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple

from .attempts import Observation, observe_status
from .model import TERMINAL_PHASES
from .parse import as_dict, as_list, as_str
from .raw import RawPod

Named = tuple[str, Observation]


class PodFacts(NamedTuple):
    """What printPod reads besides the container statuses."""

    phase: str
    reason: str  # status.reason
    scheduling_gated: bool
    initialized: bool  # condition Initialized is True
    ready: bool  # condition Ready is True
    deleting: bool  # metadata.deletionTimestamp is set
    sidecars: frozenset[str]
    init_count: int  # init containers in the spec, sidecars included
    app_count: int = -1  # containers in the spec (-1: unknown, count the statuses)


class _Tally:
    __slots__ = ("last", "ready", "restarts", "sidecar_last", "sidecar_restarts")

    def __init__(self) -> None:
        self.restarts = 0
        self.last: datetime | None = None
        self.sidecar_restarts = 0
        self.sidecar_last: datetime | None = None
        self.ready = 0


def _newer(a: datetime | None, b: datetime | None) -> datetime | None:
    if a is None:
        return b
    if b is None or a >= b:
        return a
    return b


def _terminated_text(obs: Observation, prefix: str) -> str:
    run = obs.current
    if run is not None and run.reason:
        return prefix + run.reason
    if run is not None and run.signal:
        return f"{prefix}Signal:{run.signal}"
    return f"{prefix}ExitCode:{(run.exit_code if run else 0) or 0}"


def _walk_init(statuses: Sequence[Named], facts: PodFacts, tally: _Tally) -> str | None:
    """Rule 3: the init walk. Returns the `Init:` reason when it stops (the Pod is initializing)."""
    for i, (name, obs) in enumerate(statuses):
        finished = obs.last.finished_at if obs.last is not None else None
        tally.restarts += obs.rc
        tally.last = _newer(tally.last, finished)
        is_sidecar = name in facts.sidecars
        if is_sidecar:
            tally.sidecar_restarts += obs.rc
            tally.sidecar_last = _newer(tally.sidecar_last, finished)
        terminated = obs.kind == "terminated"
        if terminated and not (obs.current.exit_code if obs.current else 0):
            continue
        if is_sidecar and obs.started is True:
            if obs.ready:
                tally.ready += 1
            continue
        if terminated:
            return _terminated_text(obs, "Init:")
        if obs.kind == "waiting" and obs.reason and obs.reason != "PodInitializing":
            return "Init:" + obs.reason
        return f"Init:{i}/{facts.init_count}"
    return None


def _walk_app(statuses: Sequence[Named], reason: str, tally: _Tally) -> tuple[str, bool, str]:
    """Rule 4: the app walk, last to first. Returns (reason, has_running, error_reason)."""
    has_running = False
    error_reason = ""
    for _, obs in reversed(statuses):
        tally.restarts += obs.rc
        if obs.last is not None:
            tally.last = _newer(tally.last, obs.last.finished_at)
        if obs.kind == "waiting" and obs.reason:
            reason = obs.reason
        elif obs.kind == "terminated":
            reason = _terminated_text(obs, "")
            if obs.current is not None and obs.current.exit_code:
                error_reason = reason  # 1.35 (PR #124766): a failed container's reason beats "Completed"
        elif obs.ready and obs.kind == "running":
            has_running = True
            tally.ready += 1
    return reason, has_running, error_reason


class Columns(NamedTuple):
    """kubectl's READY, STATUS and RESTARTS columns (and the newest restart RESTARTS counts)."""

    status: str
    restarts: int
    restarts_last_at: datetime | None
    ready: str  # `1/2`: ready containers of the app containers and sidecars (printPod's READY)


def print_pod(
    facts: PodFacts, inits: Sequence[Named], apps: Sequence[Named]
) -> tuple[str, int, datetime | None]:
    """printPod over parsed statuses: (STATUS, RESTARTS, newest lastState finishedAt counted)."""
    return print_columns(facts, inits, apps)[:3]


def print_columns(facts: PodFacts, inits: Sequence[Named], apps: Sequence[Named]) -> Columns:
    """printPod over parsed statuses, READY included: ready sidecars (started and ready, counted by the
    init walk) and ready running app containers, of the app containers and sidecars in the spec."""
    reason = facts.reason or facts.phase
    if facts.scheduling_gated:
        reason = "SchedulingGated"
    tally = _Tally()
    init_reason = _walk_init(inits, facts, tally)
    if init_reason is not None:
        reason = init_reason
    if init_reason is None or facts.initialized:
        tally.restarts = tally.sidecar_restarts
        tally.last = tally.sidecar_last
        reason, has_running, error_reason = _walk_app(apps, reason, tally)
        if reason == "Completed":
            if has_running and facts.ready:
                reason = "Running"
            elif error_reason:
                reason = error_reason
            elif has_running:
                reason = "NotReady"
    if facts.deleting:
        if facts.reason == "NodeLost":
            reason = "Unknown"
        elif facts.phase not in TERMINAL_PHASES:
            reason = "Terminating"
    total = (facts.app_count if facts.app_count >= 0 else len(apps)) + len(facts.sidecars)
    return Columns(reason, tally.restarts, (tally.last if tally.restarts else None), f"{tally.ready}/{total}")


def named_observations(statuses: Any) -> list[Named]:
    out = []
    for cs in as_list(statuses):
        if type(cs) is dict:
            name = cs.get("name")
            out.append((name if type(name) is str else "", observe_status(cs)))
    return out


def _condition(conditions: Any, kind: str) -> dict[str, Any] | None:
    for cond in conditions:
        if type(cond) is dict and cond.get("type") == kind:
            return cond
    return None


def pod_facts(raw_pod: RawPod, conditions: Any) -> PodFacts:
    """The non-status facts printPod reads, from a raw Pod (`conditions`: its raw condition list)."""
    spec = as_dict(raw_pod.get("spec"))
    status = as_dict(raw_pod.get("status"))
    inits = as_list(spec.get("initContainers"))
    sidecars = frozenset(
        c["name"]
        for c in inits
        if type(c) is dict and c.get("restartPolicy") == "Always" and type(c.get("name")) is str
    )
    gated = any(
        type(c) is dict and c.get("type") == "PodScheduled" and c.get("reason") == "SchedulingGated"
        for c in conditions
    )
    initialized = _condition(conditions, "Initialized")
    ready = _condition(conditions, "Ready")
    return PodFacts(
        phase=as_str(status.get("phase")),
        reason=as_str(status.get("reason")),
        scheduling_gated=gated,
        initialized=initialized is not None and initialized.get("status") == "True",
        ready=ready is not None and ready.get("status") == "True",
        deleting=bool(as_dict(raw_pod.get("metadata")).get("deletionTimestamp")),
        sidecars=sidecars,
        init_count=len(inits),
        app_count=len(as_list(spec.get("containers"))),
    )


def kubectl_status(raw_pod: RawPod) -> tuple[str, int, datetime | None]:
    """kubectl 1.35's STATUS and RESTARTS for a raw Pod, and the newest lastState finishedAt counted.

    Follows `printPod` (docs/kubernetes.md §3 rules 1–7): Init:<i>/<n>, Init:<reason>, Init:Signal:<n>,
    Init:ExitCode:<n>, PodInitializing, SchedulingGated, NotReady, Completed, Terminating, Unknown
    (NodeLost). The ` (<age> ago)` suffix of RESTARTS is left to the caller. Never raises.
    """
    if type(raw_pod) is not dict:
        return "", 0, None
    status = as_dict(raw_pod.get("status"))
    facts = pod_facts(raw_pod, as_list(status.get("conditions")))
    inits = named_observations(status.get("initContainerStatuses"))
    if not facts.init_count and inits:
        facts = facts._replace(init_count=len(inits))  # no spec (odd input): count what the status shows
    return print_pod(facts, inits, named_observations(status.get("containerStatuses")))


def kubectl_ready(raw_pod: RawPod) -> str:
    """kubectl 1.35's READY column for a raw Pod (`1/2`); "" for what is not a Pod. Never raises."""
    if type(raw_pod) is not dict:
        return ""
    status = as_dict(raw_pod.get("status"))
    facts = pod_facts(raw_pod, as_list(status.get("conditions")))
    inits = named_observations(status.get("initContainerStatuses"))
    return print_columns(facts, inits, named_observations(status.get("containerStatuses"))).ready


__all__ = [
    "Columns",
    "PodFacts",
    "kubectl_ready",
    "kubectl_status",
    "named_observations",
    "pod_facts",
    "print_columns",
    "print_pod",
]
