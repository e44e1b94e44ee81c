"""Folding raw Pod objects into a `PodState` (pure; no I/O); Events are folded by `fold_events`.

Both `apply_pod` and `fold_events.apply_event` MUTATE and return the given state (or return a new one
when given None), and report whether anything that matters changed. Neither copies the input object;
nothing from the spec is kept beyond container names, images, restartPolicy, probe presence,
activeDeadlineSeconds, nodeName and the describe facts of `describe.spec_facts` (never env or envFrom
values, commands or args).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import orjson

from . import restart_all, waiting
from .attempts import Observation, needs_new_generation, observe
from .container_facts import fold_spec_policies, fold_status_facts
from .describe import spec_facts
from .diagnosis import compute_failure
from .errors import MalformedObject
from .model import (
    Condition,
    ContainerKind,
    ContainerState,
    Generation,
    Owner,
    PodState,
    set_fields,
    set_if_changed,
)
from .parse import as_dict, as_int, as_list, as_str, compare_rv, pod_identity
from .raw import RawPod
from .status import PodFacts, named_observations, pod_facts, print_columns
from .steps import compute_step
from .times import UNIX_EPOCH, newest_time, parse_time

_CONDITION_MILESTONES = {
    "PodScheduled": "scheduled_at",
    "PodReadyToStartContainers": "sandbox_ready_at",
    "Initialized": "initialized_at",
    "ContainersReady": "containers_ready_at",
    "Ready": "ready_at",
}


# ---------------------------------------------------------------------------------------------- Pods


def apply_pod(
    state: PodState | None,
    raw_pod: RawPod,
    *,
    deleted: bool = False,
    observed_at: datetime | None = None,
    identity: tuple[str, str, str, str] | None = None,
) -> tuple[PodState, bool]:
    """Fold one Pod object (ADDED/MODIFIED, or the final object of DELETED with `deleted=True`).

    Returns (state, changed). A new `PodState` when `state` is None; otherwise the given state is mutated
    in place and returned. `changed` is False when nothing but `resource_version` moved (the returned
    state still carries the new RV). Stale and duplicate objects (same RV, or a smaller integer RV for the
    same uid, docs/kubernetes.md §6 rule 6) are dropped, but a DELETED one still marks the Pod deleted.
    `observed_at` (when the watcher received the object) dates `waiting_since`, and `deleted_at` when the
    object has no time of its own. Raises `MalformedObject` for an unusable object or a uid mismatch.
    `identity` is the object's `pod_identity`, when the caller has read it already (it is read once).
    """
    uid, namespace, name, rv = identity or pod_identity(raw_pod)
    if state is None:
        state = PodState(uid=uid)
    elif state.uid != uid:
        raise MalformedObject(f"Pod uid {uid!r} folded into the timeline of {state.uid!r}")
    if state.seen and state.resource_version:
        order = compare_rv(rv, state.resource_version)
        if order is not None and order <= 0:
            if deleted and state.deleted_at is None:
                _mark_deleted(state, raw_pod, observed_at)
                finish(state)
                return state, True
            return state, False
    state.resource_version = rv
    changed = _fold_pod(state, raw_pod, namespace, name, observed_at)
    if deleted and state.deleted_at is None:
        _mark_deleted(state, raw_pod, observed_at)
        changed = True
    if changed or not state.step:
        # step and failure are functions of the state alone: unchanged state, unchanged result
        changed |= finish(state)
    return state, changed


def mark_vanished(state: PodState, *, at: datetime, last_seen: datetime | None = None) -> bool:
    """Close the timeline of a Pod that a relist no longer shows (deleted while no watch saw it).

    docs/kubernetes.md §6 rule 4 / §8: objects absent from a new list were deleted meanwhile, at a time
    nobody saw. It lies between the last moment the Pod is known to have existed and `at` (when the relist
    ran): `deleted_at` is that earliest moment (the latest of `last_seen`, when the watcher last received
    the Pod, its deletion request, its newest activity and its creation; never after `at`) and
    `vanished_at` is `at`. Returns whether anything changed (False when it was already deleted).
    """
    if state.deleted_at is not None:
        return False
    known_alive = (last_seen, state.deletion_requested_at, _newest_activity(state), state.created_at)
    earliest = newest_time(known_alive)
    state.deleted_at = at if earliest is None or earliest > at else earliest
    state.vanished_at = at
    finish(state)
    return True


def deletion_request(meta: Any) -> tuple[datetime | None, datetime | None]:
    """(when the deletion was requested, the deadline) from an object's metadata (docs/kubernetes.md §6).

    The API sets `deletionTimestamp` to the request time plus `deletionGracePeriodSeconds`; the kubelet's
    final grace-0 update moves it back to the request time with grace 0. Either way the request is
    `deletionTimestamp − deletionGracePeriodSeconds`.
    """
    deadline = parse_time(meta.get("deletionTimestamp"))
    if deadline is None:
        return None, None
    grace = as_int(meta.get("deletionGracePeriodSeconds")) or 0
    try:
        return deadline - timedelta(seconds=max(grace, 0)), deadline
    except OverflowError:  # a grace period no clock can hold: the deadline is all that is known
        return deadline, deadline


def finish(state: PodState) -> bool:
    """Recompute the derived step and failure (after every apply)."""
    step, since = compute_step(state)
    changed = set_if_changed(state, "step", step)
    changed |= set_if_changed(state, "step_since", since)
    changed |= set_if_changed(state, "failure", compute_failure(state))
    return changed


def _mark_deleted(state: PodState, raw_pod: RawPod, observed_at: datetime | None) -> None:
    # The object's own newest time (deletionTimestamp, last container finish) is the best estimate of
    # when it went away and keeps replays deterministic; the watcher's clock is the fallback.
    # (creationTimestamp alone says nothing about the deletion: then the watcher's clock is better.)
    at, _ = deletion_request(as_dict(raw_pod.get("metadata")))
    newest = _newest_activity(state)
    if newest is not None and (at is None or newest > at):
        at = newest
    state.deleted_at = at or observed_at or state.created_at or UNIX_EPOCH


def _fold_pod(state: PodState, raw: RawPod, namespace: str, name: str, observed_at: datetime | None) -> bool:
    meta = as_dict(raw.get("metadata"))
    spec = as_dict(raw.get("spec"))
    status = as_dict(raw.get("status"))
    changed = set_if_changed(state, "seen", True)
    changed |= set_if_changed(state, "namespace", namespace)
    changed |= set_if_changed(state, "name", name)
    changed |= _fold_meta(state, meta)
    key = _spec_key(spec, meta, status)
    # The same spec as the object folded last (its containers synced to it since): what the fold reads
    # from the spec alone stands, as it would be read again.
    same_spec = bool(key) and bool(state.containers) and _same_spec(key, state._spec_key)
    if not same_spec:
        changed |= _fold_spec(state, spec)
    changed |= _fold_spec_facts(state, raw, key)
    changed |= _fold_status(state, status)
    raw_conditions = as_list(status.get("conditions"))
    changed |= _fold_conditions(state, raw_conditions)
    inits = named_observations(status.get("initContainerStatuses"))
    apps = named_observations(status.get("containerStatuses"))
    changed |= _fold_containers(state, spec, status, inits + apps, observed_at, same_spec=same_spec)
    state._spec_key = key  # only once the spec's steps are through: a fold failing before them keeps none
    facts = _facts(state, meta, raw, raw_conditions, inits)
    text, restarts, last_at, ready = print_columns(facts, inits, apps)
    changed |= set_if_changed(state, "status", text)
    changed |= set_if_changed(state, "ready_containers", ready)
    changed |= set_if_changed(state, "restarts", restarts)
    changed |= set_if_changed(state, "restarts_last_at", last_at)
    changed |= set_if_changed(state, "last_seen_at", _newest_time(state))
    return changed


def _spec_key(spec: Any, meta: Any, status: Any) -> bytes:
    """The bytes of what the spec-only steps read (the spec), a newline (JSON bytes hold none), then of what
    `describe.spec_facts` reads besides (the Pod's IPs and QoS class, its name); b"" when it is not plain
    JSON (an integer past 64 bits): then everything is read."""
    try:
        read = (status.get("podIP"), status.get("hostIP"), status.get("qosClass"), meta.get("name"))
        return b"%b\n%b" % (orjson.dumps(spec), orjson.dumps(read))
    except TypeError:  # orjson.JSONEncodeError
        return b""


def _same_spec(key: bytes, previous: bytes) -> bool:
    """Whether two `_spec_key`s hold the same spec."""
    end = key.index(b"\n")
    return len(previous) > end and previous[end] == 10 and previous[:end] == key[:end]  # 10: the newline


def _fold_spec_facts(state: PodState, raw: RawPod, key: bytes) -> bool:
    """`describe.spec_facts` of the object, read again only when what it reads (`_spec_key`: the spec, the
    Pod's IPs and QoS class, its name) differs from the object it was last read from: most objects of a
    Pod change only its status, and the spec's bytes compare far cheaper than reading it (a third of a
    fold)."""
    if key and key == state._spec_key:
        return False
    return set_if_changed(state, "spec_facts", spec_facts(raw))


def _facts(
    state: PodState, meta: Any, raw: RawPod, raw_conditions: Any, inits: list[tuple[str, Observation]]
) -> PodFacts:
    """printPod's inputs from the folded state (cheaper than re-reading the raw Pod)."""
    spec = as_dict(raw.get("spec"))
    if (
        not raw_conditions
        or len(state.conditions) != len(raw_conditions)
        or not as_list(spec.get("containers"))
        or (not as_list(spec.get("initContainers")) and inits)
    ):
        facts = pod_facts(raw, raw_conditions)  # odd object: read it exactly as kubectl would
        return facts._replace(init_count=len(inits)) if not facts.init_count and inits else facts
    app_count = sum(1 for c in state.containers if c.kind == "app")
    gated = False
    initialized = ready = None  # kubectl reads the first condition of each type
    for cond in state.conditions:
        kind = cond.type
        if kind == "PodScheduled":
            gated = gated or cond.reason == "SchedulingGated"
        elif kind == "Initialized" and initialized is None:
            initialized = cond.status == "True"
        elif kind == "Ready" and ready is None:
            ready = cond.status == "True"
    sidecars = frozenset(c.name for c in state.containers if c.kind == "sidecar")
    init_count = sum(1 for c in state.containers if c.kind != "app") or len(inits)
    return PodFacts(
        state.phase,
        state.reason,
        gated,
        initialized is True,
        ready is True,
        bool(meta.get("deletionTimestamp")),
        sidecars,
        init_count,
        app_count,
    )


def _fold_meta(state: PodState, meta: Any) -> bool:
    changed = set_if_changed(state, "created_at", parse_time(meta.get("creationTimestamp")))
    requested, deadline = deletion_request(meta)
    changed |= set_fields(state, deletion_requested_at=requested, deletion_deadline_at=deadline)
    labels = meta.get("labels")
    if type(labels) is dict:
        if labels != state.labels:
            clean = {k: v for k, v in labels.items() if type(k) is str and type(v) is str}
            changed |= set_if_changed(state, "labels", clean)
    elif state.labels and labels is None and "labels" in meta:
        changed |= set_if_changed(state, "labels", {})
    controller = _controller_ref(meta.get("ownerReferences"))
    if controller != state.controller:
        state.controller = controller
        state.owner = _workload(controller, state.labels)
        changed = True
    return changed


def _controller_ref(refs: object) -> Owner | None:
    for ref in as_list(refs):
        if type(ref) is dict and ref.get("controller") is True:
            kind, name = as_str(ref.get("kind")), as_str(ref.get("name"))
            if kind or name:
                return Owner(kind, name)
    return None


def _workload(controller: Owner | None, labels: dict[str, str]) -> Owner | None:
    """The workload: a ReplicaSet named `<deploy>-<pod-template-hash>` stands for its Deployment (§7)."""
    if controller is None:
        return None
    if controller.kind == "ReplicaSet":
        template_hash = labels.get("pod-template-hash", "")
        suffix = "-" + template_hash
        if template_hash and controller.name.endswith(suffix) and len(controller.name) > len(suffix):
            return Owner("Deployment", controller.name[: -len(suffix)])
    return Owner(controller.kind, controller.name)


def _fold_spec(state: PodState, spec: Any) -> bool:
    changed = set_if_changed(state, "node", as_str(spec.get("nodeName")))
    changed |= set_if_changed(state, "restart_policy", as_str(spec.get("restartPolicy")) or "Always")
    deadline = as_int(spec.get("activeDeadlineSeconds"))
    changed |= set_if_changed(state, "active_deadline_seconds", deadline)
    claims = [
        name
        for volume in as_list(spec.get("volumes"))
        if (name := as_str(as_dict(as_dict(volume).get("persistentVolumeClaim")).get("claimName")))
    ]
    changed |= set_if_changed(state, "claims", claims)
    return changed


def _fold_status(state: PodState, status: Any) -> bool:
    changed = set_if_changed(state, "phase", as_str(status.get("phase")))
    changed |= set_if_changed(state, "reason", as_str(status.get("reason")))
    changed |= set_if_changed(state, "message", as_str(status.get("message")))
    changed |= set_if_changed(state, "started_at", parse_time(status.get("startTime")))
    return changed


def _same_conditions(raw_conditions: Any, current: list[Condition]) -> bool:
    """Whether the raw conditions say exactly what `current` holds (checked without building objects)."""
    if len(raw_conditions) != len(current):
        return False
    for raw, cond in zip(raw_conditions, current, strict=True):
        if (
            type(raw) is not dict
            or raw.get("type") != cond.type
            or raw.get("status") != cond.status
            or (raw.get("reason") or "") != cond.reason
            or (raw.get("message") or "") != cond.message
            or parse_time(raw.get("lastTransitionTime")) != cond.last_transition_at
        ):
            return False
    return True


def _fold_conditions(state: PodState, raw_conditions: Any) -> bool:
    if not raw_conditions:
        return False  # an object without conditions says nothing about them: keep what we know
    if _same_conditions(raw_conditions, state.conditions):
        return False
    conditions = []
    for raw in raw_conditions:
        if type(raw) is not dict or type(raw.get("type")) is not str:
            continue
        conditions.append(
            Condition(
                type=raw["type"],
                status=as_str(raw.get("status")),
                reason=as_str(raw.get("reason")),
                message=as_str(raw.get("message")),
                last_transition_at=parse_time(raw.get("lastTransitionTime")),
            )
        )
    changed = False
    if conditions != state.conditions:
        state.conditions = conditions
        changed = True
    for cond in conditions:
        attr = _CONDITION_MILESTONES.get(cond.type)
        if attr is None:
            continue
        if cond.status == "True":
            if cond.last_transition_at is not None:
                changed |= set_if_changed(state, attr, cond.last_transition_at)
        elif cond.status == "False" and not state.terminal and attr != "scheduled_at":
            # A milestone mirrors its condition while the Pod lives (re-initialisation clears it);
            # terminal Pods keep theirs for the waterfall.
            changed |= set_if_changed(state, attr, None)
    return changed


def _newest_time(state: PodState) -> datetime | None:
    return newest_time((_newest_activity(state), state.created_at))


def _newest_activity(state: PodState) -> datetime | None:
    """The newest time the object shows after its creation (deletion, start, conditions, containers, and
    the ends of their last attempts: a container waiting in back-off shows its `lastState`'s finishedAt
    and no time of its own)."""
    return newest_time(
        (
            state.deletion_requested_at,
            state.started_at,
            *(cond.last_transition_at for cond in state.conditions),
            *(container.state_since for container in state.containers),
            *(attempt.finished_at for container in state.containers for attempt in container.attempts[-2:]),
        )
    )


# ------------------------------------------------------------------------------------------ containers


# (name, kind, image, has_startup_probe) of a container the Pod names
_Wanted = tuple[str, ContainerKind, str, bool]
_SPEC_KEYS: tuple[tuple[str, ContainerKind], ...] = (("initContainers", "init"), ("containers", "app"))
_STATUS_KEYS: tuple[tuple[str, ContainerKind], ...] = (
    ("initContainerStatuses", "init"),
    ("containerStatuses", "app"),
)


def _spec_containers(spec: Any) -> list[_Wanted]:
    """(name, kind, image, has_startup_probe) in start order: init containers then app containers."""
    out: list[_Wanted] = []
    seen: set[str] = set()
    for key, default_kind in _SPEC_KEYS:
        for c in as_list(spec.get(key)):
            if type(c) is not dict:
                continue
            name = c.get("name")
            if type(name) is not str or not name or name in seen:
                continue
            seen.add(name)
            kind: ContainerKind = (
                "sidecar" if default_kind == "init" and c.get("restartPolicy") == "Always" else default_kind
            )
            probe = c.get("startupProbe")
            out.append((name, kind, as_str(c.get("image")), type(probe) is dict and bool(probe)))
    return out


def _status_containers(status: Any) -> list[_Wanted]:
    """Fallback when the spec names no container: what the statuses show (kinds can only be guessed)."""
    out: list[_Wanted] = []
    seen: set[str] = set()
    for key, kind in _STATUS_KEYS:
        for cs in as_list(status.get(key)):
            name = as_dict(cs).get("name")
            if type(name) is str and name and name not in seen:
                seen.add(name)
                out.append((name, kind, as_str(cs.get("image")), False))
    return out


def _sync_containers(state: PodState, wanted: list[_Wanted]) -> bool:
    """Make `state.containers` match the spec, keeping each container's history by name."""
    current = state.containers
    if len(current) == len(wanted) and all(
        c.name == w[0] and c.kind == w[1] for c, w in zip(current, wanted, strict=True)
    ):
        changed = False
        for c, (_, _, image, probe) in zip(current, wanted, strict=True):
            changed |= set_if_changed(c, "image", image)
            changed |= set_if_changed(c, "has_startup_probe", probe)
        return changed
    by_name = {c.name: c for c in current}
    rebuilt = []
    for index, (name, kind, image, probe) in enumerate(wanted):
        c = by_name.get(name) or ContainerState(name=name, kind=kind, index=index)
        c.kind, c.index, c.image, c.has_startup_probe = kind, index, image, probe
        c.generation = max(c.generation, state.init_generation)
        rebuilt.append(c)
    state.containers = rebuilt
    return True


def _fold_containers(
    state: PodState,
    spec: Any,
    status: Any,
    observed: list[tuple[str, Observation]],
    observed_at: datetime | None,
    *,
    same_spec: bool = False,
) -> bool:
    """`same_spec`: the spec is the one the containers were synced to last, with its policies."""
    changed = False
    if not same_spec:
        wanted = _spec_containers(spec)
        if not wanted:
            wanted = _status_containers(status) if not state.containers else []
        changed = _sync_containers(state, wanted) if wanted else False
        changed |= fold_spec_policies(state, spec)
    by_name = {c.name: c for c in state.containers}
    # statuses of containers the spec does not name are ignored
    pairs = [(by_name[name], obs) for name, obs in observed if name in by_name]
    changed |= fold_status_facts(state, status)
    when = observed_at or _conditions_time(state) or state.created_at
    restarted = any(restart_all.shows_restart_all(obs) for _, obs in pairs)
    began = restart_all.restart_began(state) if restarted else None
    restart = restarted and any(restart_all.opens_generation(c, obs) for c, obs in pairs)
    if restart or any(needs_new_generation(c, obs) for c, obs in pairs):
        state.init_generation += 1
        for c in state.containers:
            c.generation = state.init_generation
        cause, since = ("restart-all", began or when) if restart else ("sandbox", when)
        state.generations.append(Generation(state.init_generation, cause, since))
        changed = True
    for container, obs in pairs:
        if restarted:
            changed |= restart_all.end_restarted(container, obs, began)
        changed |= observe(container, obs, state.init_generation)
        seen_at = when if observed_at is not None else _replay_time(when, obs)
        changed |= _fold_container_status(container, obs, seen_at)
    return changed


def _replay_time(when: datetime | None, obs: Observation) -> datetime | None:
    """A replayed container status's stand-in clock: the Pod's newest condition transition, but never
    before the container's own newest time (a crash loop changes no condition, so a back-off seen after
    the third run would otherwise be dated at the Pod's initialization; docs/kubernetes.md §2)."""
    own = [run.finished_at or run.started_at for run in (obs.current, obs.last) if run is not None]
    return newest_time([when, *own])


def _conditions_time(state: PodState) -> datetime | None:
    """The newest condition transition (a replay's stand-in for the watcher's clock)."""
    return newest_time(cond.last_transition_at for cond in state.conditions)


def _fold_container_status(c: ContainerState, obs: Observation, when: datetime | None) -> bool:
    changed = False
    if c.state != obs.kind or c.state_reason != obs.reason:
        if obs.kind == "waiting":
            # one problem keeps its start: ErrImagePull <-> ImagePullBackOff flip while one pull fails
            family = waiting.family
            same_problem = c.state == "waiting" and family(c.state_reason) == family(obs.reason)
            if not same_problem or c.waiting_since is None:
                c.waiting_since = when
        else:
            c.waiting_since = None
        c.state = obs.kind
        c.state_reason = obs.reason
        changed = True
    since = None
    if obs.current is not None:
        since = obs.current.finished_at if obs.kind == "terminated" else obs.current.started_at
    began = obs.current.started_at if obs.current is not None else None
    changed |= waiting.observe(c, obs.kind, obs.reason, obs.message, when, ended_by=began)
    return changed | set_fields(
        c,
        state_since=since,
        state_message=obs.message,
        restart_count=obs.rc,
        ready=obs.ready,
        started=obs.started,
    )


__all__ = ["apply_pod", "deletion_request", "finish", "mark_vanished"]
