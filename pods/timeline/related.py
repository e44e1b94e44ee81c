"""Events about other kinds than Pods: what they are about, which ones explain Pod startup, and what they
add to a diagnosis (pure; docs/kubernetes.md §5 "Events about other kinds").

- `about(event)` sorts an Event by what it is about: `pod` (the fold's), `workload` (a controller's
  `FailedCreate` / `SuccessfulCreate`), `node` (NotReady, disk or image-filesystem pressure and their
  recoveries), `pvc` (provisioning and binding), or None: skipped (counted by the caller, never rejected).
- `workload_of(kind, name)`: the workload an Event about a controller belongs to when the API cannot say
  (an import): a ReplicaSet named `<deployment>-<pod-template-hash>` is its Deployment's, a Job named
  `<cronjob>-<scheduled minute>` its CronJob's; the watcher resolves the same through ownerReferences.
- `workload_diagnosis(facts, now)`: the workload diagnosis `create-failed` and its clearing rule.
- `with_related(diagnosis, state, related)`: a Pod's diagnosis amended by the Events about its node and
  its PersistentVolumeClaims (the selectors gather them; this module only reads them).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Literal

from .model import Diagnosis, EventRecord, Owner, PodState
from .times import time_key

About = Literal["pod", "workload", "node", "pvc"]

# The kinds whose Events are a workload's (the controller's own kind and the workloads above them).
WORKLOAD_KINDS = frozenset({"ReplicaSet", "Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob"})
# What a controller says about creating Pods: the failure and the success that clears it.
WORKLOAD_REASONS = frozenset({"FailedCreate", "SuccessfulCreate"})
# Node conditions that hold Pods back, each with the Event that reports it and the one that clears it.
NODE_PROBLEMS: dict[str, tuple[str, str]] = {
    "NodeNotReady": ("NodeReady", "is NotReady"),
    "NodeHasDiskPressure": ("NodeHasNoDiskPressure", "has disk pressure"),
}
# The kubelet's image-filesystem troubles: no Event clears them but `NodeHasNoDiskPressure`.
NODE_DISK_WARNINGS = frozenset({"FreeDiskSpaceFailed", "ImageGCFailed", "EvictionThresholdMet"})
NODE_REASONS = frozenset(
    {*NODE_PROBLEMS, *(clear for clear, _ in NODE_PROBLEMS.values()), *NODE_DISK_WARNINGS}
)
PVC_FAILURES = frozenset({"ProvisioningFailed", "FailedBinding"})
PVC_WAITING = frozenset({"WaitForFirstConsumer", "ExternalProvisioning", "WaitForPodScheduled"})
PVC_REASONS = frozenset({*PVC_FAILURES, *PVC_WAITING, "ProvisioningSucceeded"})
PVC_KIND = "PersistentVolumeClaim"

# A ReplicaSet's pod-template-hash: client-go's SafeEncodeString of a 32-bit hash (at most 10 characters
# of its alphabet); a CronJob's Job: the scheduled time in minutes since the epoch.
_TEMPLATE_HASH = re.compile(r"^(?P<name>.+)-[bcdfghjklmnpqrstvwxz2456789]{6,10}$")
_SCHEDULED_MINUTE = re.compile(r"^(?P<name>.+)-\d{8,}$")

# A FailedCreate older than this with nothing newer is old news: the API server keeps Events an hour
# (`--event-ttl`), and a controller still failing retries within its back-off cap (1000 s) and so
# repeats the Event (count + 1, a new lastTimestamp) well within it.
CREATE_FAILED_STALE = timedelta(hours=1)
_MAX_TEXT = 300


def about(event: EventRecord) -> About | None:
    """What `event` is about, for the parts of Initscope that keep it; None: skip it (counted)."""
    kind = event.involved_kind or "Pod"
    if kind == "Pod":
        return "pod"
    if kind in WORKLOAD_KINDS:
        return "workload" if event.reason in WORKLOAD_REASONS else None
    if kind == "Node":
        return "node" if event.reason in NODE_REASONS else None
    if kind == PVC_KIND:
        return "pvc" if event.reason in PVC_REASONS else None
    return None


def workload_of(kind: str, name: str) -> Owner:
    """The workload the controller `kind`/`name` belongs to, guessed by name (the documented fallback when
    the API's ownerReferences are not at hand): `web-7d9f5c6b8` (ReplicaSet) -> Deployment `web`,
    `report-28945620` (Job) -> CronJob `report`; anything else is its own workload."""
    if kind == "ReplicaSet":
        match = _TEMPLATE_HASH.match(name)
        if match:
            return Owner("Deployment", match["name"])
    elif kind == "Job":
        match = _SCHEDULED_MINUTE.match(name)
        if match:
            return Owner("CronJob", match["name"])
    return Owner(kind, name)


def pod_workload(owner: Owner | None) -> Owner | None:
    """The workload a Pod counts for: its owner, a CronJob's Job named by schedule as the CronJob."""
    if owner is None or not owner.kind or not owner.name:
        return None
    return workload_of(owner.kind, owner.name) if owner.kind == "Job" else owner


def cronjob_job_pattern(cronjob: str) -> str:
    """A regular expression for the names of the Jobs a CronJob `cronjob` creates (`workload_of`'s rule)."""
    return "^" + re.escape(cronjob) + r"-[0-9]{8,}$"


@dataclass(frozen=True, slots=True)
class WorkloadFacts:
    """What the diagnosis of one workload reads: its newest `FailedCreate` (message, first and last time,
    count) and the newest sign its Pods can be created (a `SuccessfulCreate` Event or a Pod's creation)."""

    failed_message: str = ""
    failed_first_at: datetime | None = None
    failed_last_at: datetime | None = None
    failed_count: int = 0
    created_last_at: datetime | None = None


def create_failed_holds(
    *, failed_last_at: datetime | None, created_last_at: datetime | None, now: datetime
) -> bool:
    """The clearing rule of `create-failed`: it holds while the newest FailedCreate is newer than the newest
    SuccessfulCreate and the newest Pod creation of the workload, and not older than `CREATE_FAILED_STALE`
    at `now`. `pods.selectors.workload_stuck_q` states the same in SQL (a test holds both together)."""
    if failed_last_at is None:
        return False
    if created_last_at is not None and created_last_at >= failed_last_at:
        return False
    return now - failed_last_at <= CREATE_FAILED_STALE


def workload_diagnosis(facts: WorkloadFacts, *, now: datetime) -> Diagnosis | None:
    """`create-failed` (Pods that should exist do not: the controller's create is refused) or None."""
    if not create_failed_holds(
        failed_last_at=facts.failed_last_at, created_last_at=facts.created_last_at, now=now
    ):
        return None
    text = facts.failed_message.removeprefix("(combined from similar events): ")
    text = " ".join(text.split())
    if len(text) > _MAX_TEXT:
        text = text[: _MAX_TEXT - 1] + "…"
    times = f" ({facts.failed_count} times)" if facts.failed_count > 1 else ""
    summary = f"cannot create Pods{times}: {text or 'FailedCreate'}"
    return Diagnosis("create-failed", "", summary, facts.failed_first_at or facts.failed_last_at)


def _newest(events: Iterable[EventRecord], reasons: Iterable[str]) -> EventRecord | None:
    wanted = frozenset(reasons)
    found = [e for e in events if e.reason in wanted]
    return max(found, key=lambda e: (time_key(e.last_at), e.count), default=None)


def node_problems(node: str, events: Sequence[EventRecord]) -> list[str]:
    """What holds the node back now, in words (`node \\`n\\` is NotReady since …`), from its Events: a
    problem whose newest Event is newer than the newest Event clearing it."""
    mine = [e for e in events if e.involved_kind == "Node" and e.pod_name == node]
    found: list[str] = []
    for reason, (clear, words) in NODE_PROBLEMS.items():
        problem, cleared = _newest(mine, [reason]), _newest(mine, [clear])
        if problem is None or (
            cleared is not None and time_key(cleared.last_at) >= time_key(problem.last_at)
        ):
            continue
        found.append(f"node `{node}` {words}")
    disk = _newest(mine, NODE_DISK_WARNINGS)
    cleared = _newest(mine, ["NodeHasNoDiskPressure"])
    pressing = disk is not None and (cleared is None or time_key(cleared.last_at) < time_key(disk.last_at))
    if disk is not None and pressing and not any("disk pressure" in text for text in found):
        found.append(f"node `{node}`: {_short(disk.message or disk.reason)}")
    return found


def claim_problems(claims: Sequence[str], events: Sequence[EventRecord]) -> list[str]:
    """What holds the Pod's PersistentVolumeClaims back now, in words: a provisioning or binding failure
    newer than the claim's `ProvisioningSucceeded`, or (when nothing failed) the claim's wait."""
    found: list[str] = []
    for claim in claims:
        mine = [e for e in events if e.involved_kind == PVC_KIND and e.pod_name == claim]
        done = _newest(mine, ["ProvisioningSucceeded"])
        failed = _newest(mine, PVC_FAILURES)
        if failed is not None and (done is None or time_key(done.last_at) < time_key(failed.last_at)):
            found.append(
                f"PersistentVolumeClaim `{claim}` is unbound: {_short(failed.message or failed.reason)}"
            )
            continue
        waiting = _newest(mine, PVC_WAITING)
        if waiting is not None and done is None:
            found.append(
                f"PersistentVolumeClaim `{claim}` waits: {_short(waiting.message or waiting.reason)}"
            )
    return found


def with_related(
    diagnosis: Diagnosis | None, state: PodState, related: Sequence[EventRecord]
) -> Diagnosis | None:
    """`diagnosis` amended with what the Events about the Pod's node and claims say (`related`, gathered
    by the caller): an `unschedulable` Pod names its unbound claim, a stuck Pod on a NotReady node or one
    under disk pressure says so. The code and times stay the engine's; None stays None."""
    if diagnosis is None or not related:
        return diagnosis
    notes: list[str] = []
    if diagnosis.code == "unschedulable":
        notes = claim_problems(state_claims(state), related)
    elif state.node:
        notes = node_problems(state.node, related)
    if not notes:
        return diagnosis
    if diagnosis.code == "unschedulable":
        return replace(diagnosis, summary=f"{'; '.join(notes)} ({diagnosis.summary})")
    return replace(diagnosis, summary=f"{diagnosis.summary}; {'; '.join(notes)}")


def state_claims(state: PodState) -> list[str]:
    """The PersistentVolumeClaims the Pod mounts (`spec.volumes[].persistentVolumeClaim.claimName`)."""
    return list(state.claims)


def _short(text: str, limit: int = 160) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


__all__ = [
    "CREATE_FAILED_STALE",
    "NODE_REASONS",
    "PVC_KIND",
    "PVC_REASONS",
    "WORKLOAD_KINDS",
    "WORKLOAD_REASONS",
    "About",
    "WorkloadFacts",
    "about",
    "claim_problems",
    "create_failed_holds",
    "cronjob_job_pattern",
    "node_problems",
    "pod_workload",
    "state_claims",
    "with_related",
    "workload_diagnosis",
    "workload_of",
]
