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
    back-off ("error"). Malformed lines and unknown types are "skip" with a message saying why.
    """
    try:
        raw = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        return Decoded("skip", message=f"malformed watch line ({exc}): {line[:120]!r}")
    if not isinstance(raw, dict) or not isinstance(raw.get("object"), dict):
        return Decoded("skip", message=f"watch line without an object: {line[:120]!r}")
    event = classify(raw, resource="pod" if stream.kind == "pod" else "event")
    rv = event.resource_version
    if event.kind == "bookmark":
        return Decoded("bookmark", resource_version=rv)
    if event.kind == "error":
        obj = event.object
        message = f"{event.code} {obj.get('reason', '')}: {obj.get('message', '')}"
        return Decoded("expired" if event.code == 410 else "error", message=message)
    if event.kind == "unknown":
        return Decoded("skip", message=f"{event.reason} (resourceVersion {rv or '?'})")
    if event.kind == "event" and event.type == "DELETED":  # an Event expired: nothing to learn
        return Decoded("bookmark", resource_version=rv)
    item = WatchItem(event.kind, event.object, event.type, position, observed_at or datetime.now(UTC))
    return Decoded("object", item, rv)
