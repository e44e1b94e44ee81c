"""The waterfall's time axis: its bounds, the mapping of times to x, and the round tick marks.

Times come from different clocks, so anything outside the axis is clamped to its edges.
"""

from __future__ import annotations

from bisect import bisect_left
from datetime import datetime, timedelta

from pods.timeline.times import format_duration, parse_time
from pods.web.waterfall.model import MIN_BAR, Tick
from pods.web.waterfall.outcome import is_live

MIN_TICK_SPACING = 90.0  # layout units between tick marks, at most ~11 ticks on 1000
NICE_STEPS = (
    0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800,
    3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800,
)  # fmt: skip
POD_TIMES = (
    "created_at", "scheduled_at", "initialized_at", "containers_ready_at", "ready_at",
    "deletion_requested_at", "deleted_at",
)  # fmt: skip


def _tick_label(seconds: float) -> str:
    if seconds == 0:
        return "0"
    if seconds < 1:
        return f"{round(seconds * 1000)}ms"
    if seconds < 60 and seconds != int(seconds):
        return f"{seconds:g}s"
    return format_duration(seconds)


class Axis:
    """Maps times to x in 0..width, clamping outside times to the edges."""

    __slots__ = ("start", "end", "width", "scale")

    def __init__(self, start: datetime, end: datetime, width: int) -> None:
        self.start, self.end, self.width = start, end, width
        span = max((end - start).total_seconds(), 1e-3)
        self.scale = width / span

    def x(self, t: datetime) -> float:
        offset = (t - self.start).total_seconds() * self.scale
        return round(min(max(offset, 0.0), float(self.width)), 2)

    def span(self, a: datetime, b: datetime, minimum: float = MIN_BAR) -> tuple[float, float]:
        """(x, width) of [a, b], at least `minimum` wide and kept inside the axis."""
        x0, x1 = self.x(a), self.x(b)
        w = max(x1 - x0, minimum)
        x0 = min(x0, self.width - w)
        return round(max(x0, 0.0), 2), round(w, 2)


def nice_ticks(span_seconds: float, width: int) -> list[Tick]:
    """Tick marks at a round step (1s, 5s, 30s, 1m, 5m, 1h, ...) at least MIN_TICK_SPACING apart."""
    if span_seconds <= 0:
        return [Tick(0.0, "0")]
    wanted = span_seconds * MIN_TICK_SPACING / width
    index = bisect_left(NICE_STEPS, wanted)
    step = NICE_STEPS[index] if index < len(NICE_STEPS) else NICE_STEPS[-1] * (wanted // NICE_STEPS[-1] + 1)
    count = int(span_seconds // step)
    return [Tick(round(i * step * width / span_seconds, 2), _tick_label(i * step)) for i in range(count + 1)]


def _times(document: dict) -> list[datetime]:
    """Every known time of the Pod (milestones, pulls, attempts), for the axis bounds. Linear."""
    out = []
    for key in POD_TIMES:
        t = parse_time(document.get(key))
        if t:
            out.append(t)
    for c in document.get("containers") or ():
        pull = c.get("pull") or {}
        for value in (pull.get("started_at"), pull.get("finished_at")):
            t = parse_time(value)
            if t:
                out.append(t)
        for a in c.get("attempts") or ():
            # A start that is no time (`start_known` false: the runtime's epoch) never stretches the axis.
            started = a.get("started_at") if a.get("start_known", True) else None
            for value in (started, a.get("finished_at")):
                t = parse_time(value)
                if t:
                    out.append(t)
    return out


def _ceil_second(t: datetime) -> datetime:
    return t if not t.microsecond else t.replace(microsecond=0) + timedelta(seconds=1)


def axis_bounds(document: dict, *, now: datetime) -> tuple[datetime, datetime]:
    """(start, end) of the time axis.

    start: created_at, else the earliest known time. end: `now` for a live Pod that is not Ready yet; for a
    live Ready Pod the startup must stay readable, so the axis ends a little after the last known time
    (at most `now`); for a finished or deleted Pod, the last known time.
    """
    times = _times(document)
    first = min(times, default=now)
    last = max(times, default=now)
    start = parse_time(document.get("created_at")) or first
    if not is_live(document):
        end = last
    elif document.get("ready_at"):
        padded = last + max((last - start) * 0.25, timedelta(seconds=30))
        end = min(now, _ceil_second(padded))
    else:
        end = max(now, last)
    return start, max(end, start + timedelta(seconds=1))
