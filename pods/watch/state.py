"""What the watcher's steps share: the settings, the streams, one cluster's watch (`ClusterWatch`) and each
stream's place in it (`StreamState`), the back-off rule, and the cursor bookkeeping.

Cursors are saved (through `pods.ingest.watch_cursor_save`) only after the objects before them were
committed, so a crash replays a little (ingest is idempotent) and never skips.
"""

from __future__ import annotations

import logging
import math
import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from django.conf import settings

from pods import kube
from pods.ingest import (
    PodStates,
    cluster_get_or_create,
    cluster_health_changed,
    watch_cursor_save,
    watch_failures_set,
    watch_group_get_or_create,
    watch_mark_alive,
    watch_stream_error_record,
)
from pods.kube import KubeClient, OwnerResolver
from pods.models import Cluster
from pods.selectors import HEARTBEAT_SECONDS, watch_cursors

if TYPE_CHECKING:
    from pods.watch.lock import ClusterLock
    from pods.watch.window import Reader

log = logging.getLogger("pods.watch")

# Set when the process is shutting down (Celery's worker_shutting_down): windows end early, flush, save
# their cursors and release their locks, so a warm shutdown does not wait out a whole window.
STOP = threading.Event()

LogKey = tuple[str, str, int, int]  # (pod uid, container, generation, attempt number)


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

    @property
    def bookmarked(self) -> bool:
        """Whether the API server sends this stream's watches bookmarks. Pods are watched from the watch
        cache, which sends one about once a minute; Events are served from etcd and never get one
        (docs/kubernetes.md, "Observed on a real kube-apiserver")."""
        return self.resource == "pods"

    def __str__(self) -> str:
        return f"{self.resource} in {self.namespace}" if self.namespace else self.resource


def streams_for(namespaces: Iterable[str]) -> list[Stream]:
    """Pods then Events, cluster-wide or once per namespace of the filter."""
    scopes = list(namespaces) or [""]
    return [Stream(resource, ns) for resource in ("pods", "events") for ns in scopes]


def denied_in_namespace(stream: Stream, exc: kube.ApiError) -> bool:
    """A 403 on a namespaced stream: RBAC of that namespace (a missing RoleBinding), the stream's own
    error; the other namespaces are watched on. A 401 (credentials) or a cluster-wide 403 is the cluster's."""
    return exc.code == 403 and bool(stream.namespace)


@dataclass(frozen=True, slots=True)
class WatchSettings:
    window_seconds: float = 300.0
    flush_events: int = 500
    flush_ms: int = 200
    flush_idle_ms: int = 10
    page_size: int = 500
    backoff_base: float = 0.5
    backoff_max: float = 30.0
    capture_logs: bool = True
    lock_seconds: float = 30.0
    stale_after_seconds: float = 120.0

    @classmethod
    def from_settings(cls) -> WatchSettings:
        return cls(
            window_seconds=float(settings.INITSCOPE_WATCH_WINDOW_SECONDS),
            flush_events=int(settings.INITSCOPE_FLUSH_EVENTS),
            flush_ms=int(settings.INITSCOPE_FLUSH_MS),
            flush_idle_ms=int(settings.INITSCOPE_FLUSH_IDLE_MS),
            page_size=int(settings.INITSCOPE_LIST_PAGE_SIZE),
            backoff_max=float(settings.INITSCOPE_WATCH_BACKOFF_MAX_SECONDS),
            capture_logs=bool(settings.INITSCOPE_CAPTURE_LOGS),
            lock_seconds=float(settings.INITSCOPE_WATCH_LOCK_SECONDS),
            stale_after_seconds=float(settings.INITSCOPE_STALE_AFTER_SECONDS),
        )

    def watch_seconds(self, stream: Stream, remaining: float) -> int:
        """The `timeoutSeconds` of a watch opened with `remaining` seconds of the window left. A stream
        that gets no bookmarks (Events) hears nothing from the API server while nothing happens, so its
        watch asks to end after half of the stale bound: its clean end is the word that keeps a quiet but
        healthy stream from counting as lagging (`pods.selectors.clusters`), and a connection that died
        without a word is replaced as soon."""
        seconds = max(1, math.ceil(remaining))
        if not stream.bookmarked:
            seconds = min(seconds, max(1, math.floor(self.stale_after_seconds / 2)))
        return seconds


def backoff_delay(
    failures: int, *, base: float, cap: float, rand: Callable[[], float] = random.random
) -> float:
    """Capped exponential back-off with jitter: base * 2^(failures-1), capped, times 0.5..1."""
    if failures <= 0:
        return 0.0
    return min(cap, base * 2.0 ** min(failures - 1, 30)) * (0.5 + rand() / 2)


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
    reader: Reader | None = None
    error: str = ""
    error_at: datetime | None = None  # an error not saved yet
    last_error_at: datetime | None = None  # this run's newest error (kept after saving)
    denied: bool = False  # its namespace refused it (403): retried on its own, after a back-off
    ok_at: datetime | None = None
    saved_ok_at: datetime | None = None
    event_at: datetime | None = None
    listed_at: datetime | None = None

    def mark_ok(self) -> None:
        """The API answered this stream (a list page, a watch line, a clean end)."""
        self.ok_at = datetime.now(UTC)
        self.denied = False

    @property
    def failing(self) -> bool:
        """Its newest error in this run is newer than its last success (the health read model's rule)."""
        return self.last_error_at is not None and (self.ok_at is None or self.last_error_at > self.ok_at)


@dataclass
class BatchNumbers:
    """The watch's committed batches, `(events, seconds)` each, and the longest lag among them, since they
    were last stored (`pods.watch.batch.store_batch_numbers`)."""

    batches: list[tuple[int, float]] = field(default_factory=list)
    lag: float | None = None
    stored_at: float = 0.0  # time.monotonic() of the last store; 0: never (the first batch goes at once)

    def add(self, events: int, seconds: float, lag: float | None) -> None:
        self.batches.append((events, seconds))
        if lag is not None:
            self.lag = lag if self.lag is None else max(self.lag, lag)

    def take(self) -> tuple[list[tuple[int, float]], float | None]:
        """The batches and lag to store; starts again, empty, from now."""
        taken = self.batches, self.lag
        self.batches, self.lag, self.stored_at = [], None, time.monotonic()
        return taken


@dataclass
class ClusterWatch:
    """One cluster's watch in this process: the seams (`kube`, `lock`) and every stream's state. `group`:
    the namespace group it watches when the cluster is split (INITSCOPE_CLUSTER_NAMESPACE_GROUPS; its
    streams are the group's namespaces, its heartbeat and failures the group's), "" for the whole cluster.
    """

    cluster: Cluster
    kube: KubeClient
    streams: list[Stream]
    settings: WatchSettings = field(default_factory=WatchSettings)
    lock: ClusterLock | None = None
    owners: OwnerResolver | None = None
    state: dict[Stream, StreamState] = field(default_factory=dict)
    stats: Counter[str] = field(default_factory=Counter)
    logs_tried: set[LogKey] = field(default_factory=set)
    # The states of the Pods this holder wrote, kept between batches (pods.ingest.pod_states): its life is
    # this object's, one lock hold.
    pod_states: PodStates = field(default_factory=PodStates)
    capture_logs: bool = True
    # Failed attempts in a row before this run (the stored Cluster.watch_failures) and the count stored now.
    failures_before: int = 0
    failures_saved: int = 0
    # The health last announced to the live pages: (failing streams, every stream connected); None: not yet.
    health_published: tuple[frozenset[Stream], bool] | None = None
    group: str = ""
    # Committed batches' numbers not stored yet (pods.watch.batch.store_batch_numbers).
    batch_numbers: BatchNumbers = field(default_factory=BatchNumbers)
    _beat_at: float = 0.0

    def __post_init__(self) -> None:
        self.capture_logs = self.capture_logs and self.settings.capture_logs
        if self.owners is None:
            self.owners = OwnerResolver(self.kube)
        for stream in self.streams:
            self.state.setdefault(stream, StreamState(stream))

    def heartbeat(self) -> None:
        """Renew the lock when due (raises LockLost) and mark the cluster alive every few seconds."""
        if self.lock is not None and not self.lock.renew_if_due():
            raise LockLost(f"lost the watch lock of cluster {self.key}")
        now = time.monotonic()
        if now - self._beat_at < HEARTBEAT_SECONDS:
            return
        self._beat_at = now
        holder = self.lock.holder_id if self.lock else ""
        watch_mark_alive(cluster=self.cluster, group=self.group, holder=holder)

    @property
    def key(self) -> str:
        """`cluster` or `cluster/group`: the unit this watch is, in logs and errors."""
        return kube.watch_key(self.cluster.name, self.group)


def cluster_watch(
    name: str,
    *,
    settings_: WatchSettings | None = None,
    lock: ClusterLock | None = None,
    group: str = "",
) -> ClusterWatch:
    """A ClusterWatch for configured cluster `name` (only its namespace group `group`, if given), with its
    saved cursors loaded.

    Raises kube.KubeError when the cluster (or the group) is not configured or its config cannot be
    loaded.
    """
    config = kube.cluster_config(name)
    if config is None:
        raise kube.KubeError(f"cluster {name!r} is not in INITSCOPE_CLUSTERS")
    if group and config.group(group) is None:
        raise kube.KubeError(f"cluster {name!r} has no namespace group {group!r}")
    cluster = cluster_get_or_create(name=name)
    s = settings_ or WatchSettings.from_settings()
    client = kube.client_for(name)
    # A list, owner or log GET must not block past the lock's renewal: at most a third of its life.
    client.request_timeout = min(client.request_timeout, s.lock_seconds / 3)
    w = ClusterWatch(cluster, client, streams_for(config.scopes(group)), s, lock, group=group)
    failures = watch_group_get_or_create(cluster=cluster, group=group).watch_failures if group else None
    w.failures_before = w.failures_saved = cluster.watch_failures if failures is None else failures
    load_cursors(w)
    return w


def load_cursors(w: ClusterWatch) -> None:
    """Resume every stream from its saved resourceVersion (a stream without one lists first)."""
    for (resource, namespace), rv in watch_cursors(cluster=w.cluster).items():
        state = w.state.get(Stream(resource, namespace))
        if state is not None:
            state.resource_version = state.saved_version = rv
            state.relist = not rv


def save_cursors(w: ClusterWatch, *, force: bool = False) -> None:
    """Persist every stream's position and health (call only after the items before it committed)."""
    for state in w.state.values():
        if not force and not _cursor_changed(state):
            continue
        watch_cursor_save(
            cluster=w.cluster,
            resource=state.stream.resource,
            namespace=state.stream.namespace,
            resource_version=state.resource_version,
            listed_at=state.listed_at,
            last_event_at=state.event_at,
            last_ok_at=state.ok_at,
            error=state.error,
            error_at=state.error_at,
        )
        state.saved_version, state.saved_ok_at = state.resource_version, state.ok_at
        state.error_at = None
    save_health(w)


def save_health(w: ClusterWatch) -> None:
    """Store how many attempts failed in a row, and tell the live pages when a stream starts or stops
    failing (or every stream is connected at last). Call it after the cursors were saved.

    The count (`Cluster.watch_failures`, the API's `failures`): 0 once every stream has succeeded in this
    run and none fails; else the failed runs before this one plus the failed (re)connects in a row of the
    stream failing longest. A watch refused again and again keeps counting (its runs back off on it).
    """
    states = list(w.state.values())
    connected = all(s.ok_at is not None for s in states)
    failing = frozenset(s.stream for s in states if s.failing)
    if connected and not failing and all(s.failures == 0 for s in states):
        w.failures_before = 0
        failures = 0
    else:
        failures = w.failures_before + max((s.failures for s in states), default=0)
    if failures != w.failures_saved:
        watch_failures_set(cluster=w.cluster, group=w.group, failures=failures)
        w.failures_saved = failures
    health = (failing, connected)
    if health != w.health_published:
        w.health_published = health
        cluster_health_changed(name=w.cluster.name)


def _cursor_changed(state: StreamState) -> bool:
    """A new position or error, a recovery from a stored error, or a liveness proof (bookmark, clean end)
    newer than the saved one by 5 s: a quiet but healthy stream still shows a small lag."""
    if state.saved_version != state.resource_version or state.error_at:
        return True
    if state.ok_at is None:
        return False
    if _recovered_since_saved(state):
        return True
    if state.saved_ok_at is None:
        return True
    return (state.ok_at - state.saved_ok_at).total_seconds() >= HEARTBEAT_SECONDS


def _recovered_since_saved(state: StreamState) -> bool:
    """The stored health says failing (its error is newer than its stored success) but the stream has
    succeeded since: saved at once, so the pages turn live again without waiting for the 5 s rule."""
    error = state.last_error_at
    if error is None or state.ok_at is None or state.ok_at <= error:
        return False
    return state.saved_ok_at is None or state.saved_ok_at < error


def record_error(w: ClusterWatch, stream: Stream, message: str) -> None:
    """Note a stream's error for the health page (saved with the next cursor save)."""
    state = w.state[stream]
    state.error, state.error_at = message[:2000], datetime.now(UTC)
    state.last_error_at = state.error_at
    w.stats["errors"] += 1
    watch_stream_error_record(cluster=w.cluster, resource=stream.resource)
    log.warning("cluster %s, %s: %s", w.key, stream, message)
