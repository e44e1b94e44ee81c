"""Assembling the waterfall: the scheduling lane, one lane per container, the Pod's milestone markers.

`waterfall_layout(document, now=..., width=...)` is the entry point (see the package docstring).
"""

from __future__ import annotations

from datetime import datetime

from pods.timeline import TERMINAL_PHASES
from pods.timeline.times import format_duration, parse_time
from pods.web.waterfall.axis import Axis, axis_bounds, nice_ticks
from pods.web.waterfall.lanes import ContainerLane, Context
from pods.web.waterfall.model import (
    AXIS_HEIGHT,
    CHAR_WIDTH,
    LANE_HEIGHT,
    MARK_ROW_HEIGHT,
    Lane,
    Layout,
    Marker,
    Segment,
    label_width,
)
from pods.web.waterfall.outcome import is_live

MARKERS = (
    ("scheduled_at", "scheduled", "scheduled"),
    # PodReadyToStartContainers True: the sandbox and its network are up (docs/kubernetes.md §2)
    ("sandbox_ready_at", "sandbox-ready", "sandbox ready"),
    ("initialized_at", "initialized", "initialized"),
    ("containers_ready_at", "containers-ready", "containers ready"),
    ("ready_at", "ready", "ready"),
    # the request (deletionTimestamp − grace period), never the deadline deletionTimestamp itself
    ("deletion_requested_at", "deleting", "delete requested"),
    ("deleted_at", "deleted", "deleted"),
)

GENERATION_LABELS = {"restart-all": "all containers restarted", "sandbox": "new sandbox"}


def _schedule_lane(document: dict, ctx: Context) -> Lane:
    lane = Lane(id="lane-scheduling", kind="schedule", name="", label="scheduling", row=0)
    created = parse_time(document.get("created_at")) or ctx.axis.start
    scheduled = ctx.scheduled
    end = scheduled or ctx.open_end
    seconds = (end - created).total_seconds()
    if seconds < 0:
        ctx.skew += 1
        seconds = 0.0
    unschedulable = (document.get("diagnosis") or {}).get("code") == "unschedulable"
    # never the colour of a failed or killed attempt: scheduling is a wait, not an outcome
    cls = "done" if scheduled else ("unschedulable" if unschedulable else "pending")
    if scheduled:
        title = f"scheduled in {format_duration(seconds)}\n{ctx.utc(created)} → {ctx.utc(scheduled)}"
    else:
        title = f"not scheduled after {format_duration(seconds)}\ncreated {ctx.utc(created)}"
    if document.get("node"):
        title += f"\nnode {document['node']}"
    x, w = ctx.axis.span(created, end)
    seg = Segment("sched", "schedule", cls, x, w, created, end, seconds, title, title.split("\n")[0])
    seg.live = not scheduled and ctx.live
    seg.reason = "FailedScheduling" if unschedulable else ""
    lane.segments.append(seg)
    _pod_setup(document, ctx, lane)
    if len(lane.segments) > 1:
        lane.label = "pod setup"
    return lane


def _pod_segment(
    lane: Lane,
    ctx: Context,
    kind: str,
    cls: str,
    start: datetime,
    end: datetime,
    reason: str,
    what: str,
    message: str = "",
    *,
    still: bool = False,
) -> Segment:
    seconds = max((end - start).total_seconds(), 0.0)
    span = format_duration(seconds) + ("…" if still else "")
    title = f"{what}{f' ({reason})' if reason else ''} {span}\n{ctx.utc(start)} → " + (
        "now" if still else ctx.utc(end)
    )
    if message:
        title += "\n" + message[:400]
    x, w = ctx.axis.span(start, end)
    seg = Segment(f"{kind}-{len(lane.segments)}", kind, cls, x, w, start, end, seconds, title, "")
    seg.aria = f"{what}: {reason + ', ' if reason else ''}{span}"
    seg.reason = reason
    seg.live = still
    seg.label = (reason or what) if w >= label_width(reason or what) else ""
    lane.segments.append(seg)
    return seg


def _pod_setup(document: dict, ctx: Context, lane: Lane) -> None:
    """After scheduling, before the first container: volumes mounting (FailedMount, FailedAttachVolume
    repeat while they fail) and the sandbox (FailedCreatePodSandBox; PodReadyToStartContainers when up)."""
    scheduled = ctx.scheduled
    if scheduled is None:
        return
    signals = {s.get("reason"): s for s in document.get("signals") or ()}
    code = (document.get("diagnosis") or {}).get("code")
    cursor = scheduled
    for reason in ("FailedAttachVolume", "FailedMount"):
        signal = signals.get(reason)
        first = parse_time((signal or {}).get("first_at"))
        if signal is None or first is None:
            continue
        still = code == "mount" and ctx.live
        end = ctx.open_end if still else (parse_time(signal.get("last_at")) or first)
        start = max(first, cursor)
        if end <= start and not still:
            continue
        text = "attaching volumes" if reason == "FailedAttachVolume" else "mounting volumes"
        _pod_segment(
            lane,
            ctx,
            "waiting",
            "open" if still else "waiting",
            start,
            max(end, start),
            reason,
            text,
            signal.get("message") or "",
            still=still,
        )
        cursor = max(cursor, end)
    ready = parse_time(document.get("sandbox_ready_at"))
    failed = signals.get("FailedCreatePodSandBox")
    reason = "FailedCreatePodSandBox" if failed else ""
    message = (failed or {}).get("message") or ""
    if ready is not None and ready > cursor:
        _pod_segment(lane, ctx, "sandbox", "done", cursor, ready, reason, "sandbox", message)
    elif ready is None and code == "sandbox" and ctx.live:
        start = max(parse_time((failed or {}).get("first_at")) or cursor, cursor)
        _pod_segment(
            lane,
            ctx,
            "sandbox",
            "open",
            start,
            max(ctx.open_end, start),
            reason,
            "waiting for the sandbox",
            message,
            still=True,
        )


def _markers(document: dict, axis: Axis, *, lanes: int, now: datetime | None) -> list[Marker]:
    """Pod milestones (and `now` when given), label rows staggered so that close labels do not overlap."""
    found = []
    for key, kind, label in MARKERS:
        at = parse_time(document.get(key))
        if at:
            if key == "deleted_at" and document.get("deleted_at_exact") is False:
                label = "gone (deleted after)"  # vanished across a relist: the earliest it can have been
            found.append((axis.x(at), kind, label, at))
    for generation in document.get("generations") or ():
        # where an init generation began: containers started over from the first init container
        at = parse_time(generation.get("started_at"))
        if at:
            word = GENERATION_LABELS.get(generation.get("cause") or "", "containers started over")
            found.append((axis.x(at), "generation", f"{word} (gen {generation.get('number')})", at))
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
    axis = Axis(start, end, width)
    # A recording (document "live": false) is drawn as it stood when it ended and never moves.
    live = is_live(document) and document.get("live", True)
    grows = live and end == now
    ctx = Context(
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
        lanes.append(ContainerLane(ctx, container, row).build())
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
