"""The object store: one global resourceVersion, bounded per-resource history, watches, snapshots.

Contracts
* Every write (create, update, delete) bumps the single global counter ``Store.rv`` by one and
  stamps the written object (for deletes, the final state) with it as ``metadata.resourceVersion``.
* Stored objects are **never mutated in place**: writers pass new dicts (nested dicts they did not
  change may be shared). A list of stored references is therefore a consistent snapshot.
* Each resource keeps the last ``history_size`` changes. ``compacted[resource]`` is the highest RV
  no longer covered; a watch or exact list from an RV below it raises :class:`Expired` (410).
* Two readers of that history, as on a real API server (docs/kubernetes.md §6, "Observed"):
  **etcd** (exact lists, continue tokens, and watches of resources without a watch cache: Events)
  and the **watch cache** (watches of every other resource). :meth:`Store.compact` is an etcd
  compaction: it expires etcd reads below the current RV but leaves the watch cache alone, so a Pod
  watch from an older RV still replays what the cache holds. :meth:`Store.reset_watch_cache` is an
  API server restart: the cache starts empty at the current RV and older Pod watches get
  ``too old resource version: X (current)``.
* Watchers are fed synchronously inside the write; selectors are applied with the API server's
  rules (an object that stops matching is sent as DELETED, one that starts matching as ADDED).
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict, defaultdict, deque
from collections.abc import Callable, Iterable

import orjson

Key = tuple[str, str]  # (namespace or "", name)


class ApiError(Exception):
    """An error the server turns into a ``Status`` object."""

    code = 500
    reason = "InternalError"

    def __init__(self, message: str, details: dict | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class NotFound(ApiError):
    code, reason = 404, "NotFound"


class AlreadyExists(ApiError):
    code, reason = 409, "AlreadyExists"


class Expired(ApiError):
    code, reason = 410, "Expired"


class BadRequest(ApiError):
    code, reason = 400, "BadRequest"


class TooLargeResourceVersion(ApiError):
    code, reason = 504, "Timeout"


def obj_key(obj: dict) -> Key:
    md = obj["metadata"]
    return (md.get("namespace") or "", md["name"])


class Change:
    """One write in a resource's history. ``prev`` is the object before the write (None for ADDED)."""

    __slots__ = ("rv", "type", "obj", "prev", "_line")

    def __init__(self, rv: int, type_: str, obj: dict, prev: dict | None) -> None:
        self.rv = rv
        self.type = type_
        self.obj = obj
        self.prev = prev
        self._line: bytes | None = None

    def line(self) -> bytes:
        """The watch-stream line for this change, encoded once and shared by every watcher."""
        if self._line is None:
            self._line = orjson.dumps({"type": self.type, "object": self.obj}) + b"\n"
        return self._line


class Watcher:
    """A live subscription to one resource; the server drains :attr:`queue` into a stream.

    Items are ``(type, obj, change)``; ``change`` is set when ``type``/``obj`` are the change's own,
    so the cached line can be reused. ``overflowed`` is set (and the watcher closed) when the
    client falls more than ``max_queue`` events behind.
    """

    def __init__(
        self,
        resource: str,
        namespace: str | None,
        label_pred,
        field_pred,
        after_rv: int = 0,
        max_queue: int = 200_000,
    ) -> None:
        self.resource = resource
        self.namespace = namespace
        self.label_pred = label_pred
        self.field_pred = field_pred
        self.after_rv = after_rv
        self.max_queue = max_queue
        self.queue: deque = deque()
        self.ready = asyncio.Event()
        self.closed = False
        self.overflowed = False
        self.last_rv = after_rv

    def matches(self, obj: dict | None) -> bool:
        if obj is None:
            return False
        if self.namespace is not None and obj["metadata"].get("namespace") != self.namespace:
            return False
        if self.label_pred is not None and not self.label_pred(obj):
            return False
        return self.field_pred is None or self.field_pred(obj)

    def offer(self, change: Change) -> None:
        if self.closed or change.rv <= self.after_rv:
            return
        if self.label_pred is None and self.field_pred is None:
            if self.namespace is not None and change.obj["metadata"].get("namespace") != self.namespace:
                return
            item = (change.type, change.obj, change)
        else:
            now_m = change.type != "DELETED" and self.matches(change.obj)
            was_m = change.prev is not None and self.matches(change.prev)
            if change.type == "DELETED":
                if not was_m:
                    return
                item = ("DELETED", change.obj, change)
            elif now_m and was_m:
                item = ("MODIFIED", change.obj, change)
            elif now_m:
                item = ("ADDED", change.obj, change if change.type == "ADDED" else None)
            elif was_m:
                item = ("DELETED", change.obj, None)
            else:
                return
        self.queue.append(item)
        if len(self.queue) > self.max_queue:
            self.overflowed = True
            self.closed = True
        self.ready.set()

    def close(self) -> None:
        self.closed = True
        self.ready.set()


UNCACHED = frozenset({"events"})  # resources the API server serves from etcd, without a watch cache
ETCD_WATCH_EXPIRED = "The resourceVersion for the provided watch is too old."


class Store:
    """All objects by resource name (``pods``, ``events``, ``replicasets`` …) and key."""

    def __init__(self, history_size: int = 10_000, snapshot_cache: int = 16) -> None:
        self.rv = 0
        self.history_size = history_size
        self.objects: dict[str, dict[Key, dict]] = defaultdict(dict)
        self.history: dict[str, deque[Change]] = defaultdict(lambda: deque(maxlen=self.history_size))
        self.compacted: dict[str, int] = defaultdict(int)  # history overflow (bounded deque)
        self.compacted_etcd: dict[str, int] = defaultdict(int)  # compact() of one resource
        self.floor = 0  # global etcd compaction point (compact() of every resource)
        self.cache_reset_at = 0  # RV at which the watch caches (re)started: the last API server restart
        self.watchers: dict[str, set[Watcher]] = defaultdict(set)
        self.hooks: dict[str, list[Callable[[Change], None]]] = defaultdict(list)
        self._snapshots: OrderedDict[tuple[str, int], list[tuple[Key, dict]]] = OrderedDict()
        self._snapshot_cache = snapshot_cache
        self.writes = 0

    # ----------------------------------------------------------------- writes
    def _stamp(self, obj: dict) -> dict:
        self.rv += 1
        self.writes += 1
        return {**obj, "metadata": {**obj["metadata"], "resourceVersion": str(self.rv)}}

    def _record(self, resource: str, change: Change) -> None:
        hist = self.history[resource]
        if len(hist) == hist.maxlen:
            self.compacted[resource] = hist[0].rv
        hist.append(change)
        watchers = self.watchers.get(resource)
        if watchers:
            for w in tuple(watchers):
                w.offer(change)
        for hook in self.hooks.get(resource, ()):
            hook(change)

    def _put(self, resource: str, key: Key, obj: dict, prev: dict | None) -> dict:
        """Store ``obj`` at the next RV and tell the watchers: ADDED, or MODIFIED over ``prev``."""
        obj = self._stamp(obj)
        self.objects[resource][key] = obj
        self._record(resource, Change(self.rv, "ADDED" if prev is None else "MODIFIED", obj, prev))
        return obj

    def create(self, resource: str, obj: dict) -> dict:
        key = obj_key(obj)
        if key in self.objects[resource]:
            raise AlreadyExists(f'{resource} "{key[1]}" already exists', {"name": key[1], "kind": resource})
        return self._put(resource, key, obj, None)

    def update(self, resource: str, obj: dict) -> dict:
        key = obj_key(obj)
        prev = self.objects[resource].get(key)
        if prev is None:
            raise NotFound(f'{resource} "{key[1]}" not found', {"name": key[1], "kind": resource})
        return self._put(resource, key, obj, prev)

    def delete(self, resource: str, namespace: str, name: str) -> dict:
        table = self.objects[resource]
        prev = table.pop((namespace or "", name), None)
        if prev is None:
            raise NotFound(f'{resource} "{name}" not found', {"name": name, "kind": resource})
        obj = self._stamp(prev)
        self._record(resource, Change(self.rv, "DELETED", obj, prev))
        return obj

    def get(self, resource: str, namespace: str, name: str) -> dict | None:
        return self.objects[resource].get((namespace or "", name))

    def subscribe(self, resource: str, hook: Callable[[Change], None]) -> None:
        """Call ``hook(change)`` synchronously after every write to ``resource`` (controllers)."""
        self.hooks[resource].append(hook)

    def compact(self, resource: str | None = None) -> None:
        """An etcd compaction at the current revision: exact lists, continue tokens and uncached
        watches (Events) from an older RV now get 410; the watch cache keeps its history, so Pod
        watches from an older RV still replay every change it holds."""
        for res in [resource] if resource else list(self.history):
            self.compacted_etcd[res] = self.rv
        if resource is None:
            self.floor = self.rv
        self._snapshots.clear()

    def reset_watch_cache(self) -> None:
        """An API server restart: every watch cache starts at the current RV, empty."""
        self.cache_reset_at = self.rv

    def compacted_rv(self, resource: str) -> int:
        """The highest RV etcd can no longer serve changes after, for ``resource``."""
        return max(self.compacted[resource], self.compacted_etcd[resource], self.floor)

    def watch_floor(self, resource: str) -> int:
        """The oldest RV a watch of ``resource`` can resume after (etcd, or the watch cache: the RV
        just before the oldest change it holds, or its start after an API server restart)."""
        if resource in UNCACHED:
            return self.compacted_rv(resource)
        if self.cache_reset_at >= self.compacted[resource]:
            return self.cache_reset_at
        hist = self.history[resource]
        return hist[0].rv - 1 if hist else self.compacted[resource]

    # ------------------------------------------------------------------ reads
    def items(self, resource: str, namespace: str | None = None) -> list[tuple[Key, dict]]:
        """Current objects sorted by (namespace, name), the order etcd returns."""
        table = self.objects[resource]
        if namespace is None:
            return sorted(table.items())
        return sorted((k, v) for k, v in table.items() if k[0] == namespace)

    def check_rv(self, resource: str, rv: int) -> None:
        """Raise :class:`Expired` unless a watch of ``resource`` can resume after ``rv``: etcd's
        message for uncached resources (Events), else the watch cache's
        ``too old resource version: X (Y)`` with Y = :meth:`watch_floor`."""
        floor = self.watch_floor(resource)
        if rv >= floor:
            return
        if resource in UNCACHED:
            raise Expired(ETCD_WATCH_EXPIRED)
        raise Expired(f"too old resource version: {rv} ({floor})")

    def snapshot(self, resource: str, rv: int | None = None) -> tuple[int, list[tuple[Key, dict]]]:
        """All objects of ``resource`` as of ``rv`` (default: now), sorted, plus the snapshot RV.

        Past snapshots are rebuilt by undoing history and cached (LRU) for continue tokens.
        """
        if rv is None or rv >= self.rv:
            if rv is not None and rv > self.rv:
                raise TooLargeResourceVersion(f"Too large resource version: {rv}, current: {self.rv}")
            rv = self.rv
            cache_key = (resource, rv)
            snap = self._snapshots.get(cache_key)
            if snap is None:
                snap = self.items(resource)
                self._remember(cache_key, snap)
            return rv, snap
        cache_key = (resource, rv)
        snap = self._snapshots.get(cache_key)
        if snap is not None:
            self._snapshots.move_to_end(cache_key)
            return rv, snap
        if rv < self.compacted_rv(resource):
            raise Expired("The resourceVersion for the provided list is too old.")
        table = dict(self.objects[resource])
        for change in reversed(self.history[resource]):
            if change.rv <= rv:
                break
            key = obj_key(change.obj)
            if change.type == "ADDED":
                table.pop(key, None)
            else:
                table[key] = change.prev  # type: ignore[assignment]
        snap = sorted(table.items())
        self._remember(cache_key, snap)
        return rv, snap

    def _remember(self, key: tuple[str, int], snap: list) -> None:
        self._snapshots[key] = snap
        self._snapshots.move_to_end(key)
        while len(self._snapshots) > self._snapshot_cache:
            self._snapshots.popitem(last=False)

    def snapshot_valid(self, resource: str, rv: int) -> bool:
        return (resource, rv) in self._snapshots or rv >= self.compacted_rv(resource)

    # ---------------------------------------------------------------- watches
    def watch(self, watcher: Watcher, replay_from: int | None, initial: bool) -> None:
        """Register ``watcher``: ``initial`` sends synthetic ADDED for current matches; else
        ``replay_from`` replays history after that RV (raises :class:`Expired` if compacted)."""
        resource = watcher.resource
        if initial:
            for _, obj in self.items(resource, watcher.namespace):
                if watcher.matches(obj):
                    watcher.queue.append(("ADDED", obj, None))
            watcher.after_rv = self.rv
        elif replay_from is not None:
            self.check_rv(resource, replay_from)
            watcher.after_rv = replay_from
            for change in self.history[resource]:
                if change.rv > replay_from:
                    watcher.offer(change)
        self.watchers[resource].add(watcher)
        if watcher.queue:
            watcher.ready.set()

    def unwatch(self, watcher: Watcher) -> None:
        watcher.closed = True
        self.watchers[watcher.resource].discard(watcher)

    def all_watchers(self) -> Iterable[Watcher]:
        for ws in self.watchers.values():
            yield from ws
