"""Template helpers for the pages: times, durations, percentages, status tones.

Every filter returns plain text (never marked safe), so autoescaping covers every string that came from a
cluster; the one tag that returns HTML (`when`) builds it with format_html, which escapes its arguments.
"""

from __future__ import annotations

from datetime import UTC, datetime

from django import template
from django.utils.html import format_html

from pods.timeline.times import parse_time
from pods.web.waterfall import format_duration, format_utc

register = template.Library()

BAD_WORDS = (
    "Err",
    "BackOff",
    "OOM",
    "Failed",
    "Invalid",
    "Error",
    "Signal",
    "ExitCode",
    "Unknown",
    "Evicted",
)
OK_STATUSES = ("Running", "Completed", "Succeeded")
GONE_STATUSES = ("Terminating",)


def _time(value: object) -> datetime | None:
    return parse_time(value)


@register.filter
def iso(value: object) -> str:
    """RFC 3339 UTC with Z, for `datetime` and `data-time` attributes ("" when unknown)."""
    t = _time(value)
    return t.astimezone(UTC).isoformat().replace("+00:00", "Z") if t else ""


@register.filter
def utc(value: object) -> str:
    """`2025-06-01 10:00:41Z` ("" when unknown)."""
    return format_utc(_time(value))


@register.filter
def duration(seconds: object) -> str:
    """Seconds as `2m40s` ("" for None)."""
    if seconds is None or seconds == "":
        return ""
    try:
        return format_duration(float(seconds))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return ""


@register.filter
def age(value: object, now: object = None) -> str:
    """How long before `now` (default: the current time) `value` was, as `3h12m`."""
    t = _time(value)
    if t is None:
        return ""
    reference = _time(now) or datetime.now(UTC)
    return format_duration((reference - t).total_seconds())


@register.filter
def pct(x: object, width: object) -> str:
    """`x` of `width` as an SVG percentage length (`12.34%`)."""
    try:
        return f"{float(x) / float(width) * 100:.3f}%"  # type: ignore[arg-type]
    except (TypeError, ValueError, ZeroDivisionError):
        return "0%"


@register.filter
def tone(status: object) -> str:
    """A colour family for a kubectl STATUS text: bad | ok | gone | wait."""
    text = str(status or "")
    if text in GONE_STATUSES:
        return "gone"
    if any(word in text for word in BAD_WORDS):
        return "bad"
    if text in OK_STATUSES:
        return "ok"
    return "wait"


@register.filter
def megabytes(value: object) -> str:
    try:
        return f"{float(value) / 1e6:.1f} MB"  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return ""


@register.simple_tag
def when(value: object, empty: str = "—") -> str:
    """`<time>` with the UTC text; pod.js rewrites it in the viewer's time zone and keeps UTC as title.

    Built with format_html, which escapes every argument (cheaper than an inclusion template per cell).
    """
    t = _time(value)
    if t is None:
        return format_html('<span class="muted">{}</span>', empty)
    text = format_utc(t)
    stamp = iso(t)
    return format_html(
        '<time datetime="{}" data-time="{}" title="{} UTC">{}</time>', stamp, stamp, text, text
    )
