"""`dashboard.memory`: tracemalloc snapshots of a worker, off unless INITSCOPE_TRACEMALLOC_DIR is set;
when on, written every so many seconds and on SIGUSR2, each naming its largest holders."""

from __future__ import annotations

import os
import signal
import time
import tracemalloc

import pytest

from dashboard import memory


@pytest.fixture
def restored():
    """Tracing and the SIGUSR2 handler as they were before the test."""
    was_tracing, handler = tracemalloc.is_tracing(), signal.getsignal(signal.SIGUSR2)
    yield
    signal.signal(signal.SIGUSR2, handler)
    if not was_tracing:
        tracemalloc.stop()


def test_off_by_default(settings, restored):
    settings.INITSCOPE_TRACEMALLOC_DIR = ""
    handler = signal.getsignal(signal.SIGUSR2)
    assert memory.start_from_settings() is None
    assert signal.getsignal(signal.SIGUSR2) is handler and not tracemalloc.is_tracing()


def test_sigusr2_writes_a_snapshot_that_names_what_holds_memory(settings, restored, tmp_path):
    settings.INITSCOPE_TRACEMALLOC_DIR = str(tmp_path / "snapshots")
    settings.INITSCOPE_TRACEMALLOC_EVERY_SECONDS = 0
    tracer = memory.start_from_settings()
    assert tracer is not None and tracemalloc.is_tracing()
    held = [bytearray(4096) for _ in range(256)]  # 1 MiB held here, while the snapshot is taken
    os.kill(os.getpid(), signal.SIGUSR2)
    deadline = time.monotonic() + 30
    while not list(tracer.directory.glob("*.txt")) and time.monotonic() < deadline:
        time.sleep(0.05)
    (text,) = tracer.directory.glob("*.txt")
    assert len(held) == 256
    report = text.read_text()
    assert report.startswith("time ") and f"pid {os.getpid()} rss " in report
    assert "\nmalloc heap " in report or not memory.malloc_mb()
    assert "test_memory_snapshots.py" in report  # the allocation above, by its traceback
    snapshot = tracemalloc.Snapshot.load(str(text.with_suffix(".dump")))
    assert sum(s.size for s in snapshot.statistics("filename")) >= 2**20


def test_a_second_snapshot_compares_with_the_first(tmp_path, restored):
    tracer = memory.Tracer(tmp_path, frames=5)
    tracer.start()
    first = tracer.write()
    held = [bytearray(8192) for _ in range(128)]
    second = tracer.write()
    assert (first.name, second.name) == (
        f"tracemalloc-{os.getpid()}-001.txt",
        f"tracemalloc-{os.getpid()}-002.txt",
    )
    before = tracemalloc.Snapshot.load(str(first.with_suffix(".dump")))
    after = tracemalloc.Snapshot.load(str(second.with_suffix(".dump")))
    grown = sum(
        d.size_diff for d in after.compare_to(before, "filename") if "test_memory_snapshots" in str(d)
    )
    assert len(held) == 128 and grown >= 2**20


@pytest.mark.skipif(not memory.malloc_mb(), reason="glibc's mallinfo2 only")
def test_malloc_figures_count_what_the_allocator_holds():
    before = memory.malloc_mb()
    block = bytearray(64 * 2**20)  # above glibc's mmap threshold: a mapping of its own
    after = memory.malloc_mb()
    assert set(after) == {"heap", "mmap", "in_use", "free"}
    assert after["mmap"] - before["mmap"] >= 63 and len(block) == 64 * 2**20
