"""The window: one reader thread per stream feeding a bounded queue, and the loop that turns the queue into
batches for a bounded time.

The loop (`Window.run`) only renews the lock, starts due readers, takes a message and flushes when due;
each message is handled by a named step: a line is decoded (`decode_line`) into a pending object or a
new resourceVersion; an ERROR line or an expired watch relists (`list_once`); a normal end resumes from
the newest resourceVersion; a connection error or 5xx reconnects after a capped exponential back-off with
jitter; a 401/403 ends the window ("denied"), unless it is a 403 in one namespace: that stream alone backs
off and retries while the others are watched on.

A flushed batch goes to the window's `IngestPipeline` (pods.ingest.pipeline), which writes it while the next
one is folded; the cursors a batch covers are saved only once it has committed (`Window._save`), and a
relist or the window's end first waits for the batch being written (`Window.settle`).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Literal

from pods import kube
from pods.ingest import IngestPipeline, WatchItem
from pods.ingest.pipeline import Done
from pods.watch.batch import finish_batches, store_batch_numbers, submit_batch
from pods.watch.decode import Decoded, decode_line
from pods.watch.listing import list_once
from pods.watch.state import (
    STOP,
    ClusterWatch,
    LockLost,
    Stream,
    StreamState,
    WatchDenied,
    backoff_delay,
    denied_in_namespace,
    record_error,
    save_cursors,
)

log = logging.getLogger("pods.watch")

CURSOR_SAVE_SECONDS = 1.0
# First wait before a stream its namespace refused (403) is tried again; it doubles up to the back-off cap.
DENIED_BACKOFF_BASE = 2.0

# What a reader sends: ("open", stream, generation, None) once the API server answered the watch, then
# ("line", stream, generation, bytes) per line, then ("end", stream, generation, error).
Message = tuple[Literal["open", "line", "end"], Stream, int, bytes | Exception | None]


class Reader(threading.Thread):
    """Reads one watch response into the window's queue: ("line", ...) per line, then ("end", ...)."""

    def __init__(
        self, w: ClusterWatch, state: StreamState, timeout_seconds: int, out: queue.Queue[Message]
    ) -> None:
        super().__init__(name=f"watch-{w.cluster.name}-{state.stream}", daemon=True)
        self.kube, self.stream, self.out = w.kube, state.stream, out
        self.resource_version = state.resource_version
        self.generation, self.timeout_seconds = state.generation, timeout_seconds
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
            if not self._put(("open", self.stream, self.generation, None)):
                return
            for line in self.response:
                if not self._put(("line", self.stream, self.generation, line)):
                    return
        except kube.KubeError as exc:
            error = exc
        except Exception as exc:  # noqa: BLE001 - a reader must always report its end
            error = kube.ConnectionFailed(f"unexpected {exc!r}")
        self._put(("end", self.stream, self.generation, error))
        # The error's traceback holds this frame: were `error` still in it, the cycle would keep this
        # Reader, its queue and every line left in it until a full collection, which a worker runs rarely
        # (a stopped reader fails its read at every window's end; the soak's workers grew by such queues).
        del error

    def _put(self, message: Message) -> bool:
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
    """How a window ended: `reason` is "window" (time is up), "denied" or "lock-lost"; `failures`: the
    failed attempts in a row stored at its end (`save_health`)."""

    reason: str = "window"
    message: str = ""
    failures: int = 0


def watch_window(w: ClusterWatch, *, seconds: float) -> WindowResult:
    """Watch every stream of `w` for `seconds`, listing first where there is no cursor.

    Returns how the window ended; the cursors are saved in every case except a lost lock's.
    """
    window = Window(w, seconds)
    for state in w.state.values():
        state.restart_at = time.monotonic()
    try:
        try:
            window.run()
            result = WindowResult("window", "")
        except WatchDenied as exc:
            result = WindowResult("denied", str(exc))
        window.close()  # flush and save
        result.failures = w.failures_saved
        return result
    except LockLost as exc:  # the new holder owns the cursors now: no flush, no save
        return WindowResult("lock-lost", str(exc))
    finally:  # whatever happened (a database error, a bug): no reader or writer outlives its window
        stop_readers(w)
        window.pipeline.abandon()


def stop_readers(w: ClusterWatch) -> None:
    for state in w.state.values():
        if state.reader is not None:
            state.reader.stop()
            state.reader = None


class Window:
    """The state of one `watch_window` call: the queue, the pending batch, the deadline."""

    def __init__(self, w: ClusterWatch, seconds: float) -> None:
        self.w = w
        self.until = time.monotonic() + seconds
        # Bounded: when ingest falls behind, readers wait and the API server buffers (or ends the watch,
        # which resumes from the cursor).
        self.queue: queue.Queue[Message] = queue.Queue(maxsize=max(10 * w.settings.flush_events, 1000))
        self.pending: list[WatchItem] = []
        self.first_pending_at = 0.0
        self.last_pending_at = 0.0
        self.saved_at = time.monotonic()
        self.lines = 0
        # Lines of each stream's current watch response, for positions ("watch pods line 12").
        self.stream_lines: dict[Stream, int] = {}
        # Each batch is written while the next is folded (pods.ingest.pipeline). A batch carries the
        # streams' resourceVersions as of its last item; `covered` is that of the last committed batch,
        # what may be saved while a later batch is still being written.
        self.pipeline = IngestPipeline(w.cluster, w.pod_states)
        self.covered: dict[Stream, str] | None = None

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
            wait = min(
                wait,
                self.first_pending_at + self.w.settings.flush_ms / 1000 - now,
                self.last_pending_at + self.w.settings.flush_idle_ms / 1000 - now,
            )
        due = [s.restart_at for s in self.w.state.values() if s.restart_at is not None]
        if due:
            wait = min(wait, min(due) - now)
        return max(wait, 0.001)

    def close(self) -> None:
        stop_readers(self.w)
        self.flush()
        self.settle()
        store_batch_numbers(self.w, force=True)
        save_cursors(self.w, force=True)

    # -- readers
    def _start_due(self, now: float) -> None:
        for state in self.w.state.values():
            if state.restart_at is None or state.restart_at > now:
                continue
            if (state.relist or not state.resource_version) and not self._relist(state):
                continue
            state.generation += 1
            state.restart_at = None
            seconds = self.w.settings.watch_seconds(state.stream, self.until - now)
            state.reader = Reader(self.w, state, seconds, self.queue)
            state.reader.start()

    def _relist(self, state: StreamState) -> bool:
        """Flush, then list the stream again; False (and a back-off) when the list failed."""
        self.flush()
        self.settle()  # the list writes Pods and saves every cursor: nothing may be being written
        try:
            list_once(self.w, state.stream)
        except kube.ApiError as exc:
            if exc.denied:
                self._denied(state, exc, f"{exc.code}: cannot list {state.stream}: {exc.message}")
                return False
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
        self._schedule(state, None)

    def _denied(self, state: StreamState, exc: kube.ApiError, message: str) -> None:
        """A 401/403. The cluster's (credentials, a cluster-wide stream, or every stream refused) ends the
        window (WatchDenied: the run backs off). A namespace's (403 in it: no RoleBinding there) is this
        stream's own error: it retries after its own back-off (2 s doubling to the cap) while every other
        stream is watched on."""
        record_error(self.w, state.stream, message)
        if not denied_in_namespace(state.stream, exc):
            raise WatchDenied(message) from exc
        state.denied, state.reader = True, None
        state.failures += 1
        if all(s.denied for s in self.w.state.values()):
            raise WatchDenied(f"every namespace refused; {message}") from exc
        self.w.stats["denied"] += 1
        cap = max(self.w.settings.backoff_max, DENIED_BACKOFF_BASE)
        self._schedule(state, backoff_delay(state.failures, base=DENIED_BACKOFF_BASE, cap=cap))

    def _schedule(self, state: StreamState, delay: float | None) -> None:
        """(Re)connect after `delay` seconds; None: after the back-off for the stream's failures."""
        s = self.w.settings
        if delay is None:
            delay = backoff_delay(state.failures, base=s.backoff_base, cap=s.backoff_max)
        state.restart_at = time.monotonic() + delay

    # -- messages
    def _handle(self, message: Message) -> None:
        what, stream, generation, payload = message
        state = self.w.state[stream]
        if generation != state.generation:
            return  # from a reader this window already abandoned
        if what == "open":
            # The API server answered the watch from our cursor: the stream is heard from (a watch that
            # recovered from an outage is current at once, not at its first event or bookmark). Its
            # failures in a row are reset only by a line, so a watch that ends at once still backs off.
            state.mark_ok()
            self.stream_lines[stream] = 0
        elif what == "line" and isinstance(payload, bytes):
            self._line(state, payload)
        elif what == "end" and not isinstance(payload, bytes):
            self._end(state, payload)

    def _line(self, state: StreamState, line: bytes) -> None:
        self.lines += 1
        n = self.stream_lines[state.stream] = self.stream_lines.get(state.stream, 0) + 1
        decoded = decode_line(state.stream, line, position=f"watch {state.stream} line {n}")
        if decoded.action == "skip":
            self.w.stats["skipped"] += 1
            log.warning("cluster %s, %s: skipped: %s", self.w.cluster.name, state.stream, decoded.message)
            return
        if decoded.action in ("expired", "error"):
            self._abandon(state, decoded)
            return
        state.mark_ok()
        state.failures = 0
        if decoded.resource_version:
            state.resource_version = decoded.resource_version
        if decoded.item is not None:
            state.event_at = state.ok_at
            self.last_pending_at = time.monotonic()
            if not self.pending:
                self.first_pending_at = self.last_pending_at
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
                state.mark_ok()
            state.failures = state.failures + 1 if quick else 0
            self._schedule(state, None if quick else 0.0)
            return
        if isinstance(error, kube.ApiError) and error.expired:
            state.relist, state.restart_at = True, time.monotonic()
            self.w.stats["expired"] += 1
            return
        if isinstance(error, kube.ApiError) and error.denied:
            self._denied(state, error, f"{error.code}: cannot watch {state.stream}: {error.message}")
            return
        self.w.stats["reconnects"] += 1
        self._back_off(state, f"watch failed: {error}")

    # -- batches
    def _flush_if_due(self) -> None:
        if not self.pending:
            self.settle()  # nothing to fold meanwhile: the batch being written may as well be waited for
            store_batch_numbers(self.w)  # when due
            if time.monotonic() - self.saved_at >= CURSOR_SAVE_SECONDS:
                self._save()
            return
        # A batch is written when it is full, when its oldest event has waited flush_ms, as soon as the
        # streams have been quiet for flush_idle_ms (a lone status change goes out at once), or when ingest
        # has caught up: every queued line handled and no write in progress (group commit: what arrived
        # while the last batch was written is the next batch). Under a steady stream the streams are never
        # quiet, and without the last rule every change waited out flush_ms (docs/performance.md, B3);
        # with it a batch grows only while ingest is busy, up to flush_events when it cannot keep up.
        now = time.monotonic()
        age_ms, quiet_ms = (now - self.first_pending_at) * 1000, (now - self.last_pending_at) * 1000
        settings_ = self.w.settings
        if (
            len(self.pending) >= settings_.flush_events
            or age_ms >= settings_.flush_ms
            or quiet_ms >= settings_.flush_idle_ms
            or (self.queue.empty() and not self.pipeline.write_in_progress)
        ):
            self.flush()

    def flush(self) -> None:
        """Hand the pending items to the pipeline as one batch (written while the next is folded)."""
        items, self.pending = self.pending, []
        if items:
            cursors = {stream: state.resource_version for stream, state in self.w.state.items()}
            self._committed(submit_batch(self.w, self.pipeline, items, cursors))
        if time.monotonic() - self.saved_at >= CURSOR_SAVE_SECONDS:
            self._save()

    def settle(self) -> None:
        """Wait for the batch being written."""
        self._committed(finish_batches(self.w, self.pipeline))

    def _committed(self, done: list[Done]) -> None:
        if done:
            self.covered = done[-1].token
        if not self.pipeline.writing:
            self.covered = None  # every item received is committed: the streams' cursors cover them

    def _save(self) -> None:
        """Save the cursors: while a batch is being written, as of the last committed batch (a cursor is
        never saved ahead of what is committed), or not at all when none has committed yet."""
        if not self.pipeline.writing:
            save_cursors(self.w)
        elif self.covered is not None:
            with _cursors_as_of(self.w, self.covered):
                save_cursors(self.w)
        else:
            return
        self.saved_at = time.monotonic()


@contextmanager
def _cursors_as_of(w: ClusterWatch, covered: dict[Stream, str]) -> Iterator[None]:
    """The streams' resourceVersions set to `covered` for as long as the block runs (to save them)."""
    live = {stream: state.resource_version for stream, state in w.state.items()}
    for stream, state in w.state.items():
        state.resource_version = covered.get(stream, state.saved_version)
    try:
        yield
    finally:
        for stream, state in w.state.items():
            state.resource_version = live[stream]
