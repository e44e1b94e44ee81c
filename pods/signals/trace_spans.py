"""The spans of one Pod startup, laid out from the timeline engine's `PodState` (pods.signals.traces
says what each span is and where its times come from): scheduling, then per container in start order its
image pull and queue wait, its attempts, the back-off gaps between them and runs of placeholders.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from pods.signals.trace_model import Attributes, Span, SpanEvent, StartupEnd, span_id, trace_id
from pods.timeline.attempts import ended_unseen, usable_start
from pods.timeline.model import Attempt, ContainerState, PodState, Pull
from pods.timeline.times import format_time, newest_time

_SPAN_PREFIX = {"init": "init", "sidecar": "sidecar", "app": "container"}
MESSAGE_LIMIT = 1000  # characters of a message kept in an attribute (termination messages reach 4 KiB)


def _message(text: str) -> str:
    return text if len(text) <= MESSAGE_LIMIT else text[: MESSAGE_LIMIT - 1] + "…"


class SpanBuilder:
    """The spans of one startup, laid out container by container in start order (`build`)."""

    def __init__(self, state: PodState, end: StartupEnd, start: datetime) -> None:
        self.state = state
        self.end = end
        self.generation = end.generation
        self.trace = trace_id(state.uid, end.generation)
        self.start = start
        self.spans: list[Span] = []
        # The newest end of the init containers and sidecars laid out so far: the earliest moment the
        # next container can have started (a bound for its placeholders).
        self.init_floor = start

    def span(
        self,
        key: str,
        name: str,
        parent: Span | None,
        start: datetime,
        end: datetime,
        attributes: Attributes | None = None,
    ) -> Span:
        span = Span(
            key=key,
            name=name,
            span_id=span_id(self.trace, key),
            parent_id=parent.span_id if parent is not None else "",
            start_at=start,
            end_at=max(end, start),  # clocks of different components can disagree: never negative
            attributes=dict(attributes or {}),
        )
        self.spans.append(span)
        return span

    def build(self) -> list[Span]:
        state, end = self.state, self.end
        root = self.span(
            "root",
            "pod startup",
            None,
            self.start,
            end.at,
            {
                "initscope.outcome": end.outcome,
                "initscope.generation": self.generation,
                "k8s.pod.status.phase": state.phase,
                "initscope.pod.status": state.status,
            },
        )
        for gen in state.generations:
            if gen.number == self.generation:
                root.attributes["initscope.generation.cause"] = gen.cause
        if state.failure is not None:
            root.attributes["initscope.diagnosis.code"] = state.failure.code
            root.attributes["initscope.diagnosis.summary"] = _message(state.failure.summary)
        if end.outcome == "failed":
            root.status, root.status_message = (
                "error",
                _message(state.failure.summary if state.failure else state.message or state.status),
            )
        elif end.outcome == "deleted" and state.vanished_at is not None:
            root.attributes["initscope.end_exact"] = False  # deleted while no watch saw it
        self._root_events(root)
        if self.generation == 0 and state.created_at is not None:
            self._scheduling(root)
        following: dict[str, datetime | None] = {}
        starts = [self._container_first_start(c) for c in state.containers]
        for i, container in enumerate(state.containers):
            following[container.name] = min((s for s in starts[i + 1 :] if s is not None), default=None)
        for container in state.containers:
            self._container(root, container, following[container.name])
        return self.spans

    # pod-level -------------------------------------------------------------------------------------
    def _in_window(self, at: datetime | None) -> bool:
        return at is not None and self.start <= at <= self.end.at

    def _root_events(self, root: Span) -> None:
        """The conditions that turned True in the startup, and the Pod-level problems Events reported."""
        events = []
        for cond in self.state.conditions:
            if cond.status == "True" and self._in_window(cond.last_transition_at):
                assert cond.last_transition_at is not None  # noqa: S101 - _in_window checked it
                events.append(
                    SpanEvent(cond.type, cond.last_transition_at, {"k8s.pod.condition.status": "True"})
                )
        for signal in self.state.signals:
            # at its first time; one that began before this startup (an earlier generation's), at its
            # newest repeat when that falls in it
            at = signal.first_at if self._in_window(signal.first_at) else signal.last_at
            if at is None or not self._in_window(at):
                continue
            attrs: Attributes = {
                "initscope.event.count": signal.count,
                "initscope.event.message": _message(signal.message),
            }
            if signal.last_at is not None:
                attrs["initscope.event.last_at"] = format_time(signal.last_at) or ""
            events.append(SpanEvent(signal.reason, at, attrs))
        root.events = sorted(events, key=lambda e: (e.at, e.name))

    def _scheduling(self, root: Span) -> None:
        created, scheduled = self.state.created_at, self.state.scheduled_at
        assert created is not None  # noqa: S101 - the caller checked it
        if scheduled is not None and scheduled <= self.end.at:
            self.span("scheduling", "scheduling", root, created, scheduled, {"initscope.scheduled": True})
            return
        span = self.span(
            "scheduling", "scheduling", root, created, self.end.at, {"initscope.scheduled": False}
        )
        span.status, span.status_message = "error", "never scheduled"

    # containers ------------------------------------------------------------------------------------
    def _attempts(self, container: ContainerState) -> list[Attempt]:
        return sorted(
            (a for a in container.attempts if a.generation == self.generation), key=lambda a: a.number
        )

    def _pull(self, container: ContainerState) -> Pull | None:
        pull = container.pull
        return pull if pull is not None and pull.generation == self.generation else None

    def _container_first_start(self, container: ContainerState) -> datetime | None:
        starts = (usable_start(a, self.state.created_at) for a in self._attempts(container))
        return min((s for s in starts if s is not None), default=None)

    def _container_bound(self, container: ContainerState, following: datetime | None) -> datetime:
        """Where the container's part of the startup ends when its last attempt still runs: a sidecar
        when the next container started, an app container at ContainersReady, else the trace's end."""
        end = self.end.at
        if container.kind == "sidecar" and following is not None:
            return min(following, end)
        ready = self.state.containers_ready_at
        if container.kind == "app" and ready is not None and self._in_window(ready):
            return ready
        return end

    def _container(self, root: Span, container: ContainerState, following: datetime | None) -> None:
        attempts = self._attempts(container)
        pull = self._pull(container)
        if not attempts and pull is None:
            return
        prefix = f"container/{container.name}"
        kind_word = _SPAN_PREFIX.get(container.kind, "container")
        attrs: Attributes = {
            "k8s.container.name": container.name,
            "initscope.container.kind": container.kind,
            "initscope.container.restart_count": container.restart_count,
            "initscope.attempts": sum(a.count for a in attempts),
            "initscope.attempts.unknown": sum(a.count for a in attempts if not a.known),
        }
        if container.image:
            attrs["container.image.name"] = container.image
        if container.kind == "app":
            attrs["k8s.container.ready"] = container.ready
        # a provisional span: its times are set from its children below
        span = self.span(prefix, f"{kind_word} {container.name}", root, self.end.at, self.end.at, attrs)
        first = len(self.spans)
        if pull is not None:
            self._pull_spans(span, container, pull)
        self._attempt_spans(span, container, attempts, self._container_bound(container, following))
        children = self.spans[first:]
        if children:
            span.start_at = min(c.start_at for c in children)
            span.end_at = max(c.end_at for c in children)
        elif span.events:
            span.start_at = span.end_at = min(e.at for e in span.events)
        else:  # nothing of it with a time in this startup
            self.spans.remove(span)
            return
        if container.kind != "app" and span.end_at > self.init_floor:
            self.init_floor = span.end_at
        known = [a for a in attempts if a.known and a.exit_code is not None]
        if known and known[-1].exit_code != 0 and container.kind == "init":
            span.status, span.status_message = "error", known[-1].reason or f"exit code {known[-1].exit_code}"

    def _pull_spans(self, span: Span, container: ContainerState, pull: Pull) -> None:
        image = pull.image or container.image
        key = f"{span.key}/pull"
        if pull.already_present:
            at = pull.finished_at or pull.started_at
            if at is not None:
                span.events.append(SpanEvent("image already present", at, {"container.image.name": image}))
            return
        attrs: Attributes = {"container.image.name": image, "initscope.pull.failures": pull.failures}
        if pull.finished_at is not None:
            finished = pull.finished_at
            pull_start = (
                finished - timedelta(seconds=pull.pull_seconds)
                if pull.pull_seconds is not None
                else pull.started_at or finished
            )
            if pull.pull_seconds is not None:
                attrs["initscope.pull.seconds"] = pull.pull_seconds
            if pull.wait_seconds is not None:
                attrs["initscope.pull.queue_wait_seconds"] = pull.wait_seconds
            if pull.image_bytes is not None:
                attrs["initscope.pull.image_bytes"] = pull.image_bytes
            if pull.wait_seconds:
                wait_start = pull_start - timedelta(seconds=pull.wait_seconds)
                self.span(f"{key}-wait", "image pull queue wait", span, wait_start, pull_start, dict(attrs))
            self.span(key, "image pull", span, pull_start, finished, attrs)
        elif pull.started_at is not None and pull.started_at <= self.end.at:
            attrs["initscope.pull.finished"] = False
            pulling = self.span(key, "image pull", span, pull.started_at, self.end.at, attrs)
            if pull.failures or pull.last_error:
                pulling.status, pulling.status_message = "error", _message(pull.last_error)

    def _attempt_spans(
        self, span: Span, container: ContainerState, attempts: list[Attempt], bound: datetime
    ) -> None:
        """Known attempts, the back-off between two of them, one span per run of placeholders."""
        created = self.state.created_at
        previous: Attempt | None = None
        unknown: list[Attempt] = []
        floor = self._latest_end(span) or self.init_floor
        for attempt in attempts:
            start = usable_start(attempt, created)
            if (start or attempt.finished_at or self.start) > self.end.at:
                break  # began after the startup ended (a trace built again later): not part of it
            if (
                not attempt.known
                or (start is None and attempt.finished_at is None)
                or ended_unseen(container, attempt)
            ):
                unknown.append(attempt)  # how it ended (or when it ran) the API never showed
                continue
            begins = start or attempt.finished_at
            assert begins is not None  # noqa: S101 - one of them is known (checked above)
            if unknown:
                self._unknown(span, unknown, _end_of(previous) or floor, begins)
                unknown = []
            elif previous is not None and previous.finished_at is not None and begins > previous.finished_at:
                self._backoff(span, previous, begins, open_=False)
            self._attempt(span, container, attempt, start, bound)
            previous = attempt
        low = _end_of(previous) or floor
        if unknown and low <= self.end.at:
            self._unknown(span, unknown, low, bound)
        elif not unknown and (
            previous is not None
            and previous.finished_at is not None
            and container.state == "waiting"
            and previous.exit_code != 0
            and previous.finished_at < self.end.at
        ):
            self._backoff(span, previous, self.end.at, open_=True)

    def _latest_end(self, span: Span) -> datetime | None:
        """The newest end among the container's spans so far (its pull)."""
        return newest_time(s.end_at for s in self.spans if s.parent_id == span.span_id)

    def _attempt(
        self, span: Span, container: ContainerState, attempt: Attempt, start: datetime | None, bound: datetime
    ) -> None:
        running = attempt.finished_at is None
        finished = attempt.finished_at if attempt.finished_at is not None else max(bound, start or bound)
        attrs: Attributes = {
            "k8s.container.name": container.name,
            "initscope.attempt.number": attempt.number,
            "k8s.container.restart_count": attempt.number,
            "initscope.attempt.generation": attempt.generation,
            "initscope.attempt.known": True,
            "initscope.attempt.start_known": start is not None,
            "initscope.attempt.running": running,
        }
        if attempt.exit_code is not None:
            attrs["initscope.attempt.exit_code"] = attempt.exit_code
        if attempt.reason:
            attrs["k8s.container.status.reason"] = attempt.reason
        if attempt.signal is not None:
            attrs["initscope.attempt.signal"] = attempt.signal
        if attempt.message:
            attrs["initscope.attempt.message"] = _message(attempt.message)
        if attempt.container_id:
            attrs["container.id"] = attempt.container_id
        key = f"{span.key}/attempt/{attempt.generation}/{attempt.number}"
        # start unknown (a StartError's epoch startedAt): a zero-length span at its finish
        child = self.span(key, "attempt", span, start or finished, finished, attrs)
        if attempt.exit_code not in (0, None):
            child.status = "error"
            child.status_message = attempt.reason or f"exit code {attempt.exit_code}"

    def _backoff(self, span: Span, previous: Attempt, until: datetime, *, open_: bool) -> None:
        assert previous.finished_at is not None  # noqa: S101 - the callers checked it
        key = f"{span.key}/backoff/{previous.generation}/{previous.number}"
        attrs: Attributes = {
            "k8s.container.name": span.attributes["k8s.container.name"],
            "initscope.backoff.after_attempt": previous.number,
            "initscope.backoff.open": open_,
        }
        self.span(key, "back-off", span, previous.finished_at, until, attrs)

    def _unknown(self, span: Span, run: list[Attempt], low: datetime, high: datetime) -> None:
        first, last = run[0].number, run[-1].last_number
        key = f"{span.key}/unknown/{run[0].generation}/{first}"
        attrs: Attributes = {
            "k8s.container.name": span.attributes["k8s.container.name"],
            "initscope.attempt.known": False,
            "initscope.attempt.times_known": False,
            "initscope.attempt.count": sum(a.count for a in run),
            "initscope.attempt.number": first,
            "initscope.attempt.last_number": last,
            "initscope.attempt.generation": run[0].generation,
        }
        self.span(key, "attempts (details unknown)", span, low, max(high, low), attrs)


def _end_of(attempt: Attempt | None) -> datetime | None:
    if attempt is None:
        return None
    return attempt.finished_at or attempt.started_at
