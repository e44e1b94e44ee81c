"""Tolerant readers for raw API JSON: identity, spec containers, Events.

Every field is optional and may have the wrong type; readers return "" / None / () for what is missing or
odd, and raise `MalformedObject` only when an object cannot be used at all.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Any, Literal, cast

from .errors import MalformedObject, shown
from .model import EventRecord
from .raw import RawEvent
from .times import parse_time

EMPTY: Any = MappingProxyType({})  # a read-only {} to chain .get() on


def as_dict(value: object) -> Any:
    return value if type(value) is dict else EMPTY


def as_list(value: object) -> Any:
    return value if type(value) is list else ()


def as_str(value: object) -> str:
    return value if type(value) is str else ""


_INT64 = 1 << 63


def as_int(value: object) -> int | None:
    """An int from an int, an integral float or a decimal string ("3"); None otherwise (bools too), and
    None past the API's 64-bit range (no integer field of a Pod or an Event holds more)."""
    if type(value) is int:
        return value if -_INT64 <= value < _INT64 else None
    if type(value) is float:
        return int(value) if value.is_integer() and -_INT64 <= value < _INT64 else None
    if type(value) is str:
        text = value.strip()
        if text[1:].isdigit() and text[0] in "+-" or text.isdigit():
            return int(text) if len(text) < 20 else None
    return None


def without_nul(value: Any) -> Any:
    """`value` (decoded JSON, changed in place) with every U+0000 in its strings, keys too, replaced by
    U+FFFD. The API may send one (a termination message is whatever the container wrote, escaped
    `\\u0000`); PostgreSQL text cannot hold it. Readers call this only when the raw bytes contain
    `\\u0000` (cheap to test). Iterative: any depth orjson accepts."""
    if type(value) is str:
        return value.replace("\x00", "\ufffd")
    stack = [value]
    while stack:
        node = stack.pop()
        if type(node) is dict:
            for key in [k for k in node if "\x00" in k]:
                node[key.replace("\x00", "\ufffd")] = node.pop(key)
            entries: Any = node.items()
        elif type(node) is list:
            entries = enumerate(node)
        else:
            continue
        for key, child in list(entries):
            if type(child) is str:
                if "\x00" in child:
                    node[key] = child.replace("\x00", "\ufffd")
            elif type(child) is dict or type(child) is list:
                stack.append(child)
    return value


def _describe(value: object) -> str:
    return "null" if value is None else type(value).__name__


def pod_identity(raw: object) -> tuple[str, str, str, str]:
    """(uid, namespace, name, resource_version) of a raw Pod; raises `MalformedObject` if unusable."""
    if type(raw) is not dict:
        raise MalformedObject(f"a Pod must be a JSON object, got {_describe(raw)}")
    kind = raw.get("kind")
    if kind is not None and kind != "Pod":
        raise MalformedObject(f"expected kind Pod, got {shown(kind)!r}")
    meta = raw.get("metadata")
    if type(meta) is not dict:
        raise MalformedObject("Pod has no metadata")
    uid = meta.get("uid")
    if type(uid) is not str or not uid.strip():
        raise MalformedObject("Pod has no metadata.uid")
    rv = meta.get("resourceVersion")
    if type(rv) is int:
        rv = str(rv)
    return uid, as_str(meta.get("namespace")), as_str(meta.get("name")), as_str(rv)


def compare_rv(new: str, old: str) -> int | None:
    """-1/0/1 when `new` is older/equal/newer than `old`; None when only "different" is known.

    Since 1.35 (KEP-5504, docs/kubernetes.md §6 rule 6) RVs of one resource are integers of unbounded size;
    for the same uid the larger one is newer. Python ints are unbounded, but comparing digit strings by
    length then lexically avoids the conversion. Non-numeric RVs are opaque: equality only.
    """
    if new == old:
        return 0
    if not (new.isdigit() and old.isdigit() and new.isascii() and old.isascii()):
        return None
    new_s, old_s = new.lstrip("0"), old.lstrip("0")
    if len(new_s) != len(old_s):
        return 1 if len(new_s) > len(old_s) else -1
    if new_s == old_s:
        return 0
    return 1 if new_s > old_s else -1


FieldPathKind = Literal["init", "app", "ephemeral", ""]
_FIELD_PATHS: tuple[tuple[str, FieldPathKind], ...] = (
    ("spec.initContainers{", "init"),
    ("spec.containers{", "app"),
    ("spec.ephemeralContainers{", "ephemeral"),
)


def container_of_field_path(path: str) -> tuple[str, FieldPathKind]:
    """(container name, "init" | "app" | "ephemeral") from an involvedObject.fieldPath; ("", "") if none."""
    if not path or not path.endswith("}"):
        return "", ""
    for prefix, kind in _FIELD_PATHS:
        if path.startswith(prefix):
            return path[len(prefix) : -1], kind
    return "", ""


def _event_times(raw: RawEvent, meta: Any) -> tuple[Any, Any]:
    series = as_dict(raw.get("series"))
    event_time = parse_time(raw.get("eventTime"))
    first = (
        parse_time(raw.get("firstTimestamp"))
        or parse_time(raw.get("deprecatedFirstTimestamp"))
        or event_time
        or parse_time(meta.get("creationTimestamp"))
    )
    last = (
        parse_time(raw.get("lastTimestamp"))
        or parse_time(raw.get("deprecatedLastTimestamp"))
        or parse_time(series.get("lastObservedTime"))
        or event_time
        or first
    )
    if first is not None and last is not None and last < first:
        last = first
    return first, last


def _event_count(raw: RawEvent) -> int:
    """The largest count any of the shapes carries (series.count grows while deprecatedCount may stay 1)."""
    best = 1
    for value in (raw.get("count"), raw.get("deprecatedCount"), as_dict(raw.get("series")).get("count")):
        count = as_int(value)
        if count is not None and count > best:
            best = count
    return best


def event_record(raw: object) -> EventRecord:
    """Normalise a core/v1 or events.k8s.io/v1 Event (docs/kubernetes.md §5) to an `EventRecord`.

    core/v1 names: involvedObject, message, count, firstTimestamp/lastTimestamp, source.component,
    reportingComponent. events.k8s.io/v1 names: regarding, note, deprecatedCount,
    deprecatedFirstTimestamp/deprecatedLastTimestamp, deprecatedSource, reportingController. Both may
    carry eventTime and series{count, lastObservedTime} (scheduler events). Raises `MalformedObject`
    when the Event has no metadata.uid or its involved object has no uid.
    """
    if type(raw) is not dict:
        raise MalformedObject(f"an Event must be a JSON object, got {_describe(raw)}")
    raw = cast(RawEvent, raw)  # read as an Event from here on; every field is still checked
    kind = raw.get("kind")
    if kind is not None and kind != "Event":
        raise MalformedObject(f"expected kind Event, got {shown(kind)!r}")
    meta = as_dict(raw.get("metadata"))
    uid = meta.get("uid")
    if type(uid) is not str or not uid:
        raise MalformedObject("Event has no metadata.uid")
    involved = raw.get("involvedObject")
    if type(involved) is not dict:
        involved = as_dict(raw.get("regarding"))
    pod_uid = involved.get("uid")
    if type(pod_uid) is not str or not pod_uid:
        raise MalformedObject("Event has no involvedObject.uid / regarding.uid")
    field_path = as_str(involved.get("fieldPath"))
    container, _ = container_of_field_path(field_path)
    first, last = _event_times(raw, meta)
    message = raw.get("message")
    if type(message) is not str:
        message = as_str(raw.get("note"))
    source = (
        as_str(raw.get("reportingComponent"))
        or as_str(raw.get("reportingController"))
        or as_str(as_dict(raw.get("source")).get("component"))
        or as_str(as_dict(raw.get("deprecatedSource")).get("component"))
    )
    rv = meta.get("resourceVersion")
    return EventRecord(
        uid=uid,
        namespace=as_str(involved.get("namespace")) or as_str(meta.get("namespace")),
        name=as_str(meta.get("name")),
        pod_uid=pod_uid,
        pod_name=as_str(involved.get("name")),
        type=as_str(raw.get("type")),
        reason=as_str(raw.get("reason")),
        message=message,
        count=_event_count(raw),
        first_at=first,
        last_at=last,
        container=container,
        field_path=field_path,
        source=source,
        resource_version=str(rv) if type(rv) is int else as_str(rv),
        involved_kind=as_str(involved.get("kind")) or "Pod",
    )


__all__ = [
    "EMPTY",
    "as_dict",
    "as_int",
    "as_list",
    "as_str",
    "compare_rv",
    "container_of_field_path",
    "event_record",
    "pod_identity",
    "without_nul",
]
