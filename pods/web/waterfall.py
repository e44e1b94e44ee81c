"""The startup waterfall of one Pod: a timeline document in, positioned lanes, bars, gaps and markers out.

Pure (no Django, no I/O): `waterfall_layout(document, now=..., width=...)` takes the document of
`pods.selectors.pod_document` (times are RFC 3339 strings or None) and returns a `Layout` the Pod page
template draws as SVG. x positions and widths are in layout units (0..width); the template puts them in a
viewBox, so the browser can zoom by changing the viewBox alone.

Rules the drawing keeps:
- Times are never invented: an attempt the API never showed (`known: false`) is a hatched "details
  unknown" region spanning the window between the neighbouring known facts, not a bar of its own.
- Times come from different clocks (API server, node, scheduler): negative durations and gaps are
  clamped to zero and counted in `Layout.skew`; anything before the axis start is clamped to x=0.
- A bar is at least `MIN_BAR` units wide, so sub-second attempts stay visible.
- Linear in the number of attempts: one pass per container, no pairwise comparisons.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from pods.timeline.times import human_duration, parse_time

MIN_BAR = 2.0
MIN_UNKNOWN = 6.0
LANE_HEIGHT = 26
BAR_HEIGHT = 14
AXIS_HEIGHT = 22
MARK_ROW_HEIGHT = 16
MIN_TICK_SPACING = 90.0  # layout units between tick marks, at most ~11 ticks on 1000
LABEL_MIN_GAP = 64.0  # a gap label is drawn only when the gap is at least this wide
CHAR_WIDTH = 6.4  # rough width of one label character, for staggering marker labels

TERMINAL_PHASES = ("Succeeded", "Failed")
KILL_EXIT_CODES = (137, 143)
NICE_STEPS = (
    0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800,
    3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800,
)  # fmt: skip
MARKERS = (
    ("scheduled_at", "scheduled", "scheduled"),
    ("initialized_at", "initialized", "initialized"),
    ("containers_ready_at", "containers-ready", "containers ready"),
    ("ready_at", "ready", "ready"),
    ("deleted_at", "deleted", "deleted"),
)
POD_TIMES = ("created_at", "scheduled_at", "initialized_at", "containers_ready_at", "ready_at", "deleted_at")
KIND_LABELS = {"init": "init", "sidecar": "sidecar", "app": "app"}


@dataclass(frozen=True, slots=True)
class Tick:
    x: float
    label: str


@dataclass(slots=True)
class Segment:
    """One drawn interval (or point) of a lane.

    kind: "schedule" | "wait" (image pull queue) | "pull" | "present" (image already on the node, a point)
    | "attempt" | "unknown" (attempts that happened, details unknown) | "backoff" | "blocked".
    cls: the CSS modifier — for attempts the outcome (succeeded, failed, oom, running, killed, unknown).
    `title` is plain text (the template escapes it); `label` is short text drawn beside the bar.
    `live` means the segment ends at `now` and grows with the clock.
    """

    id: str
    kind: str
    cls: str
    x: float
    w: float
    start: datetime | None
    end: datetime | None
    seconds: float | None
    title: str
    aria: str
    label: str = ""
    live: bool = False
    attempts: int = 0  # how many attempts the segment stands for (attempt: 1; unknown: n)

    @property
    def mid(self) -> float:
        return round(self.x + self.w / 2, 2)

    @property
    def right(self) -> float:
        return round(self.x + self.w, 2)


@dataclass(slots=True)
class AttemptRow:
    """An attempt as listed under the waterfall, with the outcome class its bar has."""

    id: str
    number: int
    generation: int
    outcome: str
    known: bool
    started_at: datetime | None
    finished_at: datetime | None
    seconds: float | None
    exit_code: int | None
    reason: str
    message: str
    signal: int | None


@dataclass(slots=True)
class Lane:
    """A row of the waterfall: the scheduling lane (`kind == "schedule"`) or one container."""

    id: str
    kind: str  # "schedule" | "init" | "sidecar" | "app"
    name: str  # the container name ("" for the scheduling lane)
    label: str  # "init 1", "sidecar 2", "app 1", "scheduling"
    row: int
    segments: list[Segment] = field(default_factory=list)
    attempts: list[AttemptRow] = field(default_factory=list)
    container: dict | None = None

    @property
    def top(self) -> int:
        return self.row * LANE_HEIGHT

    @property
    def bar_y(self) -> int:
        return self.row * LANE_HEIGHT + (LANE_HEIGHT - BAR_HEIGHT) // 2

    @property
    def mid_y(self) -> int:
        return self.row * LANE_HEIGHT + LANE_HEIGHT // 2

    @property
    def bar_bottom(self) -> int:
        return self.bar_y + BAR_HEIGHT

    @property
    def text_y(self) -> int:
        """Baseline of text drawn in the lane, in the chart's outer (unscaled) coordinates."""
        return AXIS_HEIGHT + self.mid_y + 4


@dataclass(frozen=True, slots=True)
class Marker:
    kind: str
    label: str
    at: datetime
    x: float
    row: int  # label row below the lanes (staggered so labels do not overlap)
    y: int = 0  # baseline of the label, in the chart's outer coordinates
    anchor: str = "middle"  # SVG text-anchor: labels at the edges stay inside the chart


@dataclass(slots=True)
class Layout:
    start: datetime
    end: datetime
    now: datetime
    width: int
    live: bool
    ticks: list[Tick]
    lanes: list[Lane]
    markers: list[Marker]
    skew: int  # negative durations/gaps clamped to zero
    # `live`: the Pod's times move with the wall clock (a watched cluster, a Pod not finished);
    # `grows`: also the axis ends at now, so running bars and the now-marker advance in the browser.
    grows: bool = False
    lane_height: int = LANE_HEIGHT
    bar_height: int = BAR_HEIGHT
    axis_height: int = AXIS_HEIGHT

    @property
    def span_seconds(self) -> float:
        return (self.end - self.start).total_seconds()

    @property
    def plot_height(self) -> int:
        return max(1, len(self.lanes)) * LANE_HEIGHT

    @property
    def marker_rows(self) -> int:
        return 1 + max((m.row for m in self.markers), default=-1)

    @property
    def height(self) -> int:
        return AXIS_HEIGHT + self.plot_height + self.marker_rows * MARK_ROW_HEIGHT + 6

    @property
    def attempt_count(self) -> int:
        return sum(s.attempts for lane in self.lanes for s in lane.segments)


# --- formatting -------------------------------------------------------------------------------------


def format_duration(seconds: float | None) -> str:
    """A short human duration: 0.4s, 12s, 2m40s, 1h5m, 3d4h ("" for None)."""
    if seconds is None:
        return ""
    seconds = max(0.0, seconds)
    if seconds < 10 and seconds != int(seconds):
        return f"{seconds:.1f}s"
    return human_duration(seconds)


def format_utc(value: datetime | None) -> str:
    """`2025-06-01 10:00:41Z` (milliseconds when not whole); "" for None."""
    if value is None:
        return ""
    value = value.astimezone(UTC)
    text = value.strftime("%Y-%m-%d %H:%M:%S")
    if value.microsecond:
        text += f".{value.microsecond // 1000:03d}"
    return text + "Z"


def _tick_label(seconds: float) -> str:
    if seconds == 0:
        return "0"
    if seconds < 1:
        return f"{round(seconds * 1000)}ms"
    if seconds < 60 and seconds != int(seconds):
        return f"{seconds:g}s"
    return format_duration(seconds)


# --- the axis ---------------------------------------------------------------------------------------


class _Axis:
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
            for value in (a.get("started_at"), a.get("finished_at")):
                t = parse_time(value)
                if t:
                    out.append(t)
    return out


def is_live(document: dict) -> bool:
    """A Pod whose timeline still moves: not deleted and not in a terminal phase."""
    return not document.get("deleted_at") and document.get("phase") not in TERMINAL_PHASES


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


# --- attempts ---------------------------------------------------------------------------------------


def attempt_outcome(
    attempt: dict, *, kind: str, last: bool, deleting: bool, terminal: bool, deleted: bool = False
) -> str:
    """succeeded | failed | oom | running | killed | unknown, for an attempt of a `kind` container.

    killed: the last attempt ended with 137/143 (or ContainerStatusUnknown) because the Pod was being
    deleted or ran past its deadline (`deleting`), or a sidecar stopped when its finished Pod shut
    down; a running attempt of a deleted Pod whose end was never seen counts as killed too.
    """
    if not attempt.get("known", True):
        return "unknown"
    if not attempt.get("finished_at"):
        return "killed" if deleted else "running"
    code, reason = attempt.get("exit_code"), attempt.get("reason") or ""
    if reason == "OOMKilled":
        return "oom"
    if code == 0 or (code is None and reason == "Completed"):
        return "succeeded"
    stopped = code in KILL_EXIT_CODES or reason == "ContainerStatusUnknown"
    if last and stopped and (deleting or (kind == "sidecar" and terminal)):
        return "killed"
    return "failed"


def _attempt_title(name: str, row: AttemptRow) -> str:
    lines = [f"{name} · attempt {row.number}" + (f" (generation {row.generation})" if row.generation else "")]
    if not row.known:
        lines.append("happened, details unknown (the API never showed this attempt)")
        return "\n".join(lines)
    lines.append(_outcome_text(row))
    lines.append(f"started  {format_utc(row.started_at) or 'unknown'}")
    if row.finished_at:
        lines.append(f"finished {format_utc(row.finished_at)}")
    lines.append(f"{'running for' if row.outcome == 'running' else 'ran'} {format_duration(row.seconds)}")
    if row.message:
        message = row.message.strip()
        lines.append(message[:400] + ("…" if len(message) > 400 else ""))
    return "\n".join(lines)


def _outcome_text(row: AttemptRow) -> str:
    if row.outcome == "running":
        return "running"
    parts = [row.outcome]
    if row.exit_code is not None:
        parts.append(f"exit {row.exit_code}")
    if row.signal:
        parts.append(f"signal {row.signal}")
    if row.reason:
        parts.append(row.reason)
    return " · ".join(parts)


class _LaneBuilder:
    """Lays out one container lane: pull, attempts, back-off gaps, unknown regions."""

    def __init__(self, ctx: _Context, container: dict, row: int) -> None:
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

    def build(self) -> Lane:
        self._pull()
        rows = self._attempt_rows()
        self._attempts(rows)
        self._blocked(rows)
        return self.lane

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
            + f"\n{image}\n{format_utc(pull_start)} → {format_utc(finished)}"
        )
        self._add("pull", "pull", "pull", pull_start, finished, seconds=seconds, title=title)

    def _pull_open(self, pull: dict, started: datetime) -> None:
        end = self.ctx.open_end
        failing = self.c.get("state_reason") in ("ErrImagePull", "ImagePullBackOff") or pull.get("failures")
        cls = "pull-failed" if failing else "pull"
        seconds = max((end - started).total_seconds(), 0.0)
        doing = "image pull failing" if failing else "pulling image"
        image = pull.get("image") or self.c.get("image") or ""
        title = f"{self.name} · {doing} since {format_utc(started)}\n{image}"
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
        known = bool(a.get("known", True)) and bool(a.get("started_at") or a.get("finished_at"))
        outcome = attempt_outcome(
            a if known else {**a, "known": False},
            kind=self.kind,
            last=last,
            deleting=ctx.deleting,
            terminal=ctx.terminal,
            deleted=ctx.deleted,
        )
        started, finished = parse_time(a.get("started_at")), parse_time(a.get("finished_at"))
        started = started or finished
        seconds = None
        if known:
            seconds = ctx.clamp(((finished or ctx.open_end) - started).total_seconds())
        number, generation = int(a.get("number") or 0), int(a.get("generation") or 0)
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
        )

    def _attempts(self, rows: list[AttemptRow]) -> None:
        """Bars for known attempts, back-off gaps between them, one hatched region per run of unknowns."""
        prev: AttemptRow | None = None
        unknown: list[AttemptRow] = []
        for row in rows:
            if not row.known:
                unknown.append(row)
                continue
            if unknown:
                self._unknown(unknown, prev, row)
                unknown = []
            elif prev is not None and prev.generation == row.generation:
                self._gap(prev, row.started_at)
            self._bar(row)
            prev = row
        if unknown:
            self._unknown(unknown, prev, None)
        elif prev is not None and self._waiting_to_restart(prev):
            self._gap(prev, None)

    def _bar(self, row: AttemptRow) -> None:
        end = row.finished_at or self.ctx.open_end
        aria = f"{self.name} attempt {row.number}: {_outcome_text(row)}, {format_duration(row.seconds)}"
        title = _attempt_title(self.name, row)
        seg = self._add("attempt", row.outcome, row.id, row.started_at, end, seconds=row.seconds, title=title)
        seg.aria = aria
        seg.live = row.outcome == "running" and self.ctx.live
        seg.attempts = 1

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
        title = f"{self.name} · {label}\n{format_utc(prev.finished_at)} → " + (
            "now (waiting to restart)" if waiting else format_utc(end)
        )
        cls = "open" if waiting else "gap"
        ident = f"{prev.id}-backoff"
        seg = self._add(
            "backoff", cls, ident, prev.finished_at, end, seconds=seconds, title=title, minimum=0.0
        )
        seg.label = label if seg.w >= LABEL_MIN_GAP else ""
        seg.live = waiting

    def _unknown(self, rows: list[AttemptRow], prev: AttemptRow | None, nxt: AttemptRow | None) -> None:
        lo = (prev.finished_at or prev.started_at) if prev else self._lane_start()
        hi = nxt.started_at if nxt else self.ctx.open_end
        lo = lo or hi
        if hi is None or lo is None:
            return
        if hi < lo:
            self.ctx.skew += 1
            hi = lo
        first, last = rows[0].number, rows[-1].number
        numbers = f"#{first}" if first == last else f"#{first}–#{last}"
        count = len(rows)
        text = f"{count} attempt{'s' if count > 1 else ''} ({numbers}): happened, details unknown"
        title = f"{self.name} · {text}\nsomewhere between {format_utc(lo)} and {format_utc(hi)}"
        ident = f"{rows[0].id}-unknown"
        seg = self._add("unknown", "unknown", ident, lo, hi, seconds=None, title=title, minimum=MIN_UNKNOWN)
        seg.start = seg.end = None  # the window is a bound, not the attempts' times
        seg.attempts = count
        seg.label = f"×{count} unknown" if seg.w >= LABEL_MIN_GAP else ""

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
        if since is None or any(s.kind == "pull" and s.live for s in self.lane.segments):
            return
        end = self.ctx.open_end
        seconds = max((end - since).total_seconds(), 0.0)
        title = f"{self.name} · {diagnosis.get('code', '')} for {format_duration(seconds)}\n"
        title += diagnosis.get("summary") or ""
        seg = self._add("blocked", "blocked", "blocked", since, end, seconds=seconds, title=title)
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
class _Context:
    axis: _Axis
    now: datetime
    live: bool
    deleting: bool
    deleted: bool
    terminal: bool
    scheduled: datetime | None
    diagnosis: dict | None
    skew: int = 0

    @property
    def open_end(self) -> datetime:
        """Where an open bar (running, waiting) ends: now for a live Pod, else the axis end."""
        return min(self.now, self.axis.end) if self.live else self.axis.end

    def clamp(self, seconds: float) -> float:
        if seconds < 0:
            self.skew += 1
            return 0.0
        return seconds


# --- the Pod lanes and markers ----------------------------------------------------------------------


def _schedule_lane(document: dict, ctx: _Context) -> Lane:
    lane = Lane(id="lane-scheduling", kind="schedule", name="", label="scheduling", row=0)
    created = parse_time(document.get("created_at")) or ctx.axis.start
    scheduled = ctx.scheduled
    end = scheduled or ctx.open_end
    seconds = (end - created).total_seconds()
    if seconds < 0:
        ctx.skew += 1
        seconds = 0.0
    unschedulable = (document.get("diagnosis") or {}).get("code") == "unschedulable"
    cls = "done" if scheduled else ("failed" if unschedulable else "pending")
    if scheduled:
        title = f"scheduled in {format_duration(seconds)}\n{format_utc(created)} → {format_utc(scheduled)}"
    else:
        title = f"not scheduled after {format_duration(seconds)}\ncreated {format_utc(created)}"
    if document.get("node"):
        title += f"\nnode {document['node']}"
    x, w = ctx.axis.span(created, end)
    seg = Segment("sched", "schedule", cls, x, w, created, end, seconds, title, title.split("\n")[0])
    seg.live = not scheduled and ctx.live
    lane.segments.append(seg)
    return lane


def _markers(document: dict, axis: _Axis, *, lanes: int, now: datetime | None) -> list[Marker]:
    """Pod milestones (and `now` when given), label rows staggered so that close labels do not overlap."""
    found = []
    for key, kind, label in MARKERS:
        at = parse_time(document.get(key))
        if at:
            found.append((axis.x(at), kind, label, at))
    if now is not None:
        found.append((axis.x(now), "now", "now", now))
    found.sort(key=lambda m: m[0])
    row_ends: list[float] = []
    out = []
    for x, kind, label, at in found:
        width = len(label) * CHAR_WIDTH
        anchor = "start" if x < width / 2 else ("end" if x > axis.width - width / 2 else "middle")
        left = {"start": x, "middle": x - width / 2, "end": x - width}[anchor]
        row = next((i for i, end in enumerate(row_ends) if end + 8 < left), len(row_ends))
        if row == len(row_ends):
            row_ends.append(0.0)
        row_ends[row] = left + width
        y = AXIS_HEIGHT + lanes * LANE_HEIGHT + (row + 1) * MARK_ROW_HEIGHT - 3
        out.append(Marker(kind=kind, label=label, at=at, x=x, row=row, y=y, anchor=anchor))
    return out


def waterfall_layout(document: dict, *, now: datetime, width: int = 1000) -> Layout:
    """Lay out the startup waterfall of `document` (see the module docstring) at `now`."""
    start, end = axis_bounds(document, now=now)
    axis = _Axis(start, end, width)
    # A recording (document "live": false) is drawn as it stood when it ended and never moves.
    live = is_live(document) and document.get("live", True)
    grows = live and end == now
    ctx = _Context(
        axis=axis,
        now=now,
        live=grows,
        deleting=bool(document.get("deleted_at") or document.get("deletion_requested_at"))
        or document.get("status") == "Terminating"
        or document.get("reason") == "DeadlineExceeded",
        deleted=bool(document.get("deleted_at")),
        terminal=document.get("phase") in TERMINAL_PHASES,
        scheduled=parse_time(document.get("scheduled_at")),
        diagnosis=document.get("diagnosis"),
    )
    lanes = [_schedule_lane(document, ctx)]
    containers = sorted(document.get("containers") or (), key=lambda c: c.get("index", 0))
    for row, container in enumerate(containers, start=1):
        lanes.append(_LaneBuilder(ctx, container, row).build())
    return Layout(
        start=start,
        end=end,
        now=now,
        width=width,
        live=live,
        ticks=nice_ticks((end - start).total_seconds(), width),
        lanes=lanes,
        markers=_markers(document, axis, lanes=len(lanes), now=now if grows else None),
        skew=ctx.skew,
        grows=grows,
    )
