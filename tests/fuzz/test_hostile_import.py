"""Hostile and odd input through `import_watch` (issue 15): generated Pods and Events mixed with real
recordings' objects mutated at one path. No crash; no batch loses its good objects for one bad one; each
rejection names its line and a reason; the good objects' stored timelines are exactly those a recording
of the good lines alone gives.

`make test` runs about FUZZ_OBJECTS=1500 objects; `make fuzz` runs FUZZ_OBJECTS=100000 (see
docs/watching.md "Hostile and odd input")."""

from __future__ import annotations

import itertools
import os
import re
import resource
import time
from collections import Counter

import pytest
from django.db import reset_queries
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pods.ingest.imports import import_paths
from tests.stored import stored
from tests.strategies import FuzzLine, fuzz_lines

pytestmark = pytest.mark.django_db

FUZZ_OBJECTS = int(os.environ.get("FUZZ_OBJECTS", "1500"))
OBJECTS_PER_EXAMPLE = 60  # at most; about 33 on average (a Pod's versions count one each: 96,294 in 2,900)
EXAMPLES = max(1, FUZZ_OBJECTS // 33)
# The examples run as several Hypothesis runs of at most this many (a test case each, rolled back after
# it): one run of 2,857 examples (make fuzz) kept every example's choices in Hypothesis's tree and every
# imported row in one transaction, and slowed from 95 to 7 objects a second as it grew to 1.4 GB.
EXAMPLES_PER_RUN = 50
RUNS = -(-EXAMPLES // EXAMPLES_PER_RUN)
EXAMPLES_A_RUN = -(-EXAMPLES // RUNS)
POSITION = re.compile(r"^fuzz\.jsonl:line (\d+)(?: item \d+)?$")
_clusters = itertools.count()
STATS: Counter[str] = Counter()


def write(path, lines: list[FuzzLine]) -> None:
    path.write_bytes(b"".join(line.data + b"\n" for line in lines))


def check_recording(tmp_path, lines: list[FuzzLine], batch_size: int) -> None:
    mixed, clean = f"fuzz-{next(_clusters)}", f"fuzz-{next(_clusters)}"
    (tmp_path / "mixed").mkdir(exist_ok=True)
    (tmp_path / "clean").mkdir(exist_ok=True)
    write(tmp_path / "mixed" / "fuzz.jsonl", lines)
    write(tmp_path / "clean" / "fuzz.jsonl", [line for line in lines if line.good])

    report = import_paths(
        cluster_name=mixed, paths=[str(tmp_path / "mixed" / "fuzz.jsonl")], batch_size=batch_size
    )
    clean_report = import_paths(
        cluster_name=clean, paths=[str(tmp_path / "clean" / "fuzz.jsonl")], batch_size=batch_size
    )

    assert clean_report.rejected == [], "the good lines alone are all accepted"
    rejected_lines: set[int] = set()
    for position, reason in report.rejected:
        match = POSITION.match(position)
        assert match, f"a rejection names its line: {position!r}"
        number = int(match.group(1))
        line = lines[number - 1]
        assert not line.good, f"good line {number} rejected: {reason}"
        assert reason and "\n" not in reason and len(reason) <= 400, reason
        rejected_lines.add(number)
        STATS[f"rejected: {_reason_kind(reason)}"] += 1
    open_since = 0  # the line a rejected object starts at, while only bad lines follow it
    for number, line in enumerate(lines, 1):
        STATS[f"line: {line.mutation or 'good'}"] += 1
        open_since = 0 if line.good else number if number in rejected_lines else open_since
        if line.must_reject:
            # Rejected at its own line, or read as the rest of an object left open by an earlier bad line
            # (a truncated one) and rejected with it: the reader resynchronises at the next line "{".
            assert open_since, f"line {number} ({line.mutation}) was not rejected"
    assert report.records >= sum(line.good for line in lines)

    clean_rows = stored(clean)
    assert stored(mixed, set(clean_rows["states"])) == clean_rows


def _reason_kind(reason: str) -> str:
    """A rejection's reason without its details (for the run's tally)."""
    return re.split(r"[:(]|\d", reason, maxsplit=1)[0].strip() or reason[:40]


@pytest.mark.parametrize("run", range(RUNS))
@settings(
    max_examples=EXAMPLES_A_RUN, suppress_health_check=list(HealthCheck)
)  # no deadline: tests/conftest.py
@given(lines=fuzz_lines(max_objects=OBJECTS_PER_EXAMPLE), batch_size=st.sampled_from([5, 50, 500]))
def test_hostile_lines_never_lose_a_good_object(tmp_path_factory, run, lines, batch_size):
    check_recording(tmp_path_factory.mktemp("fuzz"), lines, batch_size)
    reset_queries()  # DEBUG=1 logs every query, megabyte parameters too: a long run would only grow
    STATS["examples"] += 1
    if STATS["examples"] % 50 == 0:
        report()  # a long run shows its progress


STARTED = time.monotonic()


def report() -> str:
    """The run so far: objects, rejections by reason, seconds, peak RSS (written to $FUZZ_REPORT)."""
    objects = sum(n for key, n in STATS.items() if key.startswith("line: "))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    rows = [f"{objects:,} objects in {time.monotonic() - STARTED:.0f}s, peak RSS {peak} MB"]
    rows += [f"  {key}: {n:,}" for key, n in sorted(STATS.items())]
    text = "\n".join(rows)
    if os.environ.get("FUZZ_REPORT"):
        with open(os.environ["FUZZ_REPORT"], "w") as fh:
            fh.write(text + "\n")
    return text


@pytest.fixture(scope="module", autouse=True)
def tally():
    yield
    print("\n" + report())
