"""Errors of the timeline engine."""

from __future__ import annotations


class MalformedObject(ValueError):
    """An object the engine cannot use at all (not a dict, wrong kind, no metadata.uid, ...).

    The message is a plain human reason, e.g. ``Pod has no metadata.uid``. Odd but usable objects never
    raise: the engine records what is known and ignores the rest.
    """


__all__ = ["MalformedObject"]
