"""Streaming reader for recorded Pod and Event JSON.

Contract
--------
`iter_records(stream, source=...)` reads a binary stream line by line, in constant memory (one JSON object
is held at a time; see `max_object_bytes`), and yields, in input order:

* `Record(position, kind, event_type, object)` for every Pod (`kind == "pod"`) and Event
  (`kind == "event"`, core/v1 *or* events.k8s.io/v1, object passed through unchanged) it finds;
* `Rejected(position, reason)` for everything it cannot use. A rejection never stops the stream: the
  reader resynchronises and continues with the rest of the input.

Accepted framings, in any mix within one stream:

1. JSON lines of watch events `{"type": ..., "object": {...}}` (raw API watch, or kubectl
   `get -w --output-watch-events -o json`, which prints one compact object per line, keys sorted);
2. concatenated pretty-printed JSON objects back to back (kubectl `get -w -o json` without
   `--output-watch-events`, or pretty-printed watch events), several objects may share a line;
3. bare Pod and Event objects;
4. List objects: `kind: List` (kubectl `get pods,events -o json`; items carry their own `kind`) or
   `PodList` / `EventList` (raw API lists; items carry no `kind`, it is inferred from the list kind);
5. core/v1 Events (`apiVersion: v1`) and events.k8s.io/v1 Events (`note`, `regarding`, ...).

`event_type` is the watch event type (`ADDED`, `MODIFIED`, `DELETED`) or `""` for bare objects and List
items (snapshots: ingest treats them like `ADDED`/`MODIFIED`). `BOOKMARK` watch events are skipped
silently (they are normal and carry no Pod) unless `bookmarks=True`, in which case they come out as
`Record(kind="pod", event_type="BOOKMARK")` with the skeleton object. `ERROR` watch events become
`Notice("ERROR watch event: <Status message>")`: the server ended the watch (e.g. 410 Gone), which a
real capture may contain; it is not bad input. Other kinds (a ReplicaSet in a List, a bare Status)
become `Rejected("unsupported kind ReplicaSet")`.

Positions are human readable: `<source>:line <n>` where n (1-based) is the line where the object starts,
plus ` item <i>` (0-based index into `items`) for List items.

Resynchronisation after malformed input: text outside an object (up to the next `{` on the line) is
rejected as "not JSON"; an object that fails to parse is rejected with orjson's error; an object still
open when a line starts with `{` in column 0 (the start of a new top-level object in both compact and
pretty output) is rejected as truncated and reading restarts at that line; a line that is exactly `}`
in column 0 closes the current top-level object whatever the brace count says. Inside an object opened by
a lone `{` line (pretty output), indented lines are taken without brace counting (fast path).

Hostile input (docs/watching.md "Hostile and odd input"): a line longer than `max_line_bytes` is
rejected at its position (`line of N bytes skipped`) and read past in pieces, never held whole; JSON
orjson refuses (NaN, Infinity, numbers past a double, invalid UTF-8, lone surrogates, nesting deeper than
1024 levels) is "invalid JSON" at its line. Every reason is one line, quoting at most a short piece of
the input.

`metadata.managedFields` is dropped from every Pod and Event (large and useless to us) unless
`keep_managed_fields=True`. A U+0000 in a string (`\\u0000`: PostgreSQL text cannot hold it) becomes
U+FFFD. Nothing else in the objects is changed.
"""

from __future__ import annotations

import gzip
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO, Literal, cast

import orjson

from pods.timeline.parse import without_nul
from pods.timeline.raw import RawPod, RawPodOrEvent
from pods.timeline.watch_events import classify, is_watch_event, not_pod_or_event, object_kind

RecordKind = Literal["pod", "event"]

#: Default cap for one JSON object (a whole `kubectl get -o json` List is one object).
DEFAULT_MAX_OBJECT_BYTES = 512 * 1024 * 1024
#: Default cap for one line (`INITSCOPE_MAX_LINE_BYTES`): a longer line is rejected and skipped in pieces,
#: never read into memory whole.
DEFAULT_MAX_LINE_BYTES = 64 * 1024 * 1024
_SKIP_PIECE = 1 << 20

_LIST_ITEM_KIND = {"PodList": "Pod", "EventList": "Event"}
# A JSON string (never spans a line in valid JSON) or a brace. Strings are matched so braces inside them
# are skipped; an unterminated quote matches nothing and is ignored.
_TOKENS = re.compile(rb'"(?:[^"\\\n]|\\.)*"|[{}]')
_NON_SPACE = re.compile(rb"\S")
_SNIPPET = 60


@dataclass(frozen=True, slots=True)
class Record:
    """One Pod or Event object found in the input.

    `position`: where the object starts (`file.json:line 12`, `file.json:line 3 item 17`).
    `kind`: "pod" or "event". `event_type`: ADDED / MODIFIED / DELETED (BOOKMARK only when asked for), or
    "" for bare objects and List items. `object`: the decoded API object, a plain dict (a
    `pods.timeline.raw.RawPod` or `RawEvent`, as `kind` says).
    """

    position: str
    kind: RecordKind
    event_type: str
    object: RawPodOrEvent


@dataclass(frozen=True, slots=True)
class Rejected:
    """Input the reader skipped: `position` as in `Record`, `reason` a one-line human explanation."""

    position: str
    reason: str


@dataclass(frozen=True, slots=True)
class Notice:
    """Something the stream said that is neither data nor bad input (an ERROR watch event's Status)."""

    position: str
    message: str


Item = Record | Rejected | Notice


def open_records(path: str | os.PathLike[str], **kwargs: Any) -> Iterator[Item]:
    """Open `path` (gunzipped when it ends with `.gz`) and yield `iter_records` over it.

    Positions use the file's base name. Keyword arguments go to `iter_records`.
    """
    name = os.path.basename(os.fspath(path))
    with open(path, "rb") as fh:
        yield from iter_records(fh, source=name, **kwargs)


def iter_records(
    stream: BinaryIO,
    *,
    source: str = "-",
    bookmarks: bool = False,
    keep_managed_fields: bool = False,
    max_object_bytes: int = DEFAULT_MAX_OBJECT_BYTES,
    max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
) -> Iterator[Item]:
    """Yield `Record`s and `Rejected`s from `stream` (see the module docstring for the contract).

    The stream is gunzipped when `source` ends with `.gz` or the data starts with the gzip magic bytes
    (only checked when the stream supports `peek`). A line longer than `max_line_bytes` is rejected at its
    position and skipped, at most `max_line_bytes` of it held at once (an object it belongs to is
    rejected too).
    """
    readable: BinaryIO = stream
    if source.endswith(".gz") or _peek_is_gzip(stream):
        readable = cast(BinaryIO, gzip.GzipFile(fileobj=stream, mode="rb"))
    lines = _bounded_lines(readable, max_line_bytes)
    classifier = _Classifier(source, bookmarks=bookmarks, keep_managed_fields=keep_managed_fields)
    scanner = _Scanner(source, max_object_bytes)
    loads = orjson.loads
    classify = classifier.classify
    lineno = 0
    for line in lines:
        lineno += 1
        if isinstance(line, int):  # the size of a line longer than the limit, skipped
            yield Rejected(
                f"{source}:line {lineno}",
                f"line of {line:,} bytes skipped: longer than the limit of {max_line_bytes:,} bytes "
                "(INITSCOPE_MAX_LINE_BYTES)",
            )
            scanner.drop()
            continue
        # Fast path: one compact object per line (JSON lines, kubectl --output-watch-events).
        if scanner.idle and line[:1] == b"{":
            try:
                obj = loads(line)
            except orjson.JSONDecodeError:
                pass
            else:
                yield from classify(without_nul(obj) if b"\\u0000" in line else obj, lineno)
                continue
        for start_line, chunk in scanner.feed(line, lineno):
            if isinstance(chunk, Rejected):
                yield chunk
                continue
            try:
                obj = loads(chunk)
            except orjson.JSONDecodeError as exc:
                yield Rejected(f"{source}:line {start_line}", f"invalid JSON: {exc}")
                continue
            yield from classify(without_nul(obj) if b"\\u0000" in chunk else obj, start_line)
    rest = scanner.finish()
    if rest is not None:
        yield rest


def _bounded_lines(stream: BinaryIO, max_bytes: int) -> Iterator[bytes | int]:
    """The lines of `stream` (with their newline); for a line longer than `max_bytes`, its size instead,
    read past in pieces (memory stays about `max_bytes`, whatever the line's length). A plain iterable
    of lines (no `readline`) is held to the same limit, line by line."""
    readline = getattr(stream, "readline", None)
    if readline is None:
        for line in stream:
            yield line if len(line.rstrip(b"\n")) <= max_bytes else len(line.rstrip(b"\n"))
        return
    while line := readline(max_bytes + 1):
        if len(line) <= max_bytes or line[max_bytes:] == b"\n":
            yield line
            continue
        size = len(line)
        del line
        while (piece := readline(_SKIP_PIECE)) and piece[-1:] != b"\n":
            size += len(piece)
        size += len(piece.rstrip(b"\n"))
        yield size


def _peek_is_gzip(stream: BinaryIO) -> bool:
    peek = getattr(stream, "peek", None)
    if peek is None:
        return False
    try:
        return peek(2)[:2] == b"\x1f\x8b"
    except (OSError, ValueError):
        return False


class _Scanner:
    """Splits lines into top-level JSON object chunks by counting braces outside strings.

    `feed` yields `(start_line, bytes)` for each complete object and `(start_line, Rejected)` for garbage
    and truncated objects. Holds at most one object's bytes.
    """

    __slots__ = ("source", "max_bytes", "depth", "parts", "size", "start_line", "overflow", "pretty")

    def __init__(self, source: str, max_bytes: int) -> None:
        self.source = source
        self.max_bytes = max_bytes
        self.depth = 0
        self.parts: list[bytes] = []
        self.size = 0
        self.start_line = 0
        self.overflow = False
        # Set while inside an object whose first line is a lone "{": pretty output indents every inner line,
        # so indented lines are appended without scanning and the column-0 "}" closes the object.
        self.pretty = False

    @property
    def idle(self) -> bool:
        return self.depth == 0

    def _reset(self) -> None:
        self.depth = 0
        self.parts = []
        self.size = 0
        self.overflow = False
        self.pretty = False

    def _append(self, data: bytes) -> None:
        if self.overflow:
            return
        self.size += len(data)
        if self.size > self.max_bytes:
            self.overflow = True
            self.parts = []
            return
        self.parts.append(data)

    def _take(self) -> tuple[int, bytes | Rejected]:
        start, overflow, data = self.start_line, self.overflow, b"".join(self.parts)
        self._reset()
        if overflow:
            return start, self._rejected(start, f"object larger than {self.max_bytes} bytes skipped")
        return start, data

    def _rejected(self, line: int, reason: str) -> Rejected:
        return Rejected(f"{self.source}:line {line}", reason)

    def drop(self) -> None:
        """A line of the open object was skipped (too long): the object is reported as too large at its
        end, whatever the rest of it holds."""
        if self.depth:
            self.overflow, self.parts = True, []

    def finish(self) -> Rejected | None:
        """Report an object left open at the end of the input (truncated file), if any."""
        if self.depth == 0:
            return None
        start = self.start_line
        self._reset()
        return self._rejected(start, "truncated JSON object at end of input")

    def feed(self, line: bytes, lineno: int) -> Iterator[tuple[int, bytes | Rejected]]:
        if self.depth:
            if self.pretty and line[:1] in (b" ", b"\t"):
                self._append(line)
                return
            if line[:1] == b"{":
                start = self.start_line
                self._reset()
                yield (
                    start,
                    self._rejected(start, f"truncated JSON object (a new object starts at line {lineno})"),
                )
            elif line.rstrip() == b"}":
                self._append(line)
                yield self._take()
                return
        pos, end = 0, len(line)
        while pos < end:
            if self.depth == 0:
                m = _NON_SPACE.search(line, pos)
                if m is None:
                    return
                pos = m.start()
                if line[pos] != 0x7B:  # not "{": garbage up to the next "{"
                    nxt = line.find(b"{", pos)
                    stop = end if nxt == -1 else nxt
                    snippet = line[pos:stop].strip()[:_SNIPPET].decode("utf-8", "replace")
                    yield lineno, self._rejected(lineno, f"not JSON: {snippet!r}")
                    pos = stop
                    continue
                self.start_line = lineno
                self.pretty = pos == 0 and line.rstrip() == b"{"
            closed_at = self._scan(line, pos)
            if closed_at < 0:
                self._append(line[pos:] if pos else line)
                return
            self._append(line[pos:closed_at])
            yield self._take()
            pos = closed_at

    def _scan(self, line: bytes, pos: int) -> int:
        """Advance brace depth over `line[pos:]`; return the index just past the closing brace, or -1."""
        depth = self.depth
        for m in _TOKENS.finditer(line, pos):
            tok = m.group()
            if tok == b"{":
                depth += 1
            elif tok == b"}":
                depth -= 1
                if depth == 0:
                    self.depth = 0
                    return m.end()
        self.depth = depth
        return -1


class _Classifier:
    """Turns decoded JSON values into Records/Rejecteds (watch events, bare objects, Lists)."""

    __slots__ = ("source", "bookmarks", "keep_managed_fields")

    def __init__(self, source: str, *, bookmarks: bool, keep_managed_fields: bool) -> None:
        self.source = source
        self.bookmarks = bookmarks
        self.keep_managed_fields = keep_managed_fields

    def classify(self, obj: Any, line: int) -> Iterator[Item]:
        position = f"{self.source}:line {line}"
        if not isinstance(obj, dict):
            yield Rejected(position, f"not a JSON object ({type(obj).__name__})")
            return
        if is_watch_event(obj):
            yield from self._watch_event(obj, position)
            return
        kind = obj.get("kind")
        if isinstance(kind, str) and (kind == "List" or kind.endswith("List")) and "items" in obj:
            yield from self._list(obj, kind, position)
            return
        yield self._object(obj, "", position)

    def _watch_event(self, obj: dict[str, Any], position: str) -> Iterator[Item]:
        event = classify(obj)  # the rule lives in the engine (pods.timeline.watch_events)
        if event.kind == "bookmark":
            if self.bookmarks and isinstance(obj.get("object"), dict):
                yield Record(position, "pod", "BOOKMARK", cast(RawPod, event.object))  # a skeleton Pod
            return
        if event.kind == "error":
            yield Notice(position, f"ERROR watch event: {event.reason}")
            return
        if event.kind == "unknown":
            yield Rejected(position, event.reason)
            return
        yield self._object(event.object, event.type, position)

    def _list(self, obj: dict[str, Any], kind: str, position: str) -> Iterator[Item]:
        items = obj.get("items")
        if items is None:  # an empty raw list serialises `items: null`
            return
        if not isinstance(items, list):
            yield Rejected(position, f"{kind} whose items is not a list")
            return
        implied = _LIST_ITEM_KIND.get(kind) or (kind[:-4] if kind != "List" else None)
        for index, item in enumerate(items):
            item_position = f"{position} item {index}"
            if not isinstance(item, dict):
                yield Rejected(item_position, f"List item is not a JSON object ({type(item).__name__})")
                continue
            if implied and "kind" not in item:  # raw API lists omit kind/apiVersion on items
                item["kind"] = implied
                item.setdefault("apiVersion", obj.get("apiVersion", "v1"))
            yield self._object(item, "", item_position)

    def _object(self, obj: dict[str, Any], event_type: str, position: str) -> Item:
        kind = object_kind(obj)
        if kind is None:
            return Rejected(position, not_pod_or_event(obj))
        self._strip(obj)
        # The boundary: `object_kind` checked kind and apiVersion; the fields stay unchecked (any may lack).
        return Record(position, kind, event_type, cast(RawPodOrEvent, obj))

    def _strip(self, obj: dict[str, Any]) -> None:
        if self.keep_managed_fields:
            return
        meta = obj.get("metadata")
        if isinstance(meta, dict) and "managedFields" in meta:
            del meta["managedFields"]


__all__ = [
    "DEFAULT_MAX_LINE_BYTES",
    "DEFAULT_MAX_OBJECT_BYTES",
    "Item",
    "Record",
    "RecordKind",
    "Rejected",
    "iter_records",
    "open_records",
]
