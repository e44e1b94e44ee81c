"""`PodStates`, the states a watcher keeps between batches (pods.ingest.pod_states): taken by a batch,
kept again only when written, deleted Pods never kept, the least recently written dropped past the limit.
How ingest uses it against PostgreSQL: tests/integration/test_pod_states.py."""

from __future__ import annotations

from datetime import UTC, datetime

from pods.ingest.pod_states import PodStates
from pods.timeline import PodState


def _states(*uids: str, deleted: bool = False) -> dict[str, PodState]:
    at = datetime(2026, 1, 1, tzinfo=UTC) if deleted else None
    return {uid: PodState(uid=uid, deleted_at=at) for uid in uids}


def test_a_batch_takes_its_pods_and_only_what_it_wrote_comes_back():
    kept = PodStates()
    kept.keep(_states("a", "b"))
    taken = kept.take({"a", "c"})
    assert set(taken) == {"a"} and "a" not in kept and "b" in kept
    assert (kept.hits, kept.misses) == (1, 1)
    kept.keep({"c": PodState(uid="c")})  # "a" was taken and not written: it stays out
    assert "a" not in kept and "c" in kept


def test_deleted_pods_are_not_kept():
    kept = PodStates()
    kept.keep(_states("a"))
    kept.keep(_states("a", "b", deleted=True))
    assert len(kept) == 0


def test_the_least_recently_written_go_first_past_the_limit():
    kept = PodStates(limit=2)
    kept.keep(_states("a", "b"))
    kept.keep(_states("a"))  # written again: the newest
    kept.keep(_states("c"))
    assert "b" not in kept and "a" in kept and "c" in kept


def test_forget_and_clear():
    kept = PodStates()
    kept.keep(_states("a", "b", "c"))
    kept.forget(["a", "x"])
    assert "a" not in kept and len(kept) == 2
    kept.clear()
    assert len(kept) == 0
