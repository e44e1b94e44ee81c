"""Where a worker's memory goes: `tracemalloc` snapshots on demand (off unless INITSCOPE_TRACEMALLOC_DIR).

With INITSCOPE_TRACEMALLOC_DIR set, a worker or beat (dashboard/celery.py) starts `tracemalloc` with
INITSCOPE_TRACEMALLOC_FRAMES frames per allocation and writes a snapshot to that directory every
INITSCOPE_TRACEMALLOC_EVERY_SECONDS (0: only on SIGUSR2) and on SIGUSR2: `tracemalloc-<pid>-<n>.dump`
(load it with `tracemalloc.Snapshot.load` and compare two with `compare_to`) and
`tracemalloc-<pid>-<n>.txt`: the process's RSS, the traced total, glibc's figures (`malloc_mb`) and the
largest holders by traceback. Python's allocations flat while RSS grows point at the allocator
(fragmentation), not at a leak (docs/operations.md "Endurance"). Tracing costs CPU and memory: for
diagnosis only.
"""

from __future__ import annotations

import contextlib
import ctypes
import itertools
import logging
import os
import signal
import threading
import time
import tracemalloc
from pathlib import Path

logger = logging.getLogger(__name__)

TOP = 40


def rss_mb() -> float:
    """This process's resident set size in MB (Linux), else 0."""
    with contextlib.suppress(OSError, ValueError, IndexError):
        pages = int(Path("/proc/self/statm").read_text().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 2**20
    return 0.0


class _Mallinfo2(ctypes.Structure):
    _fields_ = [  # noqa: RUF012 - ctypes' layout of glibc's struct mallinfo2
        (name, ctypes.c_size_t)
        for name in (
            "arena",
            "ordblks",
            "smblks",
            "hblks",
            "hblkhd",
            "usmblks",
            "fsmblks",
            "uordblks",
            "fordblks",
            "keepcost",
        )  # fmt: skip
    ]


def malloc_mb() -> dict[str, float]:
    """glibc's heap over all arenas in MB (mallinfo2): `heap` (sbrk and arena heaps), `mmap` (large
    blocks), `in_use` and `free` (held by the allocator, not returned to the system); {} elsewhere.
    RSS far above `in_use` + `mmap`, with `free` growing, is memory the allocator keeps (fragmentation)."""
    with contextlib.suppress(OSError, AttributeError):
        mallinfo2 = ctypes.CDLL("libc.so.6").mallinfo2
        mallinfo2.restype = _Mallinfo2
        info = mallinfo2()
        figures = {"heap": info.arena, "mmap": info.hblkhd, "in_use": info.uordblks, "free": info.fordblks}
        return {k: round(v / 2**20, 1) for k, v in figures.items()}
    return {}


class Tracer:
    """Writes numbered snapshots of this process's traced allocations to `directory`."""

    def __init__(self, directory: Path, frames: int) -> None:
        self.directory = directory
        self.frames = frames
        self.count = itertools.count(1)
        self.lock = threading.Lock()

    def start(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        if not tracemalloc.is_tracing():
            tracemalloc.start(self.frames)

    def write(self) -> Path:
        """One snapshot: `.dump` (the whole snapshot) and `.txt` (the largest holders); returns the text."""
        with self.lock:
            n = next(self.count)
            # not the tracer's own work (formatting reads the sources into linecache)
            ignored = [tracemalloc.Filter(False, f"*/{name}.py") for name in ("tracemalloc", "linecache")]
            snapshot = tracemalloc.take_snapshot().filter_traces(ignored)
            base = self.directory / f"tracemalloc-{os.getpid()}-{n:03d}"
            snapshot.dump(str(base.with_suffix(".dump")))
            stats = snapshot.statistics("traceback")
            traced, peak = tracemalloc.get_traced_memory()
            blocks = sum(s.count for s in stats)
            lines = [
                f"time {time.strftime('%Y-%m-%dT%H:%M:%S')} pid {os.getpid()} rss {rss_mb():.1f} MB "
                f"traced {traced / 2**20:.1f} MB (peak {peak / 2**20:.1f} MB) blocks {blocks}",
                "malloc " + " ".join(f"{k} {v} MB" for k, v in malloc_mb().items()),
            ]
            for stat in stats[:TOP]:
                lines.append(f"\n{stat.size / 2**10:.1f} KiB in {stat.count} blocks")
                lines.extend(f"  {line}" for line in stat.traceback.format())
            text = base.with_suffix(".txt")
            text.write_text("\n".join(lines) + "\n")
            return text

    def every(self, seconds: float) -> None:
        def loop() -> None:
            while True:
                time.sleep(seconds)
                try:
                    self.write()
                except Exception:
                    logger.exception("tracemalloc snapshot failed")

        threading.Thread(target=loop, name="tracemalloc-snapshots", daemon=True).start()


def start_from_settings() -> Tracer | None:
    """Start tracing as the settings say (nothing when INITSCOPE_TRACEMALLOC_DIR is empty)."""
    from django.conf import settings

    if not settings.INITSCOPE_TRACEMALLOC_DIR:
        return None
    tracer = Tracer(Path(settings.INITSCOPE_TRACEMALLOC_DIR), settings.INITSCOPE_TRACEMALLOC_FRAMES)
    tracer.start()
    # the handler only starts a thread: a snapshot takes seconds and must not run inside a signal handler
    signal.signal(signal.SIGUSR2, lambda *_: threading.Thread(target=tracer.write, daemon=True).start())
    if settings.INITSCOPE_TRACEMALLOC_EVERY_SECONDS:
        tracer.every(settings.INITSCOPE_TRACEMALLOC_EVERY_SECONDS)
    logger.info("tracemalloc on: snapshots in %s", tracer.directory)
    return tracer
