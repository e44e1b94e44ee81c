"""Watch a cluster's Pods and Events into stored timelines, losing nothing the API still shows.

The steps, each callable on its own (tests drive them with recorded streams, kopf-style):

- `decode_line(stream, line)`: one raw watch line -> an object to ingest, a bookmark, a relist request
  (ERROR 410 / other ERROR), or a skip (malformed JSON, unknown type: logged with context). Pure.
- `list_once(w, stream)`: a paginated list (`limit`/`continue`; an expired token restarts it), ingested
  page by page; for Pods, the stored Pods the list no longer shows are closed as deleted (reconcile).
  Saves the cursor at the list's resourceVersion.
- `apply_batch(w, items)`: resolve owners, `ingest_batch` (one transaction, change messages after
  commit), capture the log tail of newly failed init container attempts.
- `watch_window(w, seconds=)`: watch every stream from its cursor for a bounded window: flush every
  N events or T ms, resume from the newest resourceVersion when a stream ends, relist on 410/ERROR,
  reconnect with capped exponential back-off and jitter on connection errors and 5xx, stop on 401/403.
- `watch_cluster_once(name)`: what one Celery task run does: take the cluster's lock (Redis; renewed
  while running, taken over once its holder stops renewing), run one window, save the cursors, say
  when to run again.

Cursors (`WatchCursor`) are saved only after the objects before them were committed, so a crash
replays a little (ingest is idempotent) and never skips.
"""

from __future__ import annotations

import logging
import math
import os
import queue
import random
import socket
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

import orjson
from django.conf import settings
from django.db.models import Max

from pods import kube
from pods.ingest import (
    IngestResult,
    WatchItem,
    attempt_set_log_tail,
    cluster_get_or_create,
    ingest_batch,
    pods_mark_vanished,
)
from pods.models import Attempt, Cluster, WatchCursor
from pods.timeline import MalformedObject, Owner, pod_identity

log = logging.getLogger(__name__)

OBJECT_TYPES = ("ADDED", "MODIFIED", "DELETED")
HEARTBEAT_SECONDS = 5.0
CURSOR_SAVE_SECONDS = 1.0
LOG_FETCHES_PER_BATCH = 20
LOG_TAIL_LINES = 100
MAX_LIST_RESTARTS = 5


# Set when the process is shutting down (Celery's worker_shutting_down): windows end early, flush, save
# their cursors and release their locks, so a warm shutdown does not wait out a whole window.
STOP = threading.Event()


class LockLost(Exception):
    """Another worker holds the cluster's lock now: stop at once."""


class WatchDenied(Exception):
    """The API refused (401/403): retrying at once would only crash-loop."""


@dataclass(frozen=True, slots=True)
class Stream:
    """One list+watch: a resource ("pods" | "events") in one namespace or all ("")."""

    resource: str
    namespace: str = ""

    @property
    def kind(self) -> str:
        return "pod" if self.resource == "pods" else "event"

    def __str__(self) -> str:
        return f"{self.resource} in {self.namespace}" if self.namespace else self.resource


def streams_for(namespaces: Iterable[str]) -> list[Stream]:
    """Pods then Events, cluster-wide or once per namespace of the filter."""
    scopes = list(namespaces) or [""]
    return [Stream(resource, ns) for resource in ("pods", "events") for ns in scopes]


@dataclass(frozen=True, slots=True)
class WatchSettings:
    window_seconds: float = 300.0
    flush_events: int = 500
    flush_ms: int = 200
    page_size: int = 500
    backoff_base: float = 0.5
    backoff_max: float = 30.0
    capture_logs: bool = True
    lock_seconds: float = 30.0

    @classmethod
    def from_settings(cls) -> WatchSettings:
        return cls(
            window_seconds=float(settings.INITSCOPE_WATCH_WINDOW_SECONDS),
            flush_events=settings.INITSCOPE_FLUSH_EVENTS,
            flush_ms=settings.INITSCOPE_FLUSH_MS,
            page_size=settings.INITSCOPE_LIST_PAGE_SIZE,
            backoff_max=float(settings.INITSCOPE_WATCH_BACKOFF_MAX_SECONDS),
            capture_logs=settings.INITSCOPE_CAPTURE_LOGS,
            lock_seconds=float(settings.INITSCOPE_WATCH_LOCK_SECONDS),
        )


def backoff_delay(
    failures: int, *, base: float, cap: float, rand: Callable[[], float] = random.random
) -> float:
    """Capped exponential back-off with jitter: base * 2^(failures-1), capped, times 0.5..1."""
    if failures <= 0:
        return 0.0
    return min(cap, base * 2 ** min(failures - 1, 30)) * (0.5 + rand() / 2)


# ----------------------------------------------------------------------------------------------- decoding


@dataclass(frozen=True, slots=True)
class Decoded:
    """What one watch line means: `action` is object | bookmark | expired | error | skip."""

    action: str
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
        event = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        return Decoded("skip", message=f"malformed watch line ({exc}): {line[:120]!r}")
    if not isinstance(event, dict) or not isinstance(event.get("object"), dict):
        return Decoded("skip", message=f"watch line without an object: {line[:120]!r}")
    kind, obj = event.get("type"), event["object"]
    rv = str((obj.get("metadata") or {}).get("resourceVersion") or "")
    if kind in OBJECT_TYPES:
        if stream.kind == "event" and kind == "DELETED":  # an Event expired: nothing to learn
            return Decoded("bookmark", resource_version=rv)
        item = WatchItem(stream.kind, obj, kind, position, observed_at or datetime.now(UTC))
        return Decoded("object", item, rv)
    if kind == "BOOKMARK":
        return Decoded("bookmark", resource_version=rv)
    if kind == "ERROR":
        code = obj.get("code")
        message = f"{code} {obj.get('reason', '')}: {obj.get('message', '')}"
        return Decoded("expired" if code == 410 else "error", message=message)
    return Decoded("skip", message=f"unknown watch event type {kind!r} (resourceVersion {rv or '?'})")


# ------------------------------------------------------------------------------------------ cluster state


@dataclass
class StreamState:
    """Where one stream stands in this process."""

    stream: Stream
    resource_version: str = ""  # newest received (resume from here)
    saved_version: str = ""  # newest persisted
    failures: int = 0
    relist: bool = False
    restart_at: float | None = 0.0  # monotonic time to (re)connect; None while a reader runs
    generation: int = 0  # ignores messages from readers that were abandoned
    reader: _Reader | None = None
    error: str = ""
    error_at: datetime | None = None
    ok_at: datetime | None = None
    saved_ok_at: datetime | None = None
    event_at: datetime | None = None
    listed_at: datetime | None = None


@dataclass
class ClusterWatch:
    """One cluster's watch in this process: the seams (`kube`, `lock`) and every stream's state."""

    cluster: Cluster
    kube: kube.KubeClient
    streams: list[Stream]
    settings: WatchSettings = field(default_factory=WatchSettings)
    lock: ClusterLock | None = None
    owners: kube.OwnerResolver | None = None
    state: dict[Stream, StreamState] = field(default_factory=dict)
    stats: Counter = field(default_factory=Counter)
    logs_tried: set[tuple] = field(default_factory=set)
    capture_logs: bool = True
    _beat_at: float = 0.0

    def __post_init__(self) -> None:
        self.capture_logs = self.capture_logs and self.settings.capture_logs
        if self.owners is None:
            self.owners = kube.OwnerResolver(self.kube)
        for stream in self.streams:
            self.state.setdefault(stream, StreamState(stream))

    def heartbeat(self) -> None:
        """Renew the lock when due (raises LockLost) and mark the cluster alive every few seconds."""
        if self.lock is not None and not self.lock.renew_if_due():
            raise LockLost(f"lost the watch lock of cluster {self.cluster.name}")
        now = time.monotonic()
        if now - self._beat_at < HEARTBEAT_SECONDS:
            return
        self._beat_at = now
        holder = self.lock.holder_id if self.lock else ""
        Cluster.objects.filter(pk=self.cluster.pk).update(
            watch_heartbeat_at=datetime.now(UTC), watch_holder=holder[:200]
        )


def cluster_watch(
    name: str, *, settings_: WatchSettings | None = None, lock: ClusterLock | None = None
) -> ClusterWatch:
    """A ClusterWatch for configured cluster `name`, with its saved cursors loaded.

    Raises kube.KubeError when the cluster is not configured or its config cannot be loaded.
    """
    config = kube.cluster_config(name)
    if config is None:
        raise kube.KubeError(f"cluster {name!r} is not in INITSCOPE_CLUSTERS")
    cluster = cluster_get_or_create(name=name)
    s = settings_ or WatchSettings.from_settings()
    client = kube.client_for(name)
    # A list, owner or log GET must not block past the lock's renewal: at most a third of its life.
    client.request_timeout = min(client.request_timeout, s.lock_seconds / 3)
    w = ClusterWatch(cluster, client, streams_for(config.namespaces), s, lock)
    load_cursors(w)
    return w


def load_cursors(w: ClusterWatch) -> None:
    """Resume every stream from its saved resourceVersion (a stream without one lists first)."""
    for cursor in WatchCursor.objects.filter(cluster=w.cluster):
        state = w.state.get(Stream(cursor.resource, cursor.namespace))
        if state is not None:
            state.resource_version = state.saved_version = cursor.resource_version
            state.relist = not cursor.resource_version


def save_cursors(w: ClusterWatch, *, force: bool = False) -> None:
    """Persist every stream's position and health (call only after the items before it committed)."""
    for state in w.state.values():
        if not force and not _cursor_changed(state):
            continue
        defaults = {
            "resource_version": state.resource_version[:64],
            "listed_at": state.listed_at,
            "last_event_at": state.event_at,
            "last_ok_at": state.ok_at,
        }
        if state.error_at:
            defaults |= {"last_error": state.error, "last_error_at": state.error_at}
        defaults = {k: v for k, v in defaults.items() if v is not None}
        WatchCursor.objects.update_or_create(
            cluster=w.cluster,
            resource=state.stream.resource,
            namespace=state.stream.namespace,
            defaults=defaults,
        )
        state.saved_version, state.saved_ok_at = state.resource_version, state.ok_at
        state.error_at = None


def _cursor_changed(state: StreamState) -> bool:
    """A new position or error, or a liveness proof (bookmark, clean end) newer than the saved one by 5 s:
    a quiet but healthy stream still shows a small lag."""
    if state.saved_version != state.resource_version or state.error_at:
        return True
    if state.ok_at is None:
        return False
    return state.saved_ok_at is None or (state.ok_at - state.saved_ok_at).total_seconds() >= HEARTBEAT_SECONDS


def record_error(w: ClusterWatch, stream: Stream, message: str) -> None:
    """Note a stream's error for the health page (saved with the next cursor save)."""
    state = w.state[stream]
    state.error, state.error_at = message[:2000], datetime.now(UTC)
    w.stats["errors"] += 1
    log.warning("cluster %s, %s: %s", w.cluster.name, stream, message)


def _ok(state: StreamState) -> None:
    state.ok_at = datetime.now(UTC)


# -------------------------------------------------------------------------------------------------- list


def list_once(w: ClusterWatch, stream: Stream) -> str:
    """List `stream` page by page into ingest, reconcile vanished Pods, save the cursor; return the RV.

    An expired continue token (410) restarts the list (up to MAX_LIST_RESTARTS times). Other API
    errors and connection failures propagate (the caller backs off).
    """
    for attempt in range(MAX_LIST_RESTARTS + 1):
        try:
            rv, uids = _list_pages(w, stream)
            break
        except kube.ApiError as exc:
            if not exc.expired or attempt == MAX_LIST_RESTARTS:
                raise
            log.info(
                "cluster %s: list of %s expired mid-way (%s); restarting it", w.cluster.name, stream, exc
            )
    if stream.resource == "pods":
        w.heartbeat()  # raises LockLost: a watcher that lost its lock must not close anyone's Pods
        vanished = reconcile_pods(w, stream, uids)
        w.stats["vanished"] += len(vanished)
    state = w.state[stream]
    state.resource_version, state.relist, state.listed_at = rv, False, datetime.now(UTC)
    w.stats["lists"] += 1
    w.heartbeat()
    save_cursors(w, force=True)
    return rv


def _list_pages(w: ClusterWatch, stream: Stream) -> tuple[str, set[str]]:
    token, rv, uids, page = "", "", set(), 0
    while True:
        w.heartbeat()
        body = w.kube.list(
            stream.resource, namespace=stream.namespace, limit=w.settings.page_size, continue_token=token
        )
        _ok(w.state[stream])
        meta = body.get("metadata") or {}
        rv = rv or str(meta.get("resourceVersion") or "")
        now = datetime.now(UTC)
        items = [
            WatchItem(stream.kind, obj, "", f"list {stream} page {page} item {i}", now)
            for i, obj in enumerate(body.get("items") or ())
            if isinstance(obj, dict)
        ]
        if stream.kind == "pod":
            uids.update(_pod_uid(o.object) for o in items)
        apply_batch(w, items)
        token, page = str(meta.get("continue") or ""), page + 1
        if not token:
            return rv, uids


def _pod_uid(obj: dict) -> str:
    try:
        return pod_identity(obj)[0]
    except MalformedObject:
        return ""  # ingest rejects (and logs) it


def reconcile_pods(w: ClusterWatch, stream: Stream, listed_uids: set[str]) -> set[str]:
    """Close the stored Pods of this stream's scope that the new list no longer shows (deleted unseen)."""
    # Pods of other namespaces are not a namespaced list's business.
    namespaces = [stream.namespace] if stream.namespace else None
    return pods_mark_vanished(
        cluster=w.cluster, listed_uids=listed_uids, at=datetime.now(UTC), namespaces=namespaces
    )


# ------------------------------------------------------------------------------------------------- batch


def apply_batch(w: ClusterWatch, items: list[WatchItem]) -> IngestResult:
    """Ingest `items` in one transaction (with resolved owners), then capture new failure log tails."""
    if not items:
        return IngestResult()
    items = [_with_owner(w, item) for item in items]
    result = ingest_batch(cluster=w.cluster, items=items)
    for position, reason in result.rejected:
        log.warning("cluster %s: rejected %s: %s", w.cluster.name, position, reason)
    w.stats["objects"] += len(items)
    w.stats["batches"] += 1
    if result.pods_changed and w.capture_logs:
        capture_log_tails(w, result.pods_changed)
    return result


def _with_owner(w: ClusterWatch, item: WatchItem) -> WatchItem:
    if item.kind != "pod" or w.owners is None or item.type == "DELETED":
        return item
    w.heartbeat()  # a resolve may GET: renew (or learn the lock is lost) between requests
    owner = w.owners.resolve(item.object)
    return replace(item, owner=Owner(*owner)) if owner else item


def capture_log_tails(w: ClusterWatch, uids: set[str]) -> int:
    """Fetch the last log lines of failed init container attempts that have none yet; return how many.

    Only an attempt the kubelet still keeps can be read: the current one (`number == restartCount`) or
    the previous one (`previous=true`) of the newest generation. A 403 on pods/log switches capture off
    for this watch (logged once); other failures skip the attempt.
    """
    fetched = 0
    for row in _failed_attempts_without_logs(w, uids)[:LOG_FETCHES_PER_BATCH]:
        key = (row["pod__uid"], row["container__name"], row["generation"], row["number"])
        w.logs_tried.add(key)
        w.heartbeat()
        try:
            text = w.kube.pod_log(
                namespace=row["pod__namespace"],
                name=row["pod__name"],
                container=row["container__name"],
                previous=row["number"] < row["container__restart_count"],
                tail_lines=LOG_TAIL_LINES,
            )
        except kube.ApiError as exc:
            if exc.denied:
                log.warning("cluster %s: log capture switched off: %s", w.cluster.name, exc)
                w.capture_logs = False
                return fetched
            continue
        except kube.KubeError:
            continue
        fetched += attempt_set_log_tail(
            cluster=w.cluster, uid=key[0], container=key[1], generation=key[2], number=key[3], text=text
        )
    if len(w.logs_tried) > 50_000:
        w.logs_tried.clear()
    return fetched


def _failed_attempts_without_logs(w: ClusterWatch, uids: set[str]) -> list[dict]:
    rows = list(
        Attempt.objects.filter(
            pod__cluster=w.cluster,
            pod__uid__in=uids,
            pod__deleted_at__isnull=True,
            container__kind="init",
            known=True,
            finished_at__isnull=False,
            log_tail="",
        )
        .exclude(exit_code=0)
        .values(
            "container_id", "generation", "number", "pod__uid", "pod__namespace", "pod__name",
            "container__name", "container__restart_count",
        )
    )  # fmt: skip
    newest = dict(
        Attempt.objects.filter(container_id__in={r["container_id"] for r in rows})
        .values("container_id")
        .annotate(g=Max("generation"))
        .values_list("container_id", "g")
    )
    return [
        r
        for r in rows
        if r["generation"] == newest.get(r["container_id"])
        and r["container__restart_count"] - 1 <= r["number"] <= r["container__restart_count"]
        and (r["pod__uid"], r["container__name"], r["generation"], r["number"]) not in w.logs_tried
    ]


# ------------------------------------------------------------------------------------------------- watch


class _Reader(threading.Thread):
    """Reads one watch response into the window's queue: ("line", ...) per line, then ("end", ...)."""

    def __init__(self, w: ClusterWatch, state: StreamState, timeout_seconds: int, out: queue.Queue) -> None:
        super().__init__(name=f"watch-{w.cluster.name}-{state.stream}", daemon=True)
        self.kube, self.stream, self.out = w.kube, state.stream, out
        self.resource_version, self.generation, self.timeout_seconds = (
            state.resource_version, state.generation, timeout_seconds,
        )  # fmt: skip
        self.response: kube.WatchStream | None = None
        self.stopped = False
        self.started_at = time.monotonic()

    def run(self) -> None:
        error: Exception | None = None
        try:
            self.response = self.kube.watch(
                self.stream.resource,
                namespace=self.stream.namespace,
                resource_version=self.resource_version,
                timeout_seconds=self.timeout_seconds,
            )
            if self.stopped:  # stop() ran before the response was assigned: it could not close it
                self.response.close()
                return
            for line in self.response:
                if not self._put(("line", self.stream, self.generation, line)):
                    return
        except kube.KubeError as exc:
            error = exc
        except Exception as exc:  # noqa: BLE001 - a reader must always report its end
            error = kube.ConnectionFailed(f"unexpected {exc!r}")
        self._put(("end", self.stream, self.generation, error))

    def _put(self, message: tuple) -> bool:
        """Queue a message, waiting while the queue is full (back-pressure on the stream); False once
        the reader was stopped."""
        while not self.stopped:
            try:
                self.out.put(message, timeout=0.5)
                return True
            except queue.Full:
                continue
        return False

    def stop(self) -> None:
        self.stopped = True
        if self.response is not None:
            self.response.close()


@dataclass
class WindowResult:
    """How a window ended: `reason` is "window" (time is up), "denied" or "lock-lost"."""

    reason: str = "window"
    message: str = ""


class _Window:
    """The state of one `watch_window` call: the queue, the pending batch, the deadline."""

    def __init__(self, w: ClusterWatch, seconds: float) -> None:
        self.w = w
        self.until = time.monotonic() + seconds
        # Bounded: when ingest falls behind, readers wait and the API server buffers (or ends the watch,
        # which resumes from the cursor).
        self.queue: queue.Queue = queue.Queue(maxsize=max(10 * w.settings.flush_events, 1000))
        self.pending: list[WatchItem] = []
        self.first_pending_at = 0.0
        self.saved_at = time.monotonic()
        self.lines = 0

    # -- the loop
    def run(self) -> None:
        while (now := time.monotonic()) < self.until and not STOP.is_set():
            self.w.heartbeat()
            self._start_due(now)
            try:
                message = self.queue.get(timeout=self._wait(now))
            except queue.Empty:
                message = None
            if message is not None:
                self._handle(message)
                self._drain()
            self._flush_if_due()

    def _drain(self) -> None:
        """Handle what is already queued, up to one batch, without waiting."""
        while len(self.pending) < self.w.settings.flush_events:
            try:
                message = self.queue.get_nowait()
            except queue.Empty:
                return
            self._handle(message)

    def _wait(self, now: float) -> float:
        wait = min(self.until - now, 0.5)
        if self.pending:
            wait = min(wait, self.first_pending_at + self.w.settings.flush_ms / 1000 - now)
        due = [s.restart_at for s in self.w.state.values() if s.restart_at is not None]
        if due:
            wait = min(wait, min(due) - now)
        return max(wait, 0.001)

    def close(self) -> None:
        for state in self.w.state.values():
            if state.reader is not None:
                state.reader.stop()
                state.reader = None
        self.flush()
        save_cursors(self.w, force=True)

    # -- readers
    def _start_due(self, now: float) -> None:
        for state in self.w.state.values():
            if state.restart_at is None or state.restart_at > now:
                continue
            if (state.relist or not state.resource_version) and not self._relist(state):
                continue
            self._start_reader(state, now)

    def _start_reader(self, state: StreamState, now: float) -> None:
        state.generation += 1
        state.restart_at = None
        timeout = max(1, math.ceil(self.until - now))
        state.reader = _Reader(self.w, state, timeout, self.queue)
        state.reader.start()

    def _relist(self, state: StreamState) -> bool:
        """Flush, then list the stream again; False (and a back-off) when the list failed."""
        self.flush()
        try:
            list_once(self.w, state.stream)
        except kube.ApiError as exc:
            if exc.denied:
                message = f"{exc.code}: cannot list {state.stream}: {exc.message}"
                record_error(self.w, state.stream, message)
                raise WatchDenied(message) from exc
            self._back_off(state, f"list failed: {exc}")
            return False
        except kube.KubeError as exc:
            self._back_off(state, f"list failed: {exc}")
            return False
        state.failures = 0
        return True

    def _back_off(self, state: StreamState, message: str) -> None:
        record_error(self.w, state.stream, message)
        state.failures += 1
        state.reader = None
        s = self.w.settings
        state.restart_at = time.monotonic() + backoff_delay(
            state.failures, base=s.backoff_base, cap=s.backoff_max
        )

    # -- messages
    def _handle(self, message: tuple) -> None:
        what, stream, generation, payload = message
        state = self.w.state[stream]
        if generation != state.generation:
            return  # from a reader this window already abandoned
        if what == "line":
            self._line(state, payload)
        else:
            self._end(state, payload)

    def _line(self, state: StreamState, line: bytes) -> None:
        self.lines += 1
        decoded = decode_line(state.stream, line, position=f"watch {state.stream} line {self.lines}")
        if decoded.action == "skip":
            self.w.stats["skipped"] += 1
            log.warning("cluster %s, %s: skipped: %s", self.w.cluster.name, state.stream, decoded.message)
            return
        if decoded.action in ("expired", "error"):
            self._abandon(state, decoded)
            return
        _ok(state)
        state.failures = 0
        if decoded.resource_version:
            state.resource_version = decoded.resource_version
        if decoded.item is not None:
            state.event_at = state.ok_at
            if not self.pending:
                self.first_pending_at = time.monotonic()
            self.pending.append(decoded.item)

    def _abandon(self, state: StreamState, decoded: Decoded) -> None:
        """An ERROR line: stop this reader and relist (at once for 410, after a back-off otherwise)."""
        if state.reader is not None:
            state.reader.stop()
        state.generation += 1
        state.relist = True
        if decoded.action == "expired":
            log.info("cluster %s, %s: %s; relisting", self.w.cluster.name, state.stream, decoded.message)
            self.w.stats["expired"] += 1
            state.reader, state.restart_at = None, time.monotonic()
        else:
            self._back_off(state, f"watch ERROR: {decoded.message}")

    def _end(self, state: StreamState, error: Exception | None) -> None:
        reader, state.reader = state.reader, None
        if error is None:
            # A normal end (the server's timeout, a proxy): resume from the newest version. A stream that
            # ends at once again and again is backed off rather than hammered.
            quick = reader is not None and time.monotonic() - reader.started_at < 1.0
            if not quick:
                _ok(state)
            state.failures = state.failures + 1 if quick else 0
            self._schedule(state, 0.0 if not quick else None)
            return
        if isinstance(error, kube.ApiError) and error.expired:
            state.relist, state.restart_at = True, time.monotonic()
            self.w.stats["expired"] += 1
            return
        if isinstance(error, kube.ApiError) and error.denied:
            record_error(self.w, state.stream, f"{error.code}: cannot watch {state.stream}: {error.message}")
            raise WatchDenied(f"{error.code}: cannot watch {state.stream}: {error.message}")
        self.w.stats["reconnects"] += 1
        self._back_off(state, f"watch failed: {error}")

    def _schedule(self, state: StreamState, delay: float | None) -> None:
        s = self.w.settings
        if delay is None:
            delay = backoff_delay(state.failures, base=s.backoff_base, cap=s.backoff_max)
        state.restart_at = time.monotonic() + delay

    # -- batches
    def _flush_if_due(self) -> None:
        if not self.pending:
            if time.monotonic() - self.saved_at >= CURSOR_SAVE_SECONDS:
                self._save()
            return
        age_ms = (time.monotonic() - self.first_pending_at) * 1000
        if len(self.pending) >= self.w.settings.flush_events or age_ms >= self.w.settings.flush_ms:
            self.flush()

    def flush(self) -> None:
        items, self.pending = self.pending, []
        if items:
            apply_batch(self.w, items)
        if time.monotonic() - self.saved_at >= CURSOR_SAVE_SECONDS:
            self._save()

    def _save(self) -> None:
        save_cursors(self.w)
        self.saved_at = time.monotonic()


def watch_window(w: ClusterWatch, *, seconds: float) -> WindowResult:
    """Watch every stream of `w` for `seconds`, listing first where there is no cursor; see the module doc.

    Returns how the window ended; the cursors are saved in every case except a lost lock's.
    """
    window = _Window(w, seconds)
    for state in w.state.values():
        state.restart_at = time.monotonic()
    try:
        try:
            window.run()
            result = WindowResult("window", "")
        except WatchDenied as exc:
            result = WindowResult("denied", str(exc))
        window.close()  # flush and save
        return result
    except LockLost as exc:  # the new holder owns the cursors now: no flush, no save
        return WindowResult("lock-lost", str(exc))
    finally:  # whatever happened (a database error, a bug): no reader outlives its window
        _stop_readers(w)


def _stop_readers(w: ClusterWatch) -> None:
    for state in w.state.values():
        if state.reader is not None:
            state.reader.stop()
            state.reader = None


# ------------------------------------------------------------------------------------------------- locks


class ClusterLock:
    """One active watcher per cluster across all workers: a Redis key holding its holder's id.

    `acquire()` sets it only when free (SET NX PX); `renew_if_due()` extends it (only while this holder
    still owns it) once a third of its time to live has passed; a holder that dies stops renewing and
    the key expires, so another worker takes over within `ttl` seconds. Without Redis (all-in-one mode)
    the lock lives in this process.
    """

    RENEW = (
        "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) end "
        "return 0"
    )
    RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"
    _local: dict[str, tuple[str, float]] = {}
    _local_guard = threading.Lock()

    def __init__(self, cluster: str, *, ttl: float, holder_id: str | None = None) -> None:
        self.key = f"initscope:watch:{cluster}"
        self.ttl = ttl
        self.holder_id = holder_id or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.redis = _redis(settings.REDIS_URL) if settings.REDIS_URL else None
        self.renewed_at = 0.0

    def acquire(self) -> bool:
        ms = int(self.ttl * 1000)
        if self.redis is not None:
            won = bool(self.redis.set(self.key, self.holder_id, nx=True, px=ms))
        else:
            won = self._local_set(nx=True)
        if won:
            self.renewed_at = time.monotonic()
        return won

    def renew_if_due(self) -> bool:
        """Extend the lock when a third of its life has passed; False when someone else holds it now."""
        if time.monotonic() - self.renewed_at < self.ttl / 3:
            return True
        if self.redis is not None:
            ok = bool(self.redis.eval(self.RENEW, 1, self.key, self.holder_id, int(self.ttl * 1000)))
        else:
            ok = self._local_set(nx=False)
        if ok:
            self.renewed_at = time.monotonic()
        return ok

    def release(self) -> None:
        if self.redis is not None:
            self.redis.eval(self.RELEASE, 1, self.key, self.holder_id)
            return
        with self._local_guard:
            if self._local.get(self.key, ("",))[0] == self.holder_id:
                del self._local[self.key]

    def holder(self) -> str:
        """Who holds the lock now ("" when nobody does)."""
        if self.redis is not None:
            value = self.redis.get(self.key)
            return value.decode() if value else ""
        with self._local_guard:
            holder, until = self._local.get(self.key, ("", 0.0))
            return holder if until > time.monotonic() else ""

    def _local_set(self, *, nx: bool) -> bool:
        with self._local_guard:
            holder, until = self._local.get(self.key, ("", 0.0))
            free = not holder or until <= time.monotonic()
            if (nx and not free) or (not nx and holder != self.holder_id):
                return False
            self._local[self.key] = (self.holder_id, time.monotonic() + self.ttl)
            return True


_redis_clients: dict[str, object] = {}


def _redis(url: str):
    import redis

    if url not in _redis_clients:
        _redis_clients[url] = redis.Redis.from_url(url, socket_timeout=10, socket_connect_timeout=5)
    return _redis_clients[url]


# ------------------------------------------------------------------------------------------------- tasks


@dataclass(frozen=True, slots=True)
class RunOutcome:
    """What one watch task run did, and whether (and after how long) to run again."""

    reason: str  # window | denied | error | lock-lost | held | unconfigured
    requeue: bool
    countdown: float = 0.0
    message: str = ""


def watch_cluster_once(
    name: str, *, settings_: WatchSettings | None = None, holder_id: str | None = None
) -> RunOutcome:
    """One run of the watch task: lock, one window, release, and the back-off bookkeeping.

    A denied (401/403) or unreachable cluster is backed off (Cluster.watch_retry_at, the error on its
    cursors) instead of retried at once; the task re-enqueues itself with that countdown.
    """
    s = settings_ or WatchSettings.from_settings()
    if kube.cluster_config(name) is None:
        return RunOutcome("unconfigured", False, message=f"{name!r} is not in INITSCOPE_CLUSTERS")
    lock = ClusterLock(name, ttl=s.lock_seconds, holder_id=holder_id)
    if not lock.acquire():
        return RunOutcome("held", False, message=f"held by {lock.holder()}")
    try:
        result = _run_locked(name, s, lock)
    finally:
        lock.release()
    return _after_run(name, result, s)


def _run_locked(name: str, s: WatchSettings, lock: ClusterLock) -> WindowResult:
    try:
        w = cluster_watch(name, settings_=s, lock=lock)
    except kube.KubeError as exc:
        _record_cluster_error(name, str(exc))
        return WindowResult("error", str(exc))
    Cluster.objects.filter(pk=w.cluster.pk).update(watched=True)
    w.heartbeat()
    return watch_window(w, seconds=s.window_seconds)


def _after_run(name: str, result: WindowResult, s: WatchSettings) -> RunOutcome:
    cluster = Cluster.objects.get(name=name)
    if result.reason == "lock-lost":
        return RunOutcome("lock-lost", False, message=result.message)
    if result.reason == "window":
        Cluster.objects.filter(pk=cluster.pk).update(watch_failures=0, watch_retry_at=None)
        return RunOutcome("window", True)
    failures = cluster.watch_failures + 1
    delay = backoff_delay(failures, base=2.0, cap=max(s.backoff_max, 2.0))
    retry_at = datetime.now(UTC) + timedelta(seconds=delay)
    Cluster.objects.filter(pk=cluster.pk).update(watch_failures=failures, watch_retry_at=retry_at)
    return RunOutcome(result.reason, True, delay, result.message)


def _record_cluster_error(name: str, message: str) -> None:
    """Note an error on the cursors of the cluster's own streams (those a later success clears)."""
    cluster = cluster_get_or_create(name=name)
    config = kube.cluster_config(name)
    now = datetime.now(UTC)
    for stream in streams_for(config.namespaces if config else ()):
        WatchCursor.objects.update_or_create(
            cluster=cluster,
            resource=stream.resource,
            namespace=stream.namespace,
            defaults={"last_error": message, "last_error_at": now},
        )
    log.warning("cluster %s: %s", name, message)


def clusters_to_start(*, now: datetime | None = None) -> list[str]:
    """Configured clusters whose watch is neither running (lock free) nor backing off; marks them watched."""
    now = now or datetime.now(UTC)
    s = WatchSettings.from_settings()
    out = []
    for config in kube.configured_clusters():
        cluster = cluster_get_or_create(name=config.name)
        if not cluster.watched:
            Cluster.objects.filter(pk=cluster.pk).update(watched=True)
        if cluster.watch_retry_at and cluster.watch_retry_at > now:
            continue
        if ClusterLock(config.name, ttl=s.lock_seconds).holder():
            continue
        out.append(config.name)
    return out


def claim_enqueue(name: str, *, ttl: float) -> bool:
    """True for the first caller within `ttl` seconds: keeps beat from stacking copies of a queued task."""
    url = settings.REDIS_URL
    if not url:
        return True
    return bool(_redis(url).set(f"initscope:watch-queued:{name}", "1", nx=True, px=int(ttl * 1000)))


def release_enqueue(name: str) -> None:
    if settings.REDIS_URL:
        _redis(settings.REDIS_URL).delete(f"initscope:watch-queued:{name}")


# ------------------------------------------------------------------------------------------------ health


def cluster_health(*, now: datetime | None = None) -> list[dict]:
    """Every configured or watched cluster with its watch health, for the API, the page and the CLI.

    `state` is watching (a holder renewed within the lock's time), backing-off, error (the newest
    stream error is newer than its last success), stopped, or not-configured.
    """
    now = now or datetime.now(UTC)
    s = WatchSettings.from_settings()
    configured = {c.name: c for c in kube.configured_clusters()}
    clusters = {c.name: c for c in Cluster.objects.filter(watched=True)}
    for name in configured:
        clusters.setdefault(name, Cluster(name=name))
    cursors: dict[str, list[WatchCursor]] = {}
    for cursor in WatchCursor.objects.filter(cluster__name__in=list(clusters)).select_related("cluster"):
        cursors.setdefault(cursor.cluster.name, []).append(cursor)
    return [
        _health_row(clusters[name], configured.get(name), cursors.get(name, []), now, s)
        for name in sorted(clusters)
    ]


def _health_row(
    cluster: Cluster, config, cursors: list[WatchCursor], now: datetime, s: WatchSettings
) -> dict:
    streams = [_stream_row(c, now) for c in sorted(cursors, key=lambda c: (c.resource, c.namespace))]
    errors = [c for c in cursors if c.last_error_at and (not c.last_ok_at or c.last_error_at > c.last_ok_at)]
    newest_error = max(cursors, key=lambda c: c.last_error_at or _EPOCH, default=None)
    fresh = max(s.lock_seconds, 3 * HEARTBEAT_SECONDS)
    alive = cluster.watch_heartbeat_at and (now - cluster.watch_heartbeat_at).total_seconds() < fresh
    oks = [c.last_ok_at for c in cursors if c.last_ok_at]
    events = [c.last_event_at for c in cursors if c.last_event_at]
    state = "stopped"
    if config is None:
        state = "not-configured"
    elif errors:
        state = "error"
    elif alive:
        state = "watching"
    if cluster.watch_retry_at and cluster.watch_retry_at > now:
        state = "backing-off" if not errors else "error"
    return {
        "name": cluster.name,
        "configured": config is not None,
        "namespaces": list(config.namespaces) if config else [],
        "state": state,
        "holder": cluster.watch_holder if alive else "",
        "heartbeat_at": cluster.watch_heartbeat_at,
        "last_event_at": max(events, default=None),
        "last_ok_at": max(oks, default=None),
        "lag_seconds": round((now - min(oks)).total_seconds(), 1) if oks else None,
        "last_error": newest_error.last_error if newest_error and newest_error.last_error_at else "",
        "last_error_at": newest_error.last_error_at if newest_error else None,
        "failures": cluster.watch_failures,
        "retry_at": cluster.watch_retry_at,
        "streams": streams,
    }


def _stream_row(c: WatchCursor, now: datetime) -> dict:
    return {
        "resource": c.resource,
        "namespace": c.namespace,
        "resource_version": c.resource_version,
        "listed_at": c.listed_at,
        "last_event_at": c.last_event_at,
        "last_ok_at": c.last_ok_at,
        "lag_seconds": round((now - c.last_ok_at).total_seconds(), 1) if c.last_ok_at else None,
        "last_error": c.last_error,
        "last_error_at": c.last_error_at,
    }


_EPOCH = datetime.min.replace(tzinfo=UTC)
