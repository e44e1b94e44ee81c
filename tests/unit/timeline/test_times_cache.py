"""`parse_time`'s cache stays bounded and never changes an answer (pods/timeline/times.py)."""

import tracemalloc
from datetime import UTC, datetime, timedelta

from pods.timeline import times


def test_the_cache_never_holds_more_than_its_bound_and_answers_stay_right_across_a_clear():
    base = datetime(2026, 1, 1, tzinfo=UTC)
    stamps = [
        (base + timedelta(seconds=i)).strftime("%Y-%m-%dT%H:%M:%SZ") for i in range(times._CACHE_MAX * 2 + 7)
    ]
    seen_max = 0
    for i, text in enumerate(stamps):
        assert times.parse_time(text) == base + timedelta(seconds=i)
        seen_max = max(seen_max, len(times._CACHE))
    assert seen_max <= times._CACHE_MAX
    # cached and freshly parsed answers agree after the cache was emptied on the way
    assert times.parse_time(stamps[0]) == base
    assert times.parse_time(stamps[-1]) == base + timedelta(seconds=len(stamps) - 1)


def test_a_full_cache_holds_a_few_megabytes_at_most():
    # a worker's memory must reach its plateau within minutes of churn (make soak judges its slope)
    times._CACHE.clear()
    base = datetime(2026, 2, 1, tzinfo=UTC)
    stamps = [
        (base + timedelta(milliseconds=i)).isoformat().replace("+00:00", "Z") for i in range(times._CACHE_MAX)
    ]
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for text in stamps:
            times.parse_time(text)
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert len(times._CACHE) == times._CACHE_MAX
    assert held < 2 * 1024 * 1024, f"a full cache holds {held / 1e6:.1f} MB"


def test_long_text_is_never_cached():
    # a hostile object's "time" of a megabyte: answered (None), but not kept in the cache
    times._CACHE.clear()
    huge = "2026-01-01T00:00:00Z" + "x" * 1_000_000
    assert times.parse_time(huge) is None
    assert times.parse_time(" " * 100 + "2026-01-01T00:00:00Z") == datetime(2026, 1, 1, tzinfo=UTC)
    assert len(times._CACHE) == 0
