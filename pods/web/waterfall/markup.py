"""The waterfall's bars as SVG markup, written in one pass per lane (the template's loop over 2,000 bars cost
the Pod page most of its server time), the bars' details for pod.js, and the rows of a lane's attempts
table (the same cost again for 1,000 attempts) with their `<time>` elements.

One element per bar, as few nodes as the browser needs to draw and move between them:
- a bar is one `<rect class="wf-seg ...">` (a back-off too: a transparent hit area; its dashed line is
  part of the lane's one `<path class="wf-backoff-line">`, or a `<line data-live>` of its own while it
  grows); an image already present (a pull segment of class `present`, a moment) is a `<g>` with its mark
  (the template drew it as a rect of width 0: never seen);
- what a bar says in words for screen readers is its `aria-label`; its longer details (the tooltip and the
  line under the chart: times, exit, message) are not in the markup but in `details(...)`, a JSON object
  the template writes once (`json_script`) and pod.js reads when a bar is hovered or focused.

Every string from the cluster goes through `html.escape` (quotes too: they are attribute values). Numbers
are written as Python writes them (`6.01`, `2.0`), as pod.js reads them.
"""

from __future__ import annotations

from datetime import datetime
from html import escape

from pods.timeline.times import format_duration, format_time, format_utc
from pods.web.waterfall.model import AttemptRow, Lane, Layout, Segment

_NON_SCALING = ' vector-effect="non-scaling-stroke"'


def _attr(name: str, value: object) -> str:
    return f' {name}="{escape(str(value), quote=True)}"'


def _open(tag: str, seg: Segment, prefix: str, first: bool) -> str:
    """The bar's start tag up to its geometry: class, id and tabindex first (in this order: tests and pod.js
    look for them), then its words."""
    cls = "wf-seg wf-present" if seg.cls == "present" else f"wf-seg wf-{seg.kind} is-{seg.cls}"
    out = f'<{tag} class="{escape(cls)}" id="{escape(prefix + seg.id)}" tabindex="{0 if first else -1}"'
    out += _attr("aria-label", seg.aria) + _attr("data-segment", seg.segment)
    if seg.reason:
        out += _attr("data-reason", seg.reason)
    return out


def _segment(seg: Segment, lane: Lane, layout: Layout, prefix: str, first: bool) -> str:
    if seg.cls == "present":  # an image already on the node: a moment, drawn as a mark
        y0, y1 = lane.bar_y, lane.bar_bottom
        return (
            _open("g", seg, prefix, first)
            + f'><line x1="{seg.x}" x2="{seg.x}" y1="{y0}" y2="{y1}"{_NON_SCALING}></line></g>'
        )
    out = _open("rect", seg, prefix, first)
    out += f' x="{seg.x}" y="{lane.bar_y}" width="{seg.w}" height="{layout.bar_height}"'
    if seg.attempts:
        out += f' data-attempts="{seg.attempts}"'
    if seg.live:
        out += ' data-live="1"'
    return out + "></rect>"


def _backoff_lines(lane: Lane) -> str:
    """The lane's finished back-offs as one dashed path; a growing one is a line of its own (pod.js widens
    it with the clock)."""
    y = lane.mid_y
    done = "".join(f"M{s.x} {y}H{s.right}" for s in lane.segments if s.kind == "backoff" and not s.live)
    out = f'<path class="wf-backoff-line" d="{done}"{_NON_SCALING}></path>' if done else ""
    for s in lane.segments:
        if s.kind == "backoff" and s.live:
            out += (
                f'<line class="wf-backoff-line is-open" data-live="1" x1="{s.x}" x2="{s.right}"'
                f' y1="{y}" y2="{y}"{_NON_SCALING}></line>'
            )
    return out


def lanes(layout: Layout, prefix: str = "") -> str:
    """Every lane's `<g class="wf-lane">` with its bars, left to right; the chart's first bar is its one tab
    stop (tabindex 0; pod.js moves it). `prefix` makes the ids unique on a page of several waterfalls."""
    parts = []
    first = True
    for lane in layout.lanes:
        parts.append(
            f'<g class="wf-lane wf-lane--{escape(lane.kind)}" id="{escape(prefix + lane.id)}"'
            + _attr("data-container", lane.name)
            + f' data-kind="{escape(lane.kind)}">'
        )
        parts.append(_backoff_lines(lane))
        for seg in lane.segments:
            parts.append(_segment(seg, lane, layout, prefix, first))
            first = False
        parts.append("</g>\n")
    return "".join(parts)


def percent(x: float, width: float) -> str:
    """`x` of `width` as an SVG percentage length (`12.345%`): where text sits in the outer `<svg>`."""
    return f"{x / width * 100:.3f}%"


def notes(layout: Layout) -> str:
    """The short labels drawn beside the bars wide enough for them (`Segment.label`), at percentage x in
    the outer `<svg>` (so they never stretch; pod.js re-places them on zoom from `data-x`)."""
    return "".join(
        f'<text class="wf-note wf-note--{escape(s.kind)}" x="{percent(s.mid, layout.width)}"'
        f' y="{lane.text_y}" data-x="{s.mid}" data-w="{s.w}">{escape(s.label, quote=False)}</text>'
        for lane in layout.lanes
        for s in lane.segments
        if s.label
    )


def details(layout: Layout, prefix: str = "") -> dict[str, str]:
    """Each bar's details (its tooltip and the line under the chart), by the bar's id."""
    return {prefix + seg.id: seg.title for lane in layout.lanes for seg in lane.segments}


def time_element(t: datetime | None, empty: str = "—") -> str:
    """`<time>` with the UTC text (pod.js rewrites it in the viewer's time zone and keeps UTC as its title);
    `empty` (escaped) in a muted span when there is no time."""
    if t is None:
        return f'<span class="muted">{escape(empty)}</span>'
    text, stamp = format_utc(t), format_time(t)
    return f'<time datetime="{stamp}" data-time="{stamp}" title="{text} UTC">{text}</time>'


def _duration(seconds: float | None) -> str:
    return "" if seconds is None else format_duration(seconds)


def _attempt_row(a: AttemptRow, name: str, *, logs: bool, live: bool) -> str:
    number = f"{a.number}" + (f"–{a.last_number}" if a.count > 1 else "")
    if a.generation:
        generation = a.generation
        number += f'<span class="muted small" title="sandbox generation {generation}">·g{generation}</span>'
    log = ""
    if a.known and logs:
        log = (
            f'<a class="small" href="#logs" data-logs-open{_attr("data-container", name)}'
            f' data-attempt="{a.number}" data-generation="{a.generation}"'
            f"{_attr('aria-label', f'Log of attempt #{a.number} of {name}')}>Log</a>"
        )
    exit_code = f"{a.exit_code}" if a.exit_code is not None else '<span class="muted">—</span>'
    if a.signal:
        exit_code += f' <span class="muted">sig {escape(str(a.signal))}</span>'
    if a.known:
        started = (
            time_element(a.started_at)
            if a.started_at
            else '<span class="muted" title="the runtime reported no start time (StartError)">unknown</span>'
        )
        finished = time_element(a.finished_at) if a.finished_at else '<span class="muted">running</span>'
        duration = escape(_duration(a.seconds))
        if a.outcome == "running" and live:
            duration = f'<span data-since="{format_time(a.started_at) or ""}">{duration}</span>'
        times = (
            f'<td class="mono small">{started}</td><td class="mono small">{finished}</td>'
            f'<td class="num mono">{duration}</td>'
        )
    else:
        what = (
            f"{a.count} attempts happened, details unknown (the API never showed them)"
            if a.count > 1
            else "happened, details unknown (the API never showed this attempt)"
        )
        times = f'<td colspan="3" class="muted small">{what}</td>'
    message = f'<pre class="message">{escape(a.message)}</pre>' if a.message else ""
    return (
        f'<tr id="row-{escape(a.id)}" data-attempt="{escape(a.id)}">'
        f'<td class="num">{number}</td><td>{log}</td>'
        f'<td><span class="outcome is-{escape(a.outcome)}">{escape(a.outcome)}</span></td>'
        f'<td class="num mono">{exit_code}</td><td>{escape(a.reason)}</td>{times}'
        f'<td class="msg-cell">{message}</td></tr>\n'
    )


def attempt_rows(lane: Lane, *, logs: bool, live: bool) -> str:
    """The rows of a lane's attempts table, newest first: a Log link when `logs` (the reader may read this
    Pod's logs), a ticking duration for a running attempt when `live`."""
    return "".join(_attempt_row(a, lane.name, logs=logs, live=live) for a in reversed(lane.attempts))
