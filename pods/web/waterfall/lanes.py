"""The waterfall's container lanes: image pull, attempts, back-off gaps, unknown regions, blocked waits.

`ContainerLane(ctx, container, row).build()` lays out one container of the timeline document; `Context`
holds what every lane of one layout shares (the axis, now, whether the Pod is live, deleting, finished).
Linear in the number of attempts: one pass per container, no pairwise comparisons.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from pods.timeline.times import format_duration, format_utc, parse_time
from pods.web.waterfall.axis import Axis
from pods.web.waterfall.model import (
    LABEL_MIN_GAP,
    MIN_BAR,
    MIN_GAP,
    MIN_UNKNOWN,
    AttemptRow,
    Lane,
    Segment,
    label_width,
)
from pods.web.waterfall.outcome import attempt_outcome, attempt_title, outcome_text

KIND_LABELS = {"init": "init", "sidecar": "sidecar", "app": "app"}
_IMAGE_REASONS = frozenset({"ErrImagePull", "ImagePullBackOff", "RegistryUnavailable"})


class ContainerLane:
    """Lays out one container lane: pull, attempts, back-off gaps, unknown regions."""

    def __init__(self, ctx: Context, container: dict, row: int) -> None:
        self.ctx, self.c, self.row = ctx, container, row
        self.kind = container.get("kind") or "app"
        self.name = container.get("name") or ""
        self.prefix = f"c{container.get('index', row)}"
        self.lane = Lane(
            id=f"lane-{self.prefix}",
            kind=self.kind,
            name=self.name,
            label=_lane_label(container),
            row=row,
            container=container,
        )
        self._bar_end: float | None = None  # where the previous attempt's bar ends (x)

    def build(self) -> Lane:
        self._pull()
        rows = self._attempt_rows()
        self._attempts(rows)
        self._waiting()
        self._blocked(rows)
        # left to right: the order of the keyboard's arrow keys and of screen readers
        self.lane.segments.sort(key=lambda seg: seg.x)
        return self.lane

    # waiting ----------------------------------------------------------------------------------------
    def _waiting(self) -> None:
        """The spans the container was seen waiting (`pods.timeline.waiting`), each with its reason.

        A span ends where the lane's next drawn fact begins (the pull, an attempt): those are drawn as
        themselves. A CrashLoopBackOff under a back-off gap is that gap (which names it); a still failing
        pull is drawn as the open pull."""
        spans = self.c.get("waiting") or ()
        if not spans:
            return
        drawn = [seg for seg in self.lane.segments if seg.start is not None]
        backoffs = [seg for seg in self.lane.segments if seg.kind == "backoff"]
        failing_pull = any(seg.kind == "pull" and seg.cls == "pull-failed" for seg in self.lane.segments)
        current = self.c.get("state_reason") if self.c.get("state") == "waiting" else ""
        for index, span in enumerate(spans):
            reason = span.get("reason") or ""
            start = parse_time(span.get("first_at"))
            if start is None:
                continue
            ended = parse_time(span.get("ended_at"))
            still = ended is None and index == len(spans) - 1 and current in reason.split("/")
            # still waiting at the end of the data: to now (live) or to the end of the recording, like a
            # running bar (no newer status said otherwise)
            end = ended or (self.ctx.open_end if still else parse_time(span.get("last_at")))
            if end is None:
                continue
            image = any(r in _IMAGE_REASONS for r in reason.split("/"))
            if image and failing_pull and still:
                continue  # the open pull bar is this wait
            for seg in drawn:
                if seg.start is not None and start < seg.start < end:
                    end = seg.start
            if "CrashLoopBackOff" in reason.split("/"):
                for gap in backoffs:
                    if (
                        gap.start is not None
                        and gap.end is not None
                        and gap.start <= end
                        and start <= gap.end
                    ):
                        gap.aria = f"{gap.aria} (CrashLoopBackOff)"
                        break
                else:
                    self._wait_segment(index, span, reason, start, end, still)
                continue
            self._wait_segment(index, span, reason, start, end, still)

    def _wait_segment(
        self, index: int, span: dict, reason: str, start: datetime, end: datetime, still: bool
    ) -> None:
        seconds = (end - start).total_seconds()
        if seconds < 0:
            self.ctx.skew += 1
            return
        if seconds < 0.5 and not still:
            return
        live = still and self.ctx.live
        span_text = format_duration(seconds) + ("…" if live else "")
        title = f"{self.name} · waiting: {reason} for {span_text}\n{self.ctx.utc(start)} → " + (
            "now" if live else self.ctx.utc(end)
        )
        message = (span.get("message") or "").strip()
        if message:
            title += "\n" + message[:400] + ("…" if len(message) > 400 else "")
        seg = self._add(
            "waiting", "open" if live else "waiting", f"w{index}", start, end, seconds=seconds, title=title
        )
        # never over the bar that follows it (bars near the axis end are widened and clamped in x)
        right = seg.x + seg.w
        for other in self.lane.segments:
            if other is not seg and other.kind != "waiting" and seg.x < other.x < right:
                right = other.x
        seg.w = round(max(right - seg.x, 0.0), 2)
        seg.aria = f"{self.name} waiting: {reason}, {span_text}"
        seg.reason = reason
        seg.live = live
        seg.label = reason if seg.w >= label_width(reason) else ""

    # image pull -------------------------------------------------------------------------------------
    def _pull(self) -> None:
        pull = self.c.get("pull")
        if not pull:
            return
        started, finished = parse_time(pull.get("started_at")), parse_time(pull.get("finished_at"))
        if pull.get("already_present"):
            self._present(pull, started or finished)
        elif finished:
            self._pull_done(pull, started, finished)
        elif started:
            self._pull_open(pull, started)

    def _present(self, pull: dict, at: datetime | None) -> None:
        if at is None:
            return
        image = pull.get("image") or self.c.get("image") or ""
        title = f"{self.name} · image already present on the node\n{image}"
        self._add("pull", "present", "present", at, at, seconds=0.0, title=title, minimum=0.0)

    def _pull_done(self, pull: dict, started: datetime | None, finished: datetime) -> None:
        pull_s, wait_s = pull.get("pull_seconds"), pull.get("wait_seconds")
        pull_start = finished - timedelta(seconds=pull_s) if pull_s is not None else (started or finished)
        image = pull.get("image") or self.c.get("image") or ""
        if wait_s:
            wait_start = pull_start - timedelta(seconds=wait_s)
            title = f"{self.name} · waiting for a pull slot {format_duration(wait_s)}\n{image}"
            self._add("wait", "wait", "wait", wait_start, pull_start, seconds=wait_s, title=title)
        seconds = pull_s if pull_s is not None else max((finished - pull_start).total_seconds(), 0.0)
        size = pull.get("image_bytes")
        title = (
            f"{self.name} · image pull {format_duration(seconds)}"
            + (f" ({size / 1e6:.1f} MB)" if size else "")
            + f"\n{image}\n{self.ctx.utc(pull_start)} → {self.ctx.utc(finished)}"
        )
        self._add("pull", "pull", "pull", pull_start, finished, seconds=seconds, title=title)

    def _pull_open(self, pull: dict, started: datetime) -> None:
        end = self.ctx.open_end
        failing = self.c.get("state_reason") in ("ErrImagePull", "ImagePullBackOff") or pull.get("failures")
        cls = "pull-failed" if failing else "pull"
        seconds = max((end - started).total_seconds(), 0.0)
        doing = "image pull failing" if failing else "pulling image"
        image = pull.get("image") or self.c.get("image") or ""
        title = f"{self.name} · {doing} since {self.ctx.utc(started)}\n{image}"
        if pull.get("last_error"):
            title += f"\n{pull['last_error']}"
        seg = self._add("pull", cls, "pull", started, end, seconds=seconds, title=title)
        seg.live = self.ctx.live

    # attempts ---------------------------------------------------------------------------------------
    def _attempt_rows(self) -> list[AttemptRow]:
        attempts = sorted(self.c.get("attempts") or (), key=_attempt_key)
        rows = [self._row(a, last=i == len(attempts) - 1) for i, a in enumerate(attempts)]
        self.lane.attempts = rows
        return rows

    def _row(self, a: dict, *, last: bool) -> AttemptRow:
        ctx = self.ctx
        # `start_known` is the engine's verdict (`pods.timeline.attempts.usable_start`): a start at the
        # Unix epoch (StartError, kubernetes#120331) is drawn as unknown, never measured from.
        started = parse_time(a.get("started_at")) if a.get("start_known", True) else None
        finished = parse_time(a.get("finished_at"))
        start_known = started is not None
        # a time that does not parse is none; an attempt with neither time, or whose end went unseen
        # (`ended_unseen`: a later attempt followed), is drawn as unknown
        known = bool(a.get("known", True)) and not a.get("ended_unseen") and (started or finished) is not None
        outcome = attempt_outcome(
            a if known else {**a, "known": False},
            kind=self.kind,
            last=last,
            deleting=ctx.deleting,
            terminal=ctx.terminal,
            deleted=ctx.deleted,
        )
        seconds = None
        if known and started is not None:
            seconds = ctx.clamp(((finished or ctx.open_end) - started).total_seconds())
        number, generation = int(a.get("number") or 0), int(a.get("generation") or 0)
        count = max(int(a.get("count") or 1), 1)
        return AttemptRow(
            id=f"{self.prefix}-g{generation}-a{number}",
            number=number,
            generation=generation,
            outcome=outcome,
            known=known,
            started_at=started if known else None,
            finished_at=finished if known else None,
            seconds=seconds,
            exit_code=a.get("exit_code"),
            reason=a.get("reason") or "",
            message=a.get("message") or "",
            signal=a.get("signal"),
            count=count,
            start_known=start_known or not known,
        )

    def _attempts(self, rows: list[AttemptRow]) -> None:
        """Bars for known attempts, back-off gaps between them, one hatched region per run of unknowns."""
        prev: AttemptRow | None = None
        unknown: list[AttemptRow] = []
        for row in rows:
            if not row.known:
                unknown.append(row)
                continue
            floor = (prev.finished_at or prev.started_at) if prev is not None else None
            if unknown:
                floor = self._unknown(unknown, prev, row) or floor
                unknown = []
            elif prev is not None and prev.generation == row.generation and row.started_at is not None:
                self._gap(prev, row.started_at)
            self._bar(row, floor)
            prev = row
        if unknown:
            self._unknown(unknown, prev, None)
        elif prev is not None and self._waiting_to_restart(prev):
            self._gap(prev, None)

    def _bar(self, row: AttemptRow, floor: datetime | None) -> None:
        end = row.finished_at or self.ctx.open_end
        aria = f"{self.name} attempt {row.number}: {outcome_text(row)}, {format_duration(row.seconds)}"
        title = attempt_title(self.name, row, utc=self.ctx.utc)
        start = row.started_at
        if start is None:
            # Start unknown: the bar spans from the last known moment before it (the previous attempt's
            # end or the unknown attempts' window, else the lane's last drawn time, else scheduling or the
            # Pod's creation: never earlier) to its finish.
            start = min(floor or self._lane_start() or end, end)
            aria = f"{self.name} attempt {row.number}: {outcome_text(row)}, start unknown"
        seg = self._add("attempt", row.outcome, row.id, start, end, seconds=row.seconds, title=title)
        self._keep_apart(seg)
        seg.aria = aria
        seg.live = row.outcome == "running" and self.ctx.live
        seg.attempts = 1
        if row.started_at is None:
            seg.start = None  # the bar's left edge is a bound, not the attempt's start
            seg.label = "start unknown" if seg.w >= LABEL_MIN_GAP else ""

    def _keep_apart(self, seg: Segment) -> None:
        """Consecutive attempts never merge into one bar: each starts at least `MIN_GAP` after the
        previous bar (widened to `MIN_BAR`) ends, and stays `MIN_BAR` wide (at the axis end, at most)."""
        floor = self._bar_end + MIN_GAP if self._bar_end is not None else None
        if floor is not None and seg.x < floor:
            right = max(seg.x + seg.w, floor + MIN_BAR)
            seg.x = round(max(min(floor, self.ctx.axis.width - MIN_BAR), 0.0), 2)
            seg.w = round(max(min(right, self.ctx.axis.width) - seg.x, MIN_BAR), 2)
        self._bar_end = seg.x + seg.w

    def _waiting_to_restart(self, prev: AttemptRow) -> bool:
        return (
            self.ctx.live
            and prev.finished_at is not None
            and prev.outcome in ("failed", "oom", "succeeded")
            and self.c.get("state") == "waiting"
            and (self.kind != "init" or prev.outcome != "succeeded")
        )

    def _gap(self, prev: AttemptRow, next_start: datetime | None) -> None:
        """The back-off between `prev` finishing and the next attempt starting (or now, while waiting)."""
        if prev.finished_at is None:
            return
        end = next_start or self.ctx.open_end
        seconds = (end - prev.finished_at).total_seconds()
        if seconds < 0:
            self.ctx.skew += 1
        if seconds < 0.5:
            return
        waiting = next_start is None
        label = f"back-off {format_duration(seconds)}" + ("…" if waiting else "")
        title = f"{self.name} · {label}\n{self.ctx.utc(prev.finished_at)} → " + (
            "now (waiting to restart)" if waiting else self.ctx.utc(end)
        )
        if waiting and self.c.get("back_off"):
            # the delay the kubelet states (its settings decide it: KEP-4603/5593), never a default
            title += f"\nthe kubelet's back-off: {self.c['back_off']}"
            next_at = parse_time(self.c.get("next_attempt_at"))
            if next_at is not None:
                title += f", next attempt from {self.ctx.utc(next_at)}"
        cls = "open" if waiting else "gap"
        ident = f"{prev.id}-backoff"
        seg = self._add(
            "backoff", cls, ident, prev.finished_at, end, seconds=seconds, title=title, minimum=0.0
        )
        seg.label = label if seg.w >= max(LABEL_MIN_GAP, label_width(label)) else ""
        seg.reason = (
            "CrashLoopBackOff" if self.c.get("state_reason") == "CrashLoopBackOff" and waiting else ""
        )
        seg.live = waiting

    def _unknown(
        self, rows: list[AttemptRow], prev: AttemptRow | None, nxt: AttemptRow | None
    ) -> datetime | None:
        """One hatched region for a run of unknown attempts; returns where the region ends."""
        lo = (prev.finished_at or prev.started_at) if prev else self._lane_start()
        hi = (nxt.started_at or nxt.finished_at) if nxt else self.ctx.open_end
        lo = lo or hi
        if hi is None or lo is None:
            return None
        if hi < lo:
            self.ctx.skew += 1
            hi = lo
        first, last = rows[0].number, rows[-1].last_number
        numbers = f"#{first}" if first == last else f"#{first}–#{last}"
        count = sum(row.count for row in rows)
        text = f"{count} attempt{'s' if count > 1 else ''} ({numbers}): happened, details unknown"
        title = f"{self.name} · {text}\nsomewhere between {self.ctx.utc(lo)} and {self.ctx.utc(hi)}"
        ident = f"{rows[0].id}-unknown"
        seg = self._add("unknown", "unknown", ident, lo, hi, seconds=None, title=title, minimum=MIN_UNKNOWN)
        seg.start = seg.end = None  # the window is a bound, not the attempts' times
        seg.attempts = count
        seg.label = f"×{count} unknown" if seg.w >= LABEL_MIN_GAP else ""
        return hi

    def _lane_start(self) -> datetime | None:
        for seg in reversed(self.lane.segments):
            if seg.end:
                return seg.end
        return self.ctx.scheduled or self.ctx.axis.start

    def _blocked(self, rows: list[AttemptRow]) -> None:
        """A container held before any attempt (config error, image pull back-off) shows the wait."""
        diagnosis = self.ctx.diagnosis
        if rows or not diagnosis or diagnosis.get("container") != self.name or not self.ctx.live:
            return
        since = parse_time(diagnosis.get("since"))
        if since is None or any(s.kind in ("waiting", "pull") and s.live for s in self.lane.segments):
            return
        end = self.ctx.open_end
        seconds = max((end - since).total_seconds(), 0.0)
        title = f"{self.name} · {diagnosis.get('code', '')} for {format_duration(seconds)}\n"
        title += diagnosis.get("summary") or ""
        seg = self._add("blocked", "blocked", "blocked", since, end, seconds=seconds, title=title)
        seg.reason = self.c.get("state_reason") or diagnosis.get("code", "")
        seg.aria = f"{self.name} waiting: {seg.reason}, {format_duration(seconds)}…"
        seg.live = True

    def _add(
        self,
        kind: str,
        cls: str,
        ident: str,
        start: datetime,
        end: datetime,
        *,
        seconds: float | None,
        title: str,
        minimum: float = MIN_BAR,
    ) -> Segment:
        """Append a segment over [start, end]; its id is prefixed with the lane's (`c3-...`)."""
        if not ident.startswith(self.prefix + "-"):
            ident = f"{self.prefix}-{ident}"
        x, w = self.ctx.axis.span(start, end, minimum=minimum)
        seg = Segment(ident, kind, cls, x, w, start, end, seconds, title, aria=title.split("\n")[0])
        self.lane.segments.append(seg)
        return seg


def _attempt_key(attempt: dict) -> tuple[int, int]:
    return (int(attempt.get("generation") or 0), int(attempt.get("number") or 0))


def _lane_label(container: dict) -> str:
    kind = container.get("kind") or "app"
    return f"{KIND_LABELS.get(kind, kind)} {int(container.get('index') or 0) + 1}"


@dataclass(slots=True)
class Context:
    axis: Axis
    now: datetime
    live: bool
    deleting: bool
    deleted: bool
    terminal: bool
    scheduled: datetime | None
    diagnosis: dict | None
    skew: int = 0
    formatted: dict[datetime | None, str] = field(default_factory=dict)  # `utc`'s, by time

    def utc(self, t: datetime | None) -> str:
        """`format_utc(t)`, each time formatted once a layout: an attempt's finish is also its back-off's
        start, the next attempt's start its end (strftime was a fifth of the layout of 1,000 attempts)."""
        try:
            return self.formatted[t]
        except KeyError:
            text = self.formatted[t] = format_utc(t)
            return text

    @property
    def open_end(self) -> datetime:
        """Where an open bar (running, waiting) ends: now for a live Pod, else the axis end."""
        return min(self.now, self.axis.end) if self.live else self.axis.end

    def clamp(self, seconds: float) -> float:
        if seconds < 0:
            self.skew += 1
            return 0.0
        return seconds
