"""Pipelined ingest: batch N is written by a writer thread, on a database connection of its own, while the
caller folds batch N+1 (psycopg releases the GIL while PostgreSQL works, on the other core).

The watcher is the only writer of its cluster's Pods (its lock) and keeps the states it wrote
(`pods.ingest.pod_states`), so folding N+1 needs nothing of N from the database: N's folded states are
kept as soon as it is folded, before its write commits. What makes that exact:

- A batch is folded completely before it is written (`pods.ingest.batch.fold_batch` plans every row from
  the states), so the fold of N+1 may change those states while N is written. One batch at most is being
  written: N+1 goes to the writer once N has committed.
- A Pod of N+1 whose state N wrote but that is not kept (deleted, or dropped past the kept limit) would be
  read back from before N: the batch waits for N to commit first.
- A write that fails voids what was folded from it: every kept state is dropped, the batch folded behind
  it is thrown away, and both are ingested again the plain way (`ingest_batch`, which sets a bad object
  apart from the rest), in order, reading their Pods back from the database.
- Each batch is handed back (`Done`, with the caller's `token`) only once it has committed, in order: the
  watcher saves the cursors a batch covers only then.
- With startup traces on, a batch queues its traces when its fold's transaction commits: such batches are
  ingested the plain way, one after the other.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db import connection, transaction

from pods.ingest.batch import FoldedBatch, fold_batch, ingest_batch, parse_items, write_folded
from pods.ingest.items import IngestResult, WatchItem
from pods.ingest.pod_states import PodStates
from pods.models import Cluster
from pods.signals.export import traces_on


@dataclass(slots=True)
class Done:
    """A batch that has committed (or was ingested again after its write failed), with the caller's token."""

    items: Sequence[WatchItem]
    result: IngestResult
    token: Any


@dataclass(slots=True)
class _Writing:
    items: Sequence[WatchItem]
    token: Any
    now: datetime
    folded: FoldedBatch
    written: Future[None]


class IngestPipeline:
    """Ingest one cluster's batches in order, writing each while the next is folded (see the module).

    `submit` returns the batches that are done since the last call, in order; `finish` waits for the one
    being written; `close` (always call it) also ends the writer thread and its connection."""

    # False: every batch is ingested the plain way (`ingest_batch`) as it is submitted.
    overlap = True

    def __init__(self, cluster: Cluster, kept: PodStates, *, overlap: bool | None = None) -> None:
        if overlap is not None:
            self.overlap = overlap
        self.cluster = cluster
        self.kept = kept
        self._writing: _Writing | None = None
        self._writer: ThreadPoolExecutor | None = None
        self.writer_cpu_seconds = 0.0  # the writer thread's own CPU time (the benchmark's figures)

    @property
    def writing(self) -> bool:
        """A batch is being written (it has not been handed back yet)."""
        return self._writing is not None

    @property
    def write_in_progress(self) -> bool:
        """True while the batch handed to the writer has not finished its write (committed or failed)."""
        return self._writing is not None and not self._writing.written.done()

    def submit(
        self, items: Sequence[WatchItem], token: Any = None, now: datetime | None = None
    ) -> list[Done]:
        now = now or datetime.now(UTC)
        # With traces on, a batch's are queued when its fold commits: folded and written at once.
        if not self.overlap or traces_on(self.cluster):
            return [*self.finish(), Done(items, self._plain(items, now), token)]
        result = IngestResult()
        related: list = []
        parsed = parse_items(items, result, related)
        if not parsed and not related:
            return [*self.finish(), Done(items, result, token)]
        uids = {uid for uid, _, _ in parsed}
        done: list[Done] = []
        writing = self._writing
        if writing is not None and any(
            uid in writing.folded.written and uid not in self.kept for uid in uids
        ):
            done += self.finish()  # read back what it writes of them once it has committed
            writing = None
        try:
            folded = fold_batch(self.cluster, parsed, related, uids, result, now, self.kept.take(uids))
        except Exception:  # noqa: BLE001 - the plain way sets a bad object apart (the states taken are gone)
            return [*done, *self.finish(), Done(items, self._plain(items, now), token)]
        # Kept before they are written: trusted only as long as no write fails (`_done`).
        self.kept.keep(folded.written)
        if writing is not None:
            self._writing = None
            first, failed = self._done(writing)
            done.append(first)
            if failed:  # this fold read the states it failed to write: void
                return [*done, Done(items, self._plain(items, now), token)]
        self._writing = _Writing(items, token, now, folded, self._executor().submit(self._write, folded, now))
        return done

    def finish(self) -> list[Done]:
        """Wait for the batch being written; [] when there is none."""
        writing, self._writing = self._writing, None
        return [] if writing is None else [self._done(writing)[0]]

    def close(self) -> list[Done]:
        """`finish`, then end the writer thread (closing its connection). Call it in a `finally`."""
        try:
            return self.finish()
        finally:
            if self._writer is not None:
                self._writer.submit(_close_connection).result()
                self._writer.shutdown()
                self._writer = None

    def abandon(self) -> None:
        """End without handing anything back (the caller is failing): wait for the write in flight to end,
        whatever it gives (its states were kept before it was written: all are dropped), and close the
        writer."""
        writing, self._writing = self._writing, None
        if writing is not None:
            writing.written.exception()
            self.kept.clear()
        self.close()

    def _done(self, writing: _Writing) -> tuple[Done, bool]:
        """Wait for `writing` to commit; if its write failed (True), drop every kept state and ingest it
        again the plain way (an error that is no object's fault is raised from there)."""
        if writing.written.exception() is None:
            return Done(writing.items, writing.folded.result, writing.token), False
        self.kept.clear()
        return Done(writing.items, self._plain(writing.items, writing.now), writing.token), True

    def _plain(self, items: Sequence[WatchItem], now: datetime) -> IngestResult:
        return ingest_batch(cluster=self.cluster, items=items, now=now, kept=self.kept)

    def _executor(self) -> ThreadPoolExecutor:
        if self._writer is None:
            self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"ingest-{self.cluster.name}")
        return self._writer

    def _write(self, folded: FoldedBatch, now: datetime) -> None:
        """In the writer thread: one transaction; its change messages go out when it commits."""
        began = time.thread_time()
        try:
            with transaction.atomic():
                write_folded(self.cluster, folded, now)
        except BaseException:
            connection.close()  # it may be broken (a restart): the next write connects again
            raise
        finally:
            self.writer_cpu_seconds += time.thread_time() - began


def _close_connection() -> None:
    """Close the calling thread's connection (`connection` resolves per thread when called)."""
    connection.close()
