"""The pipelined ingest (pods.ingest.pipeline) against PostgreSQL: each batch written by the writer thread
while the next is folded stores exactly what plain batches store, hands each batch back once, in order,
after its commit, and a write that fails while the next batch is folded commits nothing past the batch
before it, keeps nothing, and a later run stores everything exactly once.

The writer has a connection of its own, which sees only committed rows: these tests commit for real."""

from __future__ import annotations

import itertools
import threading

import orjson
import pytest
from django.db import OperationalError

from bench.stream import generate
from pods.ingest import IngestPipeline, PodStates, WatchItem, cluster_get_or_create, ingest_batch
from pods.ingest import batch as ingest_batch_module
from pods.ingest import pipeline as pipeline_module
from pods.models import Pod
from tests.builders import crash_looping_pod
from tests.stored import stored

pytestmark = pytest.mark.django_db(transaction=True)
_clusters = itertools.count()


def _fresh_cluster():
    return cluster_get_or_create(name=f"pipelined-{next(_clusters)}")


@pytest.fixture(scope="module")
def batches(tmp_path_factory) -> list[list[WatchItem]]:
    """The benchmark's stream (crash-looping init containers, deletions, managedFields), 1,500 events in
    batches of 150."""
    path = tmp_path_factory.mktemp("stream") / "stream.jsonl"
    generate(str(path), events=1500)
    events = [orjson.loads(line) for line in path.read_bytes().splitlines()]
    return [
        [WatchItem("pod", e["object"], e["type"]) for e in events[start : start + 150]]
        for start in range(0, len(events), 150)
    ]


def _plain(batches: list[list[WatchItem]]) -> str:
    cluster = _fresh_cluster()
    for items in batches:
        ingest_batch(cluster=cluster, items=items)
    return cluster.name


def _pipelined(cluster, batches, kept: PodStates, first: int = 0) -> list[int]:
    """Submit `batches` (their tokens: their index, from `first`); the tokens handed back, in order."""
    pipeline = IngestPipeline(cluster, kept)
    tokens: list[int] = []
    try:
        for i, items in enumerate(batches, start=first):
            tokens += [done.token for done in pipeline.submit(items, token=i)]
        tokens += [done.token for done in pipeline.finish()]
    finally:
        pipeline.close()
    return tokens


@pytest.mark.parametrize("limit", [5_000, 10])
def test_pipelined_batches_store_what_plain_batches_store(batches, limit):
    """`limit` 10: most Pods a batch writes are dropped from the kept states at once, so the next batch
    waits for them to be committed before reading them back."""
    cluster, kept = _fresh_cluster(), PodStates(limit=limit)
    assert _pipelined(cluster, batches, kept) == list(range(len(batches)))
    assert kept.hits > 0
    assert stored(cluster.name) == stored(_plain(batches))


def _fail_writes(monkeypatch, when) -> list[str]:
    """Make `write_folded` (every batch's writes, in the writer or the plain way) raise a lost connection
    while `when()` is true; the names of the threads it failed in."""
    failed: list[str] = []
    real = ingest_batch_module.write_folded

    def write_folded(*args, **kwargs):
        if when():
            failed.append(threading.current_thread().name)
            raise OperationalError("the database went away")
        return real(*args, **kwargs)

    monkeypatch.setattr(ingest_batch_module, "write_folded", write_folded)
    monkeypatch.setattr(pipeline_module, "write_folded", write_folded)
    return failed


def test_a_write_that_fails_while_the_next_batch_is_folded_commits_nothing_past_the_batch_before(
    batches, monkeypatch
):
    cluster, kept = _fresh_cluster(), PodStates()
    pipeline = IngestPipeline(cluster, kept)
    tokens = [done.token for i in (0, 1) for done in pipeline.submit(batches[i], token=i)]
    tokens += [done.token for done in pipeline.finish()]
    assert tokens == [0, 1]
    committed = stored(cluster.name)

    down = True
    failed = _fail_writes(monkeypatch, lambda: down)
    assert pipeline.submit(batches[2], token=2) == []  # folded, then written by the writer: it fails
    with pytest.raises(OperationalError):
        # Folded from batch 2's states; then batch 2's failure is seen, and ingesting it again fails too.
        pipeline.submit(batches[3], token=3)
    assert failed[0].startswith("ingest-") and failed[1] == threading.main_thread().name
    assert not pipeline.writing
    assert len(kept) == 0  # what batches 2 and 3 folded is never folded into again
    assert stored(cluster.name) == committed  # nothing of batches 2 and 3: the cursor of batch 1 covers it
    pipeline.close()

    # The next run (a new lock hold) resumes from batch 1's cursor: everything is stored exactly once.
    down = False
    assert _pipelined(cluster, batches[2:], PodStates(), first=2) == list(range(2, len(batches)))
    assert stored(cluster.name) == stored(_plain(batches))


def test_a_write_that_fails_once_is_ingested_again_with_the_batch_folded_behind_it(batches, monkeypatch):
    """A failure of the writer alone (a connection lost once): the batch and the one folded from its
    states are ingested again the plain way, handed back in order, and stored as plain batches are."""
    cluster, kept = _fresh_cluster(), PodStates()
    failed = _fail_writes(
        monkeypatch, lambda: threading.current_thread().name.startswith("ingest-") and not failed
    )
    assert _pipelined(cluster, batches, kept) == list(range(len(batches)))
    assert len(failed) == 1
    assert stored(cluster.name) == stored(_plain(batches))


def test_an_object_the_database_refuses_is_rejected_alone_from_a_pipelined_batch(batches):
    bad = crash_looping_pod(10, 1, "refused", name="refused")
    bad["status"]["initContainerStatuses"][0]["restartCount"] = 2**40  # past the column's 32 bits
    with_bad = [*batches[1][:10], WatchItem("pod", bad, "ADDED", position="line 11"), *batches[1][10:]]
    cluster, kept = _fresh_cluster(), PodStates()
    pipeline = IngestPipeline(cluster, kept)
    try:
        done = [*pipeline.submit(batches[0]), *pipeline.submit(with_bad), *pipeline.submit(batches[2])]
        done += pipeline.finish()
    finally:
        pipeline.close()
    assert [position for d in done for position, _ in d.result.rejected] == ["line 11"]
    assert not Pod.objects.filter(cluster=cluster, uid="refused").exists()
    assert stored(cluster.name) == stored(_plain(batches[:3]))


def test_a_window_saves_no_cursor_ahead_of_the_batches_committed(batches, monkeypatch):
    """The watcher's window (pods.watch.window) hands a batch to the pipeline with the streams' cursors as of
    its last item. While a batch is being written, a save stores the cursor of the last committed batch (or
    none); once nothing is being written, the streams' own."""
    from pods import watch
    from pods.models import WatchCursor
    from pods.watch.window import Window

    permits = threading.Semaphore(0)  # one per write the test lets through
    real = pipeline_module.write_folded

    def write_folded(*args, **kwargs):
        assert permits.acquire(timeout=60)
        return real(*args, **kwargs)

    monkeypatch.setattr(pipeline_module, "write_folded", write_folded)
    stream = watch.Stream("pods")
    w = watch.ClusterWatch(_fresh_cluster(), kube=None, streams=[stream])  # type: ignore[arg-type]
    w.owners, w.capture_logs = None, False
    window = Window(w, seconds=60)
    state = w.state[stream]

    def saved() -> str | None:
        window.saved_at = 0.0  # due
        window._save()
        cursor = WatchCursor.objects.filter(cluster=w.cluster, resource="pods").first()
        return cursor and cursor.resource_version

    try:
        state.resource_version, window.pending = "10", list(batches[0])
        window.flush()  # batch 0 is being written
        assert window.pipeline.write_in_progress  # held at the permit: its write has not ended
        state.resource_version = "20"  # lines received since
        assert saved() is None  # nothing committed yet

        permits.release()  # batch 0 commits once batch 1 is folded
        window.pending = list(batches[1])
        window.flush()
        assert window.pipeline.writing  # batch 1 is being written
        state.resource_version = "30"
        assert saved() == "10"
        assert state.resource_version == "30"  # only the saved cursor was held back

        permits.release()
        window.settle()
        assert not window.pipeline.write_in_progress
        assert saved() == "30"
    finally:
        permits.release()
        window.pipeline.abandon()
    assert stored(w.cluster.name) == stored(_plain(batches[:2]))
