"""Process tuning for ingest: the cyclic garbage collector's thresholds (`tune_gc_for_ingest`), and the
heap's free pages given back to the system (`release_free_memory`)."""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import threading
from collections.abc import Callable

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
    FULL_COLLECTION_SECONDS (`collect_every`); frozen objects are skipped, it takes milliseconds. After
    each, the heap's free pages are given back (`release_free_memory`).
    """
    global _collecting
    gc.collect()
    gc.freeze()
    gc.set_threshold(500_000, 50, 1000)
    if _collecting is None:
        _collecting = collect_every(FULL_COLLECTION_SECONDS)


def _malloc_trim() -> Callable[[int], int] | None:
    try:
        trim = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
    except (OSError, AttributeError):  # not glibc (musl, macOS): nothing to give back this way
        return None
    trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    return trim


_TRIM = _malloc_trim()


def release_free_memory() -> bool:
    """Give the pages of glibc's heap that hold only free chunks back to the system (`malloc_trim(0)`);
    False where the C library has no such call.

    A worker's heap frays: watch lines, JSON buffers and query results of every size come and go on
    several threads, and glibc keeps the freed chunks between live ones. In make soak a worker's RSS crept
    up ~20-40 MB an hour while its live heap (glibc's bytes in use, Python's blocks) stayed flat; one call
    gave back 3.6 MB, the creep of the minutes before (docs/performance.md, "Endurance")."""
    if _TRIM is None:
        return False
    _TRIM(0)
    return True


def collect_every(seconds: float) -> threading.Event:
    """Run a full collection every `seconds` in a daemon thread, then give the heap's free pages back,
    until the returned event is set."""
    stop = threading.Event()

    def collect() -> None:
        while not stop.wait(seconds):
            gc.collect()
            release_free_memory()

    threading.Thread(target=collect, name="gc-full-collections", daemon=True).start()
    return stop
