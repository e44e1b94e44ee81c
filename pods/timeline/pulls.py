"""Image pulls from kubelet Events (docs/kubernetes.md §5): Pulling / Pulled / Failed."""

from __future__ import annotations

import re
from datetime import datetime
from typing import NamedTuple

from .model import Pull, set_fields, set_if_changed
from .times import parse_go_duration

_PULLED = re.compile(
    r'^Successfully pulled image "(?P<image>[^"]*)" in (?P<pull>[0-9.]+[a-zµμ]+(?:[0-9.]+[a-zµμ]+)*)'
    r"(?: \((?P<total>[0-9.]+[a-zµμ]+(?:[0-9.]+[a-zµμ]+)*) including waiting\))?"
    r"(?:\. Image size: (?P<bytes>\d+) bytes)?"
)
_PRESENT = re.compile(r'^Container image "(?P<image>[^"]*)" already present on machine')
_PULLING = re.compile(r'^Pulling image "(?P<image>[^"]*)"')
_FAILED = re.compile(r'^Failed to pull image "(?P<image>[^"]*)"(?::\s*(?P<error>.*))?', re.DOTALL)


class PulledMessage(NamedTuple):
    image: str
    pull_seconds: float | None
    wait_seconds: float | None  # None for the older message without "including waiting"
    image_bytes: int | None
    already_present: bool


def parse_pulled(message: str) -> PulledMessage | None:
    """Parse a `Pulled` message, either form; None when it is neither."""
    match = _PULLED.match(message)
    if match:
        pull = parse_go_duration(match.group("pull"))
        total = parse_go_duration(match.group("total")) if match.group("total") else None
        wait = None
        if pull is not None and total is not None:
            wait = round(max(0.0, total - pull), 3)  # both are truncated to ms: clamp rounding noise
        size = match.group("bytes")
        return PulledMessage(match.group("image"), pull, wait, int(size) if size else None, False)
    match = _PRESENT.match(message)
    if match:
        return PulledMessage(match.group("image"), None, None, None, True)
    return None


def parse_pulling(message: str) -> str | None:
    match = _PULLING.match(message)
    return match.group("image") if match else None


def parse_failed_pull(message: str) -> tuple[str, str] | None:
    """(image, error) from `Failed to pull image "X": <err>`; None for other `Failed` messages."""
    match = _FAILED.match(message)
    if not match:
        return None
    return match.group("image"), (match.group("error") or "").strip()


def apply_pulling(pull: Pull, image: str, at: datetime | None) -> bool:
    """A `Pulling` event: the first one of the pull gives started_at."""
    changed = False
    if image and not pull.image:
        changed |= set_if_changed(pull, "image", image)
    unfinished = pull.finished_at is None and not pull.already_present
    if unfinished and at is not None and (pull.started_at is None or at < pull.started_at):
        changed |= set_if_changed(pull, "started_at", at)
    return changed


def apply_pulled(pull: Pull, parsed: PulledMessage, at: datetime | None) -> bool:
    """A `Pulled` event. The FIRST successful pull is kept: later `Pulled` events (restarts find the
    image present, or pull it again under imagePullPolicy Always) do not overwrite it."""
    if pull.finished_at is not None or pull.already_present:
        return False
    changed = False
    if parsed.image:
        changed |= set_if_changed(pull, "image", parsed.image)
    return changed | set_fields(
        pull,
        finished_at=at,
        pull_seconds=parsed.pull_seconds,
        wait_seconds=parsed.wait_seconds,
        image_bytes=parsed.image_bytes,
        already_present=parsed.already_present,
    )


def apply_failed(pull: Pull, image: str, error: str, times: int) -> bool:
    """`times` new `Failed to pull image` occurrences (an Event's count may grow)."""
    if times <= 0:
        return False
    if image and not pull.image:
        pull.image = image
    pull.failures += times
    if error:
        pull.last_error = error
    return True


__all__ = [
    "PulledMessage",
    "apply_failed",
    "apply_pulled",
    "apply_pulling",
    "parse_failed_pull",
    "parse_pulled",
    "parse_pulling",
]
