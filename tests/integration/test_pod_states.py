"""The states a watcher keeps between its batches (pods.ingest.pod_states) against PostgreSQL: folding into
kept states stores exactly what reading them back stores, a batch that fails keeps nothing, and what is
kept is what the last committed batch wrote."""

from __future__ import annotations

import itertools

import pytest
from django.db import OperationalError
from hypothesis import HealthCheck, given, settings

from bench.stream import generate
from pods.ingest import PodStates, WatchItem, cluster_get_or_create, ingest_batch
from pods.ingest import batch as ingest_batch_module
from pods.models import Pod
from pods.timeline.codec import decode_state
from tests.builders import UID, crash_looping_pod
from tests.stored import stored
from tests.strategies import pod_objects

pytestmark = pytest.mark.django_db
_clusters = itertools.count()


def _fresh_cluster():
    return cluster_get_or_create(name=f"kept-{next(_clusters)}")


def _ingest(capture, cluster, items, kept=None):
    with capture(execute=True):  # the callbacks a real commit runs (change messages, keeping states)
        return ingest_batch(cluster=cluster, items=items, kept=kept)


def test_folding_into_kept_states_stores_what_reading_them_back_stores(
    tmp_path, django_capture_on_commit_callbacks
):
    """The benchmark's stream (crash-looping init containers, deletions, managedFields) in batches of 150:
    once with the states kept between batches, once read back every batch."""
    import orjson

    path = tmp_path / "stream.jsonl"
    generate(str(path), events=1500)
    events = [orjson.loads(line) for line in path.read_bytes().splitlines()]
    kept, with_kept, read_back = PodStates(), _fresh_cluster(), _fresh_cluster()
    for start in range(0, len(events), 150):
        items = [WatchItem("pod", e["object"], e["type"]) for e in events[start : start + 150]]
        _ingest(django_capture_on_commit_callbacks, with_kept, items, kept)
        _ingest(django_capture_on_commit_callbacks, read_back, items)
    assert kept.hits > 0  # the Pods of later batches were folded from kept states
    assert len(kept) > 0
    assert stored(with_kept.name) == stored(read_back.name)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(objects=pod_objects())
def test_any_sequence_of_pod_objects_stores_the_same_with_kept_states(
    objects, django_capture_on_commit_callbacks
):
    kept, with_kept, read_back = PodStates(), _fresh_cluster(), _fresh_cluster()
    for o, deleted in objects:  # one object per batch: every object crosses a batch boundary
        item = WatchItem(kind="pod", type="DELETED" if deleted else "MODIFIED", object=o)
        _ingest(django_capture_on_commit_callbacks, with_kept, [item], kept)
        _ingest(django_capture_on_commit_callbacks, read_back, [item])
    assert stored(with_kept.name) == stored(read_back.name)


def test_kept_is_what_the_last_committed_batch_wrote(django_capture_on_commit_callbacks):
    cluster, kept = _fresh_cluster(), PodStates()
    _ingest(
        django_capture_on_commit_callbacks,
        cluster,
        [WatchItem("pod", crash_looping_pod(10, 1), "ADDED")],
        kept,
    )
    assert UID in kept
    stored = decode_state(Pod.objects.get(cluster=cluster, uid=UID).state)
    assert kept.take({UID}) == {UID: stored}
    assert UID not in kept  # taken: the batch that took it owns it until its commit
    kept.keep({UID: stored})

    # The same object again changes nothing and writes nothing: not put back (its stored row keeps the
    # resourceVersion it had), read back next time.
    _ingest(
        django_capture_on_commit_callbacks,
        cluster,
        [WatchItem("pod", crash_looping_pod(10, 1), "MODIFIED")],
        kept,
    )
    assert UID not in kept

    # A deleted Pod is not kept (nothing follows a deletion).
    _ingest(
        django_capture_on_commit_callbacks,
        cluster,
        [WatchItem("pod", crash_looping_pod(11, 2), "DELETED")],
        kept,
    )
    assert UID not in kept
    assert Pod.objects.get(cluster=cluster, uid=UID).deleted_at is not None


def test_a_batch_that_fails_keeps_nothing_and_the_next_reads_back_what_was_stored(
    monkeypatch, django_capture_on_commit_callbacks
):
    cluster, kept = _fresh_cluster(), PodStates()
    _ingest(
        django_capture_on_commit_callbacks,
        cluster,
        [WatchItem("pod", crash_looping_pod(10, 1), "ADDED")],
        kept,
    )
    _ingest(
        django_capture_on_commit_callbacks,
        cluster,
        [WatchItem("pod", crash_looping_pod(10, 1, "other", name="api-other"), "ADDED")],
        kept,
    )
    assert UID in kept and "other" in kept
    stored_before = stored(cluster.name)

    def fail(*args, **kwargs):
        raise OperationalError("the database went away")  # not an object's fault: the batch fails

    monkeypatch.setattr(ingest_batch_module, "mark", fail)  # after the fold and the Pod rows
    with pytest.raises(OperationalError):
        _ingest(
            django_capture_on_commit_callbacks,
            cluster,
            [WatchItem("pod", crash_looping_pod(12, 3), "MODIFIED")],
            kept,
        )
    # The failed batch had folded the Pod's state in memory: none of it may be folded into again, and
    # nothing else is trusted either.
    assert len(kept) == 0
    assert stored(cluster.name) == stored_before
    monkeypatch.undo()

    read_back = _fresh_cluster()
    _ingest(
        django_capture_on_commit_callbacks,
        read_back,
        [WatchItem("pod", crash_looping_pod(10, 1, "other", name="api-other"))],
    )
    for target, states in ((cluster, kept), (read_back, None)):
        for rv, rc in ((10, 1), (12, 3), (13, 4)):
            _ingest(
                django_capture_on_commit_callbacks,
                target,
                [WatchItem("pod", crash_looping_pod(rv, rc), "MODIFIED")],
                states,
            )
    assert kept.hits > 0
    assert stored(cluster.name) == stored(read_back.name)
