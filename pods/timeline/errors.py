"""Errors of the timeline engine."""

from __future__ import annotations


class MalformedObject(ValueError):
    """An object the engine cannot use at all (not a dict, wrong kind, no metadata.uid, ...).

    The message is a plain human reason, e.g. ``Pod has no metadata.uid``. Odd but usable objects never
    raise: the engine records what is known and ignores the rest.
    """


def shown(value: object, limit: int = 60) -> str:
    """An untrusted value as it may appear in a one-line reason: a string cut to `limit` characters (with
    "…") and its control characters escaped, a number or a boolean as JSON writes it, null, and an object
    or an array as `{…}` / `[…]`: never its whole repr, which may be megabytes long or nested past
    Python's recursion limit."""
    if isinstance(value, str):
        text = "".join(c if c.isprintable() else repr(c)[1:-1] for c in value[:limit])
        return text + "…" if len(value) > limit else text
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)[:limit]
    if isinstance(value, dict):
        return "{…}"
    if isinstance(value, list | tuple):
        return "[…]"
    return type(value).__name__


__all__ = ["MalformedObject", "shown"]
