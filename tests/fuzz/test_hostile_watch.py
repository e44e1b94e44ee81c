"""Hostile and odd input through a real watch (issue 15): kubesim sends the fuzzed lines of
`tests.strategies.fuzz_lines` byte for byte on its watches (`Faults.inject_watch_lines`): the Pods (good
ones and mutated ones) on its Pod watch, the Events on its Event watch. The watcher over HTTP never
crashes, skips or rejects each bad line with its stream, line and resourceVersion, and stores the good
objects exactly as an import of the good lines alone does."""

from __future__ import annotations

import itertools
import logging
import os
import re
from datetime import UTC, datetime

import orjson
import pytest
from hypothesis import HealthCheck, Phase, given, settings

from pods import watch
from pods.ingest import cluster_get_or_create, ingest_batch
from pods.models import Event
from pods.watch import decode
from tests.services import settings_for_cluster
from tests.stored import stored
from tests.strategies import FuzzLine, fuzz_lines

pytestmark = [pytest.mark.integration]

WATCH_EXAMPLES = int(os.environ.get("FUZZ_WATCH_EXAMPLES", "1"))
REPORTED = {stream: re.compile(rf"watch {stream} line (\d+)\b") for stream in ("pods", "events")}
_sims = itertools.count()
RECEIVED = datetime(2025, 6, 2, 12, 0, tzinfo=UTC)


class FrozenClock(datetime):
    @classmethod
    def now(cls, tz=None):  # type: ignore[override]
        return RECEIVED


def is_kube_event(line: FuzzLine) -> bool | None:
    """Whether the line's object is an Event (it names what it is about), a Pod (False), or neither: a
    line that is no watch event of an object at all (None)."""
    try:
        event = orjson.loads(line.data)
    except orjson.JSONDecodeError:
        return None
    obj = event.get("object") if isinstance(event, dict) else None
    if not isinstance(obj, dict):
        return None
    return "involvedObject" in obj or "regarding" in obj


def on_the_pod_watch(line: FuzzLine) -> bool:
    """What the Pod watch of the first test carries: Pods, and lines that are no object at all (Events
    are the second test's; both streams at once would fold in an order the test cannot know)."""
    return is_kube_event(line) is not True


def on_the_event_watch(line: FuzzLine) -> bool:
    """What the Event watch of the second test carries: Events, and lines that are no object at all."""
    return is_kube_event(line) is not False


def watch_hostile_lines(kubesim_cluster, stream: str, lines: list[FuzzLine]) -> tuple[str, list[str]]:
    """kubesim with no Pods sends `lines` first on its next watch of `stream`; one watch window reads
    them. Returns the cluster's name and what the watcher logged."""
    sim = kubesim_cluster({"workloads": []}, name=f"fuzz-watch-{next(_sims)}")
    sim.ks.call(sim.ks.sim.faults.inject_watch_lines, stream, [line.data for line in lines])
    logger = logging.getLogger("pods")
    records: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: records.append(record.getMessage())  # type: ignore[method-assign]
    logger.addHandler(handler)
    try:
        with settings_for_cluster(sim, REDIS_URL=""):
            w = watch.cluster_watch(sim.name)
            watch.watch_window(w, seconds=2)  # lists (nothing), then watches: the lines come first
    finally:
        logger.removeHandler(handler)
    return sim.name, records


def check_reported(stream: str, lines: list[FuzzLine], records: list[str]) -> None:
    """Every line that must be rejected is reported with its position on `stream`, no good one is, and
    each report is one bounded line."""
    reported = {int(m.group(1)) for message in records for m in REPORTED[stream].finditer(message)}
    for number, line in enumerate(lines, 1):
        if line.good:
            assert number not in reported, f"good line {number} reported: {records}"
        if line.must_reject:
            assert number in reported, f"line {number} ({line.mutation}) not reported: {records}"
    for message in records:
        assert "\n" not in message and len(message) < 2000, message[:300]


def clean_import(name: str, stream: str, lines: list[FuzzLine]):
    """The clean run: the good lines alone, decoded the same way, received at the same (frozen) time,
    into a cluster of their own."""
    decoded = [watch.decode_line(watch.Stream(stream), line.data) for line in lines if line.good]
    clean = cluster_get_or_create(name=f"{name}-clean")
    result = ingest_batch(cluster=clean, items=[d.item for d in decoded if d.item is not None])
    assert result.rejected == []
    return clean


# One kubesim per example; no shrinking (it would take too long). No deadline: tests/conftest.py.
watch_examples = settings(
    max_examples=WATCH_EXAMPLES,
    suppress_health_check=list(HealthCheck),
    phases=[Phase.explicit, Phase.generate],
)


@watch_examples
@given(drawn=fuzz_lines(max_objects=40))
def test_a_watch_of_hostile_lines_never_loses_a_good_pod(
    kubesim_cluster, transactional_db, monkeypatch, drawn
):
    # What a watch knows and a recording does not (when a change was seen) is the same in both runs.
    monkeypatch.setattr(decode, "datetime", FrozenClock)
    lines = [line for line in drawn if on_the_pod_watch(line)]
    name, records = watch_hostile_lines(kubesim_cluster, "pods", lines)
    check_reported("pods", lines, records)
    clean_rows = stored(clean_import(name, "pods", lines).name)
    assert stored(name, set(clean_rows["states"])) == clean_rows


EVENT_COLUMNS = ("uid", "pod_uid", "namespace", "name", "container", "type", "reason", "message", "count")


def stored_events(cluster: str, uids: set[str] | None = None) -> list[tuple]:
    """The cluster's Events (all, or those of `uids`), whether their Pod is stored or not."""
    events = Event.objects.filter(cluster__name=cluster)
    if uids is not None:
        events = events.filter(uid__in=uids)
    return sorted(events.values_list(*EVENT_COLUMNS, "first_at", "last_at"))


@watch_examples
@given(drawn=fuzz_lines(max_objects=40))
def test_a_watch_of_hostile_event_lines_never_loses_a_good_event(
    kubesim_cluster, transactional_db, monkeypatch, drawn
):
    monkeypatch.setattr(decode, "datetime", FrozenClock)
    lines = [line for line in drawn if on_the_event_watch(line)]
    name, records = watch_hostile_lines(kubesim_cluster, "events", lines)
    check_reported("events", lines, records)
    clean_events = stored_events(clean_import(name, "events", lines).name)
    assert stored_events(name, {row[0] for row in clean_events}) == clean_events
