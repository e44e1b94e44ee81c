"""Waiting spans: when a container was seen waiting, for which reason (docs/kubernetes.md §2, §5).

The status shows only the current waiting reason; the waterfall draws the whole story (33 s of
ErrImagePull/ImagePullBackOff before a pull succeeded, 42 s of CreateContainerConfigError, minutes of
CrashLoopBackOff, ContainerCreating while volumes mount). Each container keeps the spans during which a
waiting reason was observed, from two sources:

- status observations (`observe`): the first and last time a reason was seen, and when something else
  was first seen (a running or terminated state ends the span at its own `startedAt`/`finishedAt` when
  that is earlier than the observation);
- the container's Events (`observe_event`): `Failed` (`Error: ErrImagePull`, `Failed to pull image…`,
  `Error: configmap "x" not found`) and `BackOff` (`Back-off pulling image…`, `Back-off restarting
  failed container…`), whose first/last times widen the span they belong to (second resolution, but
  dated by the kubelet rather than by whoever observed the status).

Bounded: consecutive observations of one family merge into one span; at most `MAX_SPANS` per container,
the oldest dropped first and counted in `ContainerState.waiting_dropped`. Only the waiting message is
kept (Kubernetes shows it in the status already); never an Event message.
"""

from __future__ import annotations

from datetime import datetime

from .model import ContainerState, WaitingSpan

MAX_SPANS = 16
MAX_MESSAGE = 400
# `PodInitializing`: an app container waits for the init containers (their lanes tell that story).
IGNORED = frozenset({"", "PodInitializing"})
# Reasons that continue one problem (one home: the fold's `waiting_since` uses it too): ErrImagePull <->
# ImagePullBackOff alternate while one pull fails.
_FAMILY = {
    "ErrImagePull": "image",
    "ImagePullBackOff": "image",
    "RegistryUnavailable": "image",
    "CreateContainerConfigError": "config",
    "CreateContainerError": "config",
    # no container yet (pulling, mounting): one wait for the start, whichever of the two the status says
    "PodInitializing": "start",
    "ContainerCreating": "start",
}
IMAGE_ERRORS = frozenset({"ErrImagePull", "ImagePullBackOff", "InvalidImageName", "ErrImageNeverPull"})


def family(reason: str) -> str:
    return _FAMILY.get(reason, reason)


def _open(container: ContainerState) -> WaitingSpan | None:
    spans = container.waiting_spans
    return spans[-1] if spans and spans[-1].ended_at is None else None


def _add_reason(span: WaitingSpan, reason: str) -> None:
    if reason and reason not in span.reason.split("/"):
        span.reason = f"{span.reason}/{reason}" if span.reason else reason


def _append(container: ContainerState, span: WaitingSpan) -> None:
    container.waiting_spans.append(span)
    extra = len(container.waiting_spans) - MAX_SPANS
    if extra > 0:
        del container.waiting_spans[:extra]
        container.waiting_dropped += extra


def _earliest(a: datetime | None, b: datetime | None) -> datetime | None:
    return b if a is None or (b is not None and b < a) else a


def _latest(a: datetime | None, b: datetime | None) -> datetime | None:
    return b if a is None or (b is not None and b > a) else a


def _continues(container: ContainerState, reason: str) -> bool:
    """The newest span is of `reason`'s family, was closed at its own last sighting (as an Event's span
    is, or by a status telling of no wait: `IGNORED`; not by a later status showing a running or terminated
    state), and the container has not run since it began."""
    if not container.waiting_spans:
        return False
    span = container.waiting_spans[-1]
    if family(span.reason.split("/")[0]) != family(reason) or span.first_at is None:
        return False
    if span.ended_at is None or span.last_at is None or span.ended_at > span.last_at:
        return False
    return not any(a.started_at is not None and a.started_at >= span.first_at for a in container.attempts)


def observe(
    container: ContainerState,
    kind: str,
    reason: str,
    message: str,
    when: datetime | None,
    *,
    ended_by: datetime | None = None,
) -> bool:
    """Record one status observation (`kind` waiting/running/terminated). `ended_by`: the observed
    state's own start (running.startedAt, terminated.finishedAt), the latest a waiting span can end.
    Returns whether the spans changed."""
    current = _open(container)
    if kind == "waiting" and reason not in IGNORED:
        message = message[:MAX_MESSAGE]
        if current is not None and family(current.reason.split("/")[0]) == family(reason):
            before = (current.reason, current.message, current.last_at, current.observations)
            _add_reason(current, reason)
            current.message = message
            current.last_at = _latest(current.last_at, when)
            current.first_at = _earliest(current.first_at, when)
            current.observations += 1
            return before != (current.reason, current.message, current.last_at, current.observations - 1)
        if current is not None:
            current.ended_at = _latest(current.last_at, when)
        elif _continues(container, reason):
            # an Event told of this wait before the status did (and closed its span): one wait, one span
            span = container.waiting_spans[-1]
            _add_reason(span, reason)
            span.message, span.ended_at = message, None
            span.first_at = _earliest(span.first_at, when)
            span.last_at = _latest(span.last_at, when)
            span.observations += 1
            return True
        _append(container, WaitingSpan(reason, message, when, when))
        return True
    if current is None:
        return False
    if kind == "waiting":
        # `PodInitializing` or no reason: no sign that the wait went on, nor that it is over (the Pod's
        # status can lag behind the kubelet's Events). The span ends at its last sighting, so that a later
        # sighting of the same wait, with no attempt started in between, continues it (`_continues`).
        current.ended_at = current.last_at or current.first_at
        return True
    end = when
    if ended_by is not None and (end is None or ended_by < end):
        end = ended_by
    current.ended_at = _latest(current.last_at, end) if end is not None else current.last_at
    if current.ended_at is None:
        current.ended_at = current.first_at
    return True


def event_reason(reason: str, message: str, current: str) -> str:
    """The waiting reason a container Event stands for ("" when it stands for none). `current` is the
    reason of the container's newest span: `Error: <text>` of a config error names no reason."""
    if reason == "BackOff":
        if message.startswith("Back-off pulling image"):
            return "ImagePullBackOff"
        if message.startswith("Back-off restarting failed container"):
            return "CrashLoopBackOff"
        return ""
    if reason != "Failed":
        return ""
    if message.startswith("Failed to pull image"):
        return "ErrImagePull"
    if message.startswith("Error: "):
        named = message[len("Error: ") :].strip()
        if named in IMAGE_ERRORS:
            return named
        if family(current) == "config":
            return current
    return ""


def observe_event(
    container: ContainerState, reason: str, message: str, first_at: datetime | None, last_at: datetime | None
) -> bool:
    """Widen the span a container Event (`Failed`, `BackOff`) belongs to by its first/last times, or
    add one (ended at the Event's last time) when no span of that family is known. The Event's message
    is never kept."""
    newest = container.waiting_spans[-1].reason.split("/")[0] if container.waiting_spans else ""
    waiting = event_reason(reason, message, newest)
    if not waiting or (first_at is None and last_at is None):
        return False
    first, last = first_at or last_at, last_at or first_at
    spans = container.waiting_spans
    for index in range(len(spans) - 1, -1, -1):
        span = spans[index]
        if family(span.reason.split("/")[0]) != family(waiting):
            continue
        # the newest span of its family. Its end may come from a coarse clock (a recording's condition
        # times): the kubelet still reporting the wait later proves it lasted, up to the next span.
        before = (span.reason, span.first_at, span.last_at, span.ended_at)
        _add_reason(span, waiting)
        span.first_at = _earliest(span.first_at, first)
        following = spans[index + 1].first_at if index + 1 < len(spans) else None
        if last is not None and (following is None or last <= following):
            span.last_at = _latest(span.last_at, last)
            if span.ended_at is not None and span.ended_at < last:
                span.ended_at = last
        return before != (span.reason, span.first_at, span.last_at, span.ended_at)
    # no status yet (the Event came first), or the status shows this very wait: it is still open
    still = not container.state or (
        container.state == "waiting" and family(container.state_reason) == family(waiting)
    )
    span = WaitingSpan(waiting, "", first, last, ended_at=None if still else last)
    # keep the spans in time order: an Event may tell of a wait older than what the status showed
    at = len(container.waiting_spans)
    while at > 0 and first is not None and (container.waiting_spans[at - 1].first_at or first) > first:
        at -= 1
    if at < len(container.waiting_spans):
        span.ended_at = last  # a newer span follows: this wait is over
    container.waiting_spans.insert(at, span)
    extra = len(container.waiting_spans) - MAX_SPANS
    if extra > 0:
        del container.waiting_spans[:extra]
        container.waiting_dropped += extra
    return True


__all__ = ["IGNORED", "MAX_SPANS", "event_reason", "family", "observe", "observe_event"]
