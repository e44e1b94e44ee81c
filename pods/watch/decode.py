"""Line decoding: one raw watch line -> what the window does with it. Pure.

The classification of a watch event lives in the engine (`pods.timeline.watch_events`); this step adds
what only the watcher needs: the bytes, the stream the line came from, and what each kind asks for.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

import orjson

from pods.ingest import WatchItem
from pods.kube import OversizedLine
from pods.timeline.errors import shown
from pods.timeline.parse import without_nul
from pods.timeline.watch_events import classify
from pods.watch.state import Stream

Action = Literal["object", "bookmark", "expired", "error", "skip"]


@dataclass(frozen=True, slots=True)
class Decoded:
    """What one watch line means: `action` is object | bookmark | expired | error | skip."""

    action: Action
    item: WatchItem | None = None
    resource_version: str = ""
    message: str = ""


def decode_line(
    stream: Stream, line: bytes, *, position: str = "", observed_at: datetime | None = None
) -> Decoded:
    """Decode one raw watch line (`{"type": ..., "object": ...}`); never raises.

    ADDED/MODIFIED/DELETED carry an object to ingest and its resourceVersion; BOOKMARK only a
    resourceVersion; ERROR with code 410 asks for a relist ("expired"), any other ERROR too, after a
    back-off ("error"). Malformed lines, lines longer than `INITSCOPE_MAX_LINE_BYTES` (`OversizedLine`)
    and unknown types are "skip" with a message saying where (`position`) and why. An object's item is
    placed at `position` and its resourceVersion, so a rejection at ingest names both.
    """
    where = f"{position}: " if position else ""
    if isinstance(line, OversizedLine):
        return Decoded(
            "skip",
            message=f"{where}watch line of {line.size:,} bytes skipped: longer than "
            f"INITSCOPE_MAX_LINE_BYTES (it starts {bytes(line[:120])!r})",
        )
    try:
        raw = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        return Decoded("skip", message=f"{where}malformed watch line ({exc}): {line[:120]!r}")
    if not isinstance(raw, dict) or not isinstance(raw.get("object"), dict):
        return Decoded("skip", message=f"{where}watch line without an object: {line[:120]!r}")
    if b"\\u0000" in line:
        raw = without_nul(raw)
    event = classify(raw, resource="pod" if stream.kind == "pod" else "event")
    rv = event.resource_version
    if event.kind == "bookmark":
        return Decoded("bookmark", resource_version=rv)
    if event.kind == "error":
        obj = event.object
        message = f"{shown(event.code)} {shown(obj.get('reason', ''))}: {shown(obj.get('message', ''), 300)}"
        return Decoded("expired" if event.code == 410 else "error", message=message)
    if event.kind == "unknown":
        return Decoded("skip", message=f"{where}{event.reason} (resourceVersion {shown(rv) or '?'})")
    if event.kind == "event" and event.type == "DELETED":  # an Event expired: nothing to learn
        return Decoded("bookmark", resource_version=rv)
    if rv:
        position = f"{position} (resourceVersion {shown(rv)})" if position else f"resourceVersion {shown(rv)}"
    item = WatchItem(event.kind, event.object, event.type, position, observed_at or datetime.now(UTC))
    return Decoded("object", item, rv)
