"""The waterfall's layout types: what `waterfall_layout` returns and the Pod page template draws.

Owns the drawing's dimensions (lane, bar and axis heights, the narrowest bar) and the dataclasses of a
layout: `Layout` holds `Lane`s of `Segment`s and `AttemptRow`s, `Marker`s and `Tick`s. Positions are in
layout units (0..width); the template puts them in a viewBox.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

MIN_BAR = 2.0
MIN_GAP = 1.0  # between consecutive attempts' bars, so that they never merge into one
MIN_UNKNOWN = 6.0
LANE_HEIGHT = 26
BAR_HEIGHT = 14
AXIS_HEIGHT = 22
MARK_ROW_HEIGHT = 16
LABEL_MIN_GAP = 64.0  # a gap label is drawn only when the gap is at least this wide
CHAR_WIDTH = 6.4  # rough width of one label character, for staggering marker labels
# What a segment's `data-segment` says it is (the template's attribute; tests and screen readers read it).
SEGMENT_NAMES = {
    "schedule": "scheduling",
    "sandbox": "sandbox",
    "waiting": "waiting",
    "blocked": "waiting",
    "pull": "pull",
    "present": "pull",
    "wait": "queue",
    "attempt": "attempt",
    "backoff": "back-off",
    "unknown": "unknown",
}


def label_width(text: str) -> float:
    """The width a label drawn beside a bar needs (layout units at about one pixel each), with room."""
    return len(text) * CHAR_WIDTH + 8


@dataclass(frozen=True, slots=True)
class Tick:
    x: float
    label: str


@dataclass(slots=True)
class Segment:
    """One drawn interval (or point) of a lane.

    kind: "schedule" | "sandbox" | "waiting" (a waiting reason observed) | "wait" (image pull queue) | "pull"
    | "present" (image already on the node, a point) | "attempt" | "unknown" (attempts that happened,
    details unknown) | "backoff" | "blocked"; `segment` is its public name (SEGMENT_NAMES).
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
    reason: str = ""  # the waiting reason (or Event reason) the segment stands for, if any

    @property
    def segment(self) -> str:
        return SEGMENT_NAMES.get(self.kind, self.kind)

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
    count: int = 1  # attempts the row stands for: n for a run of placeholders (numbers number..last_number)
    # False when the attempt's start is no time (the runtime's epoch for a StartError, kubernetes#120331):
    # its bar is drawn from the previous known moment, and it has no duration.
    start_known: bool = True

    @property
    def last_number(self) -> int:
        return self.number + self.count - 1


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
    def attempt_count(self) -> int:
        """The container's attempts, each of a run of placeholders counted."""
        return sum(row.count for row in self.attempts)

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

    @property
    def init_lanes(self) -> int:
        return sum(1 for lane in self.lanes if lane.kind in ("init", "sidecar"))

    @property
    def init_attempt_count(self) -> int:
        """Attempts of the init containers (sidecars included), each of a run of placeholders counted:
        the same count as each lane's ×N and its attempts table."""
        return sum(lane.attempt_count for lane in self.lanes if lane.kind in ("init", "sidecar"))

    @property
    def restart_count(self) -> int:
        """Attempts after each container's first (every generation's, as the lanes show them)."""
        return sum(max(lane.attempt_count - 1, 0) for lane in self.lanes if lane.container is not None)
