"""Watch-event classification: what one decoded `{"type", "object"}` watch event is (docs/kubernetes.md §6).

The one home of this rule, shared by the watcher (`pods.watch.decode`), the importer of recorded streams
(`pods.importer.reader`) and `build_state`:

- `ADDED` / `MODIFIED` / `DELETED` carry an object: a Pod (core/v1) or an Event (core/v1 or
  events.k8s.io), told apart by the object's own `kind` and `apiVersion` (`object_kind`), or by the
  stream it came from when the caller knows it;
- `BOOKMARK` carries only a resourceVersion;
- `ERROR` carries a metav1.Status (410 Gone: the resourceVersion is too old, relist);
- anything else is unknown, with a one-line reason.

Pure: no I/O, never raises.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from .errors import shown

OBJECT_TYPES = frozenset({"ADDED", "MODIFIED", "DELETED"})
EVENT_API_VERSIONS = frozenset({"v1", "events.k8s.io/v1", "events.k8s.io/v1beta1"})

ObjectKind = Literal["pod", "event"]
WatchEventKind = Literal["pod", "event", "bookmark", "error", "unknown"]


@dataclass(frozen=True, slots=True)
class WatchEvent:
    """One classified watch event.

    `kind`: pod | event (an object to fold) | bookmark | error | unknown. `type`: the watch event type as
    sent. `object`: the event's object (`{}` when it has none). `reason`: why it is unknown, or an
    ERROR's Status in words.
    """

    kind: WatchEventKind
    type: str
    object: dict[str, Any] = field(default_factory=dict)
    reason: str = ""

    @property
    def resource_version(self) -> str:
        meta = self.object.get("metadata")
        rv = meta.get("resourceVersion") if isinstance(meta, dict) else ""
        return rv if type(rv) is str else str(rv) if type(rv) is int else ""  # never a list's whole repr

    @property
    def code(self) -> Any:
        """An ERROR's Status code (410: expired), as sent."""
        return self.object.get("code")


def is_watch_event(value: Mapping[str, Any]) -> bool:
    """A watch event (`type` and `object`, no `kind`) rather than a bare API object or a List."""
    return "kind" not in value and "type" in value and "object" in value


def classify(event: Mapping[str, Any], *, resource: ObjectKind | None = None) -> WatchEvent:
    """What the decoded watch event `event` is.

    `resource`: what the stream carries when the caller knows it (a watch of pods sends only Pods);
    without it, the object's own `kind` and `apiVersion` say (`object_kind`).
    """
    type_ = event.get("type")
    raw = event.get("object")
    obj: dict[str, Any] = raw if isinstance(raw, dict) else {}
    if type_ == "BOOKMARK":
        return WatchEvent("bookmark", type_, obj)
    if type_ == "ERROR":
        return WatchEvent("error", type_, obj, status_text(raw))
    if type_ not in OBJECT_TYPES:
        return WatchEvent("unknown", str(type_), obj, f"unknown watch event type {shown(type_)!r}")
    if not isinstance(raw, dict):
        return WatchEvent("unknown", type_, obj, f"{type_} watch event without an object")
    kind = resource or object_kind(obj)
    if kind is None:
        return WatchEvent("unknown", type_, obj, not_pod_or_event(obj))
    return WatchEvent(kind, type_, obj)


def object_kind(obj: Mapping[str, Any], *, by_shape: bool = False) -> ObjectKind | None:
    """ "pod" for a core/v1 Pod, "event" for a core/v1 or events.k8s.io Event, else None.

    An object without `kind` is None, unless `by_shape`: then an Event is what names the object it is
    about (`involvedObject` in core/v1, `regarding` in events.k8s.io) and anything else is taken for a Pod.
    """
    kind = obj.get("kind")
    if kind is None and by_shape:
        return "event" if "involvedObject" in obj or "regarding" in obj else "pod"
    api = obj.get("apiVersion", "v1")
    if kind == "Pod" and api == "v1":
        return "pod"
    if kind == "Event" and isinstance(api, str) and api in EVENT_API_VERSIONS:  # a list is unhashable
        return "event"
    return None


def not_pod_or_event(obj: Mapping[str, Any]) -> str:
    """Why `object_kind(obj)` is None, in one line."""
    kind = obj.get("kind")
    api = obj.get("apiVersion", "v1")
    if kind in ("Pod", "Event"):
        return f"unsupported apiVersion {shown(api)} for {kind}"
    if kind is None or kind == "":
        return "object has no kind"
    if kind == "Status":
        return f"Status object: {status_text(obj)}"
    if isinstance(kind, str) and kind.endswith("List"):
        return f"{shown(kind)} without items"
    return f"unsupported kind {shown(kind)}"


def status_text(status: Any) -> str:
    """The human part of a metav1.Status (message, else reason, else code)."""
    if not isinstance(status, dict):
        return "no Status object"
    message = shown(status.get("message") or status.get("reason") or "", 300)
    code = shown(status.get("code"))
    if status.get("code") and message:
        return f"{message} (code {code})"
    return message or (f"code {code}" if status.get("code") else "no message")


__all__ = [
    "EVENT_API_VERSIONS",
    "OBJECT_TYPES",
    "ObjectKind",
    "WatchEvent",
    "WatchEventKind",
    "classify",
    "is_watch_event",
    "not_pod_or_event",
    "object_kind",
    "status_text",
]
