"""Hostile and odd input through a real watch (issue 15): kubesim sends the fuzzed lines of
`tests.strategies.fuzz_lines` (Pods: good ones and mutated ones) byte for byte on its Pod watch
(`Faults.inject_watch_lines`); the watcher over HTTP never crashes, skips or rejects each bad line with
its stream, line and resourceVersion, and stores the good Pods exactly as an import of the good lines
alone does."""

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
from pods.watch import decode
from tests.services import settings_for_cluster
from tests.stored import stored
from tests.strategies import FuzzLine, fuzz_lines

pytestmark = [pytest.mark.integration]

WATCH_EXAMPLES = int(os.environ.get("FUZZ_WATCH_EXAMPLES", "1"))
REPORTED = re.compile(r"watch pods line (\d+)\b")
_sims = itertools.count()
RECEIVED = datetime(2025, 6, 2, 12, 0, tzinfo=UTC)


class FrozenClock(datetime):
    @classmethod
    def now(cls, tz=None):  # type: ignore[override]
        return RECEIVED


def on_the_pod_watch(line: FuzzLine) -> bool:
    """What a Pod watch may carry: Pods, and lines that are no object at all (a watch of Events gets
    the Events; both streams at once would fold in an order the test cannot know)."""
    try:
        event = orjson.loads(line.data)
    except orjson.JSONDecodeError:
        return True
    obj = event.get("object") if isinstance(event, dict) else None
    return not isinstance(obj, dict) or ("involvedObject" not in obj and "regarding" not in obj)


@settings(
    max_examples=WATCH_EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    phases=[Phase.explicit, Phase.generate],  # a kubesim per example: shrinking would take too long
)
@given(drawn=fuzz_lines(max_objects=40))
def test_a_watch_of_hostile_lines_never_loses_a_good_pod(
    kubesim_cluster, transactional_db, monkeypatch, drawn
):
    # What a watch knows and a recording does not (when a change was seen) is the same in both runs.
    monkeypatch.setattr(decode, "datetime", FrozenClock)
    lines = [line for line in drawn if on_the_pod_watch(line)]
    sim = kubesim_cluster({"workloads": []}, name=f"fuzz-watch-{next(_sims)}")
    sim.ks.call(sim.ks.sim.faults.inject_watch_lines, "pods", [line.data for line in lines])
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

    reported = {int(m.group(1)) for message in records for m in REPORTED.finditer(message)}
    for number, line in enumerate(lines, 1):
        if line.good:
            assert number not in reported, f"good line {number} reported: {records}"
        if line.must_reject:
            assert number in reported, f"line {number} ({line.mutation}) not reported: {records}"
    for message in records:
        assert "\n" not in message and len(message) < 2000, message[:300]

    # The clean run: the good lines alone, decoded the same way, received at the same (frozen) time.
    decoded = [watch.decode_line(watch.Stream("pods"), line.data) for line in lines if line.good]
    clean = cluster_get_or_create(name=f"{sim.name}-clean")
    result = ingest_batch(cluster=clean, items=[d.item for d in decoded if d.item is not None])
    assert result.rejected == []
    clean_rows = stored(clean.name)
    assert stored(sim.name, set(clean_rows["states"])) == clean_rows
