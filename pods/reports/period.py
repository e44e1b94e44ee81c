"""The period of a report (pure): `since` ≤ t < `until`, from ISO 8601 times or times relative to now."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from pods.timeline.times import parse_time

DEFAULT_SPAN = timedelta(days=7)
_RELATIVE = re.compile(r"^-(\d{1,6})([smhdw])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
HELP = (
    "An ISO 8601 time (`2025-06-01`, `2025-06-01T10:00:00Z`; without an offset: UTC) or a time relative "
    "to now: `-30m`, `-12h`, `-7d`, `-2w` (units s, m, h, d, w)."
)


class PeriodError(ValueError):
    """An invalid `since` or `until`: `field` names it, the message says what is wrong."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True, slots=True)
class Period:
    since: datetime
    until: datetime


def parse_moment(text: str, now: datetime, field: str) -> datetime:
    value = text.strip()
    relative = _RELATIVE.match(value)
    if relative:
        return now - timedelta(**{_UNITS[relative.group(2)]: int(relative.group(1))})
    moment = parse_time(value)
    if moment is None:
        raise PeriodError(field, f"not a time: {value[:40]!r}. {HELP}")
    return moment


def parse_period(since: str | None, until: str | None, now: datetime) -> Period:
    """The period asked for: `until` defaults to `now`, `since` to seven days before `until`."""
    end = parse_moment(until, now, "until") if until else now
    begin = parse_moment(since, now, "since") if since else end - DEFAULT_SPAN
    if begin >= end:
        raise PeriodError("since", "`since` must be before `until`.")
    return Period(since=begin, until=end)
