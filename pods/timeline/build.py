"""`build_state`: fold a recorded sequence of watch events / objects of one Pod (for tests and tools)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, cast

from .fold import apply_pod
from .fold_events import apply_event
from .model import PodState
from .parse import event_record
from .raw import RawEvent, RawPod, RawWatchEvent
from .watch_events import OBJECT_TYPES, object_kind


def build_state(records: Iterable[RawWatchEvent[RawPod | RawEvent] | RawPod | RawEvent]) -> PodState | None:
    """Fold `{"type", "object"}` watch events and/or bare Pod and Event objects of ONE Pod, in order.

    BOOKMARK and ERROR watch events are skipped, and so are objects of another Pod (the first Pod or
    Event fixes the uid). None when nothing could be folded. `MalformedObject` propagates.
    """
    state: PodState | None = None
    for record in records:
        if type(record) is not dict:
            continue
        kind = record.get("type")
        inner = record.get("object")
        obj: Mapping[str, Any] = inner if "object" in record and type(inner) is dict else record
        if obj is not record and kind not in OBJECT_TYPES:
            continue  # a BOOKMARK, an ERROR or an unknown type: no object to fold
        if object_kind(obj, by_shape=True) == "event":
            event = event_record(obj)
            if state is not None and event.pod_uid != state.uid:
                continue
            state, _ = apply_event(state, event)
            continue
        uid = obj.get("metadata", {}).get("uid") if type(obj.get("metadata")) is dict else None
        if state is not None and uid != state.uid:
            continue
        state, _ = apply_pod(state, cast(RawPod, obj), deleted=kind == "DELETED")
    return state


__all__ = ["build_state"]
