"""Times and durations, the one home for every rule about them (pure).

Owns: RFC 3339 parsing (`parse_time`, one cache for the watch stream and stored states), the two
written forms (`format_time` for machines: RFC 3339 UTC with `Z`; `format_utc` for people:
`2025-06-01 10:00:41Z`), Go durations (`parse_go_duration`), durations for people (`human_duration`,
`format_duration`), and the two stand-in times (`MIN_TIME` to sort an unknown time first, `UNIX_EPOCH`
where a time must be set and none is known).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

# Sorts before every real time: the key of an unknown time (`time_key`).
MIN_TIME = datetime.min.replace(tzinfo=UTC)
# Where a time must be stored and nothing is known (a deletion of a Pod that never showed a time).
UNIX_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

# Parsed times by their text: a watch stream repeats the same timestamps in every object of a Pod, and
# stored states repeat them across containers and batches (datetimes are immutable: sharing is safe).
# Emptied when full. 8,192 entries are ~1.6 MB and fill within minutes of churn, so a worker's memory
# reaches its plateau early; 65,536 (12.7 MB) took over an hour at make soak's rate, which looked like
# a leak (docs/performance.md "Endurance"), and hit no more often in B1.
_CACHE: dict[str, datetime | None] = {}
_CACHE_MAX = 8192
_TEXT_MAX = 64  # longer than any RFC 3339 time with fractional seconds and an offset


def parse_time(value: object) -> datetime | None:
    """An RFC 3339 time (``2025-06-01T10:00:41Z``, fractional seconds, any offset) as an aware UTC datetime.

    Tolerant: anything unparseable (None, "", a number, garbage) gives None. Results are cached by string
    because a watch stream repeats the same timestamps in every object of a Pod.
    """
    if type(value) is str:
        if len(value) > _TEXT_MAX:  # not a time (or padded): parsed, not cached, so hostile input
            return _parse(value)  # cannot pin megabytes of text in a long-lived process
        try:
            return _CACHE[value]
        except KeyError:
            pass
        parsed = _parse(value)
        if len(_CACHE) >= _CACHE_MAX:
            _CACHE.clear()
        _CACHE[value] = parsed
        return parsed
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return None


def _parse(value: str) -> datetime | None:
    text = value.strip()
    if len(text) < 10 or len(text) > _TEXT_MAX:
        return None
    if text[-1] in "zZ":
        text = text[:-1] + "+00:00"
    try:
        dt = datetime.fromisoformat(text)
        if dt.tzinfo is None:  # RFC 3339 requires an offset; a bare time is taken as UTC
            return dt.replace(tzinfo=UTC)
        return dt.astimezone(UTC)
    except (ValueError, OverflowError):  # OverflowError: an offset past year 1 or 9999 in UTC
        return None


def format_time(dt: datetime | None) -> str | None:
    """RFC 3339 in UTC with ``Z`` (microseconds only when non-zero); None stays None."""
    if not isinstance(dt, datetime):
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC).isoformat().replace("+00:00", "Z")


def format_utc(value: datetime | None) -> str:
    """For people: `2025-06-01 10:00:41Z` (milliseconds when not whole); "" for None."""
    if value is None:
        return ""
    value = value.astimezone(UTC)
    text = value.strftime("%Y-%m-%d %H:%M:%S")
    if value.microsecond:
        text += f".{value.microsecond // 1000:03d}"
    return text + "Z"


def newest_time(values: Iterable[datetime | None]) -> datetime | None:
    """The latest of the known times among `values`; None when none is known."""
    return max((value for value in values if value is not None), default=None)


def time_key(value: datetime | None) -> datetime:
    """A sort key for a time that may be unknown (unknown sorts first)."""
    return MIN_TIME if value is None else value


_GO_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)")
_GO_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "μs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_go_duration(text: object) -> float | None:
    """Seconds in a Go duration string (``796ms``, ``1.594s``, ``1m2.5s``, ``2m0s``, ``1h0m0s``, ``0s``).

    None when the text is not a duration.
    """
    if not isinstance(text, str):
        return None
    text = text.strip()
    if not text:
        return None
    if text == "0":
        return 0.0
    sign = 1.0
    if text[0] in "+-":
        sign = -1.0 if text[0] == "-" else 1.0
        text = text[1:]
    pos = 0
    total = 0.0
    for match in _GO_PART.finditer(text):
        if match.start() != pos:
            return None
        total += float(match.group(1)) * _GO_UNITS[match.group(2)]
        pos = match.end()
    if pos != len(text) or pos == 0:
        return None
    return sign * total


def human_duration(delta: timedelta | float | None) -> str:
    """A compact duration for people: ``45s``, ``7m12s``, ``2h5m``, ``3d4h`` (negative clamps to 0s)."""
    if delta is None:
        return "?"
    seconds = delta.total_seconds() if isinstance(delta, timedelta) else float(delta)
    total = max(0, int(seconds))
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d{hours}h" if hours else f"{days}d"
    if hours:
        return f"{hours}h{minutes}m" if minutes else f"{hours}h"
    if minutes:
        return f"{minutes}m{secs}s" if secs else f"{minutes}m"
    return f"{secs}s"


def format_duration(seconds: float | None) -> str:
    """A short duration for people, with tenths under 10s: 0.4s, 12s, 2m40s, 1h5m, 3d4h ("" for None)."""
    if seconds is None:
        return ""
    seconds = max(0.0, seconds)
    if seconds < 10 and seconds != int(seconds):
        return f"{seconds:.1f}s"
    return human_duration(seconds)


__all__ = [
    "MIN_TIME",
    "UNIX_EPOCH",
    "format_duration",
    "format_time",
    "format_utc",
    "human_duration",
    "newest_time",
    "parse_go_duration",
    "parse_time",
    "time_key",
]
