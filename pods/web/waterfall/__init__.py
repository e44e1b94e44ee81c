"""The startup waterfall of one Pod: a timeline document in, positioned lanes, bars, gaps and markers out.

`waterfall_layout(document, now=..., width=...)` takes the document of `pods.selectors.pod_document`
(times are RFC 3339 strings or None) and returns a `Layout` the Pod page template draws as SVG. x positions
and widths are in layout units (0..width); the template puts them in a viewBox, so the browser can zoom by
changing the viewBox alone.

Pure modules (no Django, no I/O), one job each: `model` (the layout types and dimensions), `axis` (bounds,
times to x, ticks), `outcome` (how an attempt ended, whether the Pod still moves), `lanes` (one
container's lane), `build` (the whole layout: scheduling lane, container lanes, markers) and `markup` (the
Pod page's bars and attempts rows as HTML, one pass per lane, and the bars' details for pod.js). Times are
formatted by `pods.timeline.times`, the one home of time formatting.

Rules the drawing keeps:
- Times are never invented: an attempt the API never showed (`known: false`) is a hatched "details
  unknown" region spanning the window between the neighbouring known facts, not a bar of its own.
- Times come from different clocks (API server, node, scheduler): negative durations and gaps are
  clamped to zero and counted in `Layout.skew`; anything before the axis start is clamped to x=0.
- A bar is at least `MIN_BAR` units wide, so sub-second attempts stay visible.
- Linear in the number of attempts: one pass per container, no pairwise comparisons.
"""

from __future__ import annotations

from pods.timeline.times import format_duration, format_utc
from pods.web.waterfall.axis import NICE_STEPS, axis_bounds, nice_ticks
from pods.web.waterfall.build import waterfall_layout
from pods.web.waterfall.model import MIN_BAR, AttemptRow, Lane, Layout, Marker, Segment, Tick
from pods.web.waterfall.outcome import attempt_outcome, is_live

__all__ = [
    "MIN_BAR",
    "NICE_STEPS",
    "AttemptRow",
    "Lane",
    "Layout",
    "Marker",
    "Segment",
    "Tick",
    "attempt_outcome",
    "axis_bounds",
    "format_duration",
    "format_utc",
    "is_live",
    "nice_ticks",
    "waterfall_layout",
]
