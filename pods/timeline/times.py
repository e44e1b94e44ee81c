"""Times and durations: RFC 3339 parsing (cached), formatting, Go durations, human durations."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

_CACHE: dict[str, datetime | None] = {}
_CACHE_MAX = 8192


def parse_time(value: object) -> datetime | None:
    """An RFC 3339 time (``2025-06-01T10:00:41Z``, fractional seconds, any offset) as an aware UTC datetime.

    Tolerant: anything unparseable (None, "", a number, garbage) gives None. Results are cached by string
    because a watch stream repeats the same timestamps in every object of a Pod.
    """
    if type(value) is str:
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
    if len(text) < 10 or len(text) > 64:
        return None
    if text[-1] in "zZ":
        text = text[:-1] + "+00:00"
    try:
        dt = datetime.fromisoformat(text)
    except ValueError:
        return None
    if dt.tzinfo is None:  # RFC 3339 requires an offset; a bare time is taken as UTC
        return dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)


def format_time(dt: datetime | None) -> str | None:
    """RFC 3339 in UTC with ``Z`` (microseconds only when non-zero); None stays None."""
    if not isinstance(dt, datetime):
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC).isoformat().replace("+00:00", "Z")


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


__all__ = ["format_time", "human_duration", "parse_go_duration", "parse_time"]
