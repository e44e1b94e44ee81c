"""Process tuning for ingest: the cyclic garbage collector's thresholds (`tune_gc_for_ingest`)."""

from __future__ import annotations

import gc


def tune_gc_for_ingest() -> None:
    """Make the cyclic garbage collector cheap for a long-running ingest process.

    Folding a batch allocates many short-lived dicts; with the default thresholds the collector scans
    every live object again and again (measured: ingest 1.5x slower). Objects alive at startup are frozen
    out of collection, and collections happen less often. A batch's parsed objects (~200 containers each)
    live until the batch is written, so even a young collection every 50,000 allocations traversed them
    again and again: 12% of B1's CPU time; every 500,000 it is under 1% (docs/performance.md, B1). Ingest
    makes almost no reference cycles (a few thousand per 20,000 events), so little waits for collection.
    Call once, after start-up, in a process whose main job is ingest (watchers, imports, the benchmark).
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(500_000, 50, 1000)
