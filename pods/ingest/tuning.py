"""Process tuning for ingest: the cyclic garbage collector's thresholds (`tune_gc_for_ingest`)."""

from __future__ import annotations

import gc
import threading

# With the thresholds below the collector never runs a full collection by itself: one every this long.
FULL_COLLECTION_SECONDS = 60.0
_collecting: threading.Event | None = None


def tune_gc_for_ingest() -> None:
    """Make the cyclic garbage collector cheap for a long-running ingest process.

    Folding a batch allocates many short-lived dicts; with the default thresholds the collector scans
    every live object again and again (measured: ingest 1.5x slower). Objects alive at startup are frozen
    out of collection, and collections happen less often. A batch's parsed objects (~200 containers each)
    live until the batch is written, so even a young collection every 50,000 allocations traversed them
    again and again: 12% of B1's CPU time; every 500,000 it is under 1% (docs/performance.md, B1). Ingest
    makes almost no reference cycles (a few thousand per 20,000 events), so little waits for collection.
    Call once, after start-up, in a process whose main job is ingest (watchers, imports, the benchmark).

    With these thresholds a full collection would need 1,000 middle ones (25 billion allocations): never.
    A worker makes cycles all the time (the asyncio Redis connections of the live broadcasts, exceptions
    and their tracebacks, a watch reader's stopped stream), and whatever lived past a middle collection was
    never freed: the soak's workers grew by 100-200 MB an hour. So a full collection runs every
    FULL_COLLECTION_SECONDS (`collect_every`); frozen objects are skipped, it takes milliseconds.
    """
    global _collecting
    gc.collect()
    gc.freeze()
    gc.set_threshold(500_000, 50, 1000)
    if _collecting is None:
        _collecting = collect_every(FULL_COLLECTION_SECONDS)


def collect_every(seconds: float) -> threading.Event:
    """Run a full collection every `seconds` in a daemon thread, until the returned event is set."""
    stop = threading.Event()

    def collect() -> None:
        while not stop.wait(seconds):
            gc.collect()

    threading.Thread(target=collect, name="gc-full-collections", daemon=True).start()
    return stop
