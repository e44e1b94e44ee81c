"""`tune_gc_for_ingest` (pods/ingest/tuning.py): young collections rarely, and a full collection every
so often by the clock, since with its thresholds the collector would never run one: a reference cycle that
outlived a middle collection was never freed (the soak's workers grew by such cycles)."""

from __future__ import annotations

import gc
import subprocess
import sys
import time
import weakref

import pytest

from pods.ingest.tuning import collect_every
from tests.soak.runner import ROOT


class Node:
    def __init__(self) -> None:
        self.me = self  # a reference cycle: only the cyclic collector frees it


def wait_dead(ref: weakref.ref, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while ref() is not None and time.monotonic() < deadline:
        time.sleep(0.02)
    return ref() is None


def test_a_cycle_in_the_oldest_generation_is_freed_by_the_clock():
    thresholds = gc.get_threshold()
    gc.set_threshold(500_000, 50, 1000)
    try:
        node = Node()
        ref = weakref.ref(node)
        gc.collect()  # the cycle, still alive, moves to the oldest generation
        del node
        assert not wait_dead(ref, 0.3), "the thresholds alone collected it: the test shows nothing"
        stop = collect_every(0.05)
        try:
            assert wait_dead(ref, 10)
        finally:
            stop.set()
    finally:
        gc.set_threshold(*thresholds)


TUNED = """
import gc, os, time, weakref
import django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dashboard.settings")
django.setup()
from pods.ingest import tuning
tuning.FULL_COLLECTION_SECONDS = 0.05
class Node:
    def __init__(self): self.me = self
tuning.tune_gc_for_ingest()
node = Node(); ref = weakref.ref(node); gc.collect(); del node
deadline = time.monotonic() + 10
while ref() is not None and time.monotonic() < deadline:
    time.sleep(0.02)
print(gc.get_threshold(), ref() is None)
"""


def test_a_tuned_process_still_frees_its_cycles():
    shown = subprocess.run([sys.executable, "-c", TUNED], cwd=ROOT, capture_output=True, text=True,
                           timeout=120)  # fmt: skip
    assert shown.stdout.strip() == "(500000, 50, 1000) True", shown.stderr[-2000:]


FRAYED = """
import ctypes, os
import django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dashboard.settings")
django.setup()
from pods.ingest.tuning import release_free_memory

def rss_kb():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))

libc = ctypes.CDLL("libc.so.6")
libc.malloc.restype = ctypes.c_void_p
libc.free.argtypes = [ctypes.c_void_p]
# 60 MB of 4 KB chunks from glibc's heap (below its mmap threshold), touched; the last one stays alive,
# so the heap's top cannot shrink: freeing the rest leaves free pages between live chunks.
chunks = [libc.malloc(4096) for _ in range(15000)]
for c in chunks:
    ctypes.memset(c, 1, 4096)
for c in chunks[:-1]:
    libc.free(c)
before = rss_kb()
assert release_free_memory()
print(before - rss_kb())
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc_trim: Linux only")
def test_the_heap_s_free_pages_go_back_to_the_system():
    done = subprocess.run([sys.executable, "-c", FRAYED], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    given_back_kb = int(done.stdout.strip())
    assert given_back_kb > 40_000, f"only {given_back_kb} kB given back of ~60 MB freed"


def test_the_collector_thread_gives_free_pages_back_after_each_collection(monkeypatch):
    from pods.ingest import tuning

    calls = []
    monkeypatch.setattr(tuning, "release_free_memory", lambda: calls.append(time.monotonic()) or True)
    stop = collect_every(0.05)
    try:
        deadline = time.monotonic() + 5
        while len(calls) < 3 and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        stop.set()
    assert len(calls) >= 3
