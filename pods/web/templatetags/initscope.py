"""Template helpers for the pages: times, durations, percentages, status tones, tick steps.

Every filter returns plain text (never marked safe), so autoescaping covers every string that came from a
cluster; the tags that return HTML (`when`, the waterfall's lanes and details, the attempts rows) are
built by `pods.web.waterfall.markup`, which escapes every string it writes (the details with `json_script`),
and `breakable` escapes its value before it adds `<wbr>` (its only markup).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from django import template
from django.utils.html import escape, json_script
from django.utils.safestring import SafeString, mark_safe

from pods.timeline.times import format_duration, format_time, format_utc, parse_time
from pods.timeline.tone import diagnosis_tone, status_tone
from pods.web.waterfall import NICE_STEPS, Layout, markup

register = template.Library()


def _time(value: object) -> datetime | None:
    return parse_time(value)


@register.filter
def iso(value: object) -> str:
    """RFC 3339 UTC with Z, for `datetime` and `data-time` attributes ("" when unknown)."""
    return format_time(_time(value)) or ""


@register.filter
def utc(value: object) -> str:
    """`2025-06-01 10:00:41Z` ("" when unknown)."""
    return format_utc(_time(value))


@register.filter
def duration(seconds: Any) -> str:
    """Seconds as `2m40s` ("" for None); like the filters below, it takes any template value."""
    if seconds is None or seconds == "":
        return ""
    try:
        return format_duration(float(seconds))
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
def pct(x: Any, width: Any) -> str:
    """`x` of `width` as an SVG percentage length (`12.34%`)."""
    try:
        return markup.percent(float(x), float(width))
    except (TypeError, ValueError, ZeroDivisionError):
        return "0%"


# The colour families of a kubectl STATUS (bad | ok | gone | wait) and of a diagnosis code.
register.filter("tone", status_tone)
register.filter("diagnosis_tone", diagnosis_tone)


@register.simple_tag
def tick_steps() -> str:
    """The waterfall's round tick steps in seconds, space-separated, for pod.js to tick the zoomed axis."""
    return " ".join(f"{step:g}" for step in NICE_STEPS)


@register.simple_tag
def waterfall_lanes(layout: Layout, prefix: str = "") -> SafeString:
    """The waterfall's lanes and bars (`pods.web.waterfall.markup`, which escapes every string)."""
    return mark_safe(markup.lanes(layout, prefix))  # noqa: S308 - escaped by markup.lanes


@register.simple_tag
def waterfall_notes(layout: Layout) -> SafeString:
    """The labels beside the bars (`pods.web.waterfall.markup.notes`, which escapes them): a loop over
    every bar, cheaper in Python than in the template."""
    return mark_safe(markup.notes(layout))  # noqa: S308 - escaped by markup.notes


@register.simple_tag
def waterfall_details(layout: Layout, prefix: str = "") -> SafeString:
    """The bars' details for pod.js, a JSON `<script>` (`json_script` escapes `<`, `>` and `&`)."""
    return json_script(markup.details(layout, prefix), f"{prefix}wf-details")


@register.filter
def megabytes(value: Any) -> str:
    try:
        return f"{float(value) / 1e6:.1f} MB"
    except (TypeError, ValueError):
        return ""


@register.simple_tag
def when(value: object, empty: str = "—") -> SafeString:
    """`<time>` with the UTC text; pod.js rewrites it in the viewer's time zone and keeps UTC as title
    (`pods.web.waterfall.markup.time_element`, which escapes `empty`; cheaper than an inclusion template
    per cell)."""
    return mark_safe(markup.time_element(_time(value), empty))  # noqa: S308 - built escaped


@register.simple_tag
def attempt_rows(lane: Any, logs: bool, live: bool) -> SafeString:
    """The rows of a lane's attempts table (`pods.web.waterfall.markup.attempt_rows`, which escapes every
    string)."""
    return mark_safe(markup.attempt_rows(lane, logs=bool(logs), live=bool(live)))  # noqa: S308 - escaped


@register.filter(is_safe=False, needs_autoescape=False)
def breakable(value: object, words: str = "") -> SafeString:
    """An image reference (or any path-like name) that may wrap after each `/`, `:` and `@` rather than at
    any letter: the text escaped, then a `<wbr>` after each of those (the only markup added).
    `breakable:"words"` also lets a CamelCase word wrap where a word starts (a STATUS such as
    `Init:CreateContainerConfigError`, so the list's Status column fits at 1024 px)."""
    text = str(escape(str(value or "")))
    for mark in "/:@":
        text = text.replace(mark, f"{mark}<wbr>")
    if words:
        # escape() writes only lowercase entities (&lt; &quot; &#x27;): no <wbr> lands inside one
        text = _WORD_START.sub("<wbr>", text)
    return mark_safe(text)  # noqa: S308 - escaped above; only <wbr> is added


_WORD_START = re.compile(r"(?<=[a-z])(?=[A-Z])")
