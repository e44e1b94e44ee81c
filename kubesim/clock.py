"""Simulated time.

Every component of kubesim reads the time from one :class:`Clock` and schedules work with
:meth:`Clock.call_at` / :meth:`Clock.call_later`. Timers run strictly in ``(when, insertion order)``
order, so a run is deterministic for a given seed and sequence of API calls.

* :class:`ManualClock` only moves when :meth:`ManualClock.advance` is called; ``advance(s)`` runs every
  timer that falls due within ``s`` seconds, each at its own instant. Timers due *now* (delay 0)
  are also run by the simulator's driver loop so API-triggered work (a DELETE) proceeds without
  an explicit advance.
* :class:`RealClock` follows wall time multiplied by ``speed`` (``speed=60``: one real second is one
  simulated minute); :meth:`Clock.drive` runs timers as they fall due.

Times are floats in seconds since the Unix epoch (simulated).
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
import time
from collections.abc import Callable
from typing import Any

log = logging.getLogger("kubesim")


class Timer:
    """A scheduled callback; :meth:`cancel` prevents it from running."""

    __slots__ = ("when", "seq", "callback", "args", "cancelled")

    def __init__(self, when: float, seq: int, callback: Callable[..., Any], args: tuple) -> None:
        self.when = when
        self.seq = seq
        self.callback = callback
        self.args = args
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


class Clock:
    """Base clock: a timer heap plus :meth:`now` supplied by subclasses."""

    speed: float | None = None

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, Timer]] = []
        self._seq = itertools.count()
        self._wake: asyncio.Event | None = None

    def now(self) -> float:  # pragma: no cover - abstract
        raise NotImplementedError

    def call_at(self, when: float, callback: Callable[..., Any], *args: Any) -> Timer:
        """Run ``callback(*args)`` at simulated time ``when`` (or as soon as possible if past)."""
        seq = next(self._seq)
        timer = Timer(when, seq, callback, args)
        heapq.heappush(self._heap, (when, seq, timer))
        if self._wake is not None and self._heap[0][2] is timer:
            self._wake.set()
        return timer

    def call_later(self, delay: float, callback: Callable[..., Any], *args: Any) -> Timer:
        return self.call_at(self.now() + max(0.0, delay), callback, *args)

    def next_due(self) -> float | None:
        """When the earliest live timer is due, or None when nothing is scheduled."""
        heap = self._heap
        while heap and heap[0][2].cancelled:
            heapq.heappop(heap)
        return heap[0][0] if heap else None

    def _pop_due(self, limit: float) -> Timer | None:
        heap = self._heap
        while heap:
            when, _, timer = heap[0]
            if timer.cancelled:
                heapq.heappop(heap)
                continue
            if when <= limit:
                heapq.heappop(heap)
                return timer
            return None
        return None

    def run_due(self) -> int:
        """Run every timer due at or before :meth:`now`; return how many ran."""
        count = 0
        now = self.now()
        while (timer := self._pop_due(now)) is not None:
            timer.callback(*timer.args)
            count += 1
        return count

    def pending(self) -> int:
        return sum(1 for _, _, t in self._heap if not t.cancelled)

    async def drive(self) -> None:
        """Run timers as they fall due, forever (cancel the task to stop)."""
        self._wake = asyncio.Event()
        while True:
            try:
                self.run_due()
            except Exception:  # one failing timer must not stop the simulation
                log.exception("kubesim timer failed")
            self._wake.clear()
            delay = self._real_delay()
            try:
                if delay is None:
                    await self._wake.wait()
                else:
                    await asyncio.wait_for(self._wake.wait(), delay)
            except TimeoutError:
                pass

    def _real_delay(self) -> float | None:
        """Real seconds to wait before the next timer is due (None: wait for a wake-up)."""
        raise NotImplementedError


class ManualClock(Clock):
    """A clock that only moves when told to; the natural choice for tests.

    ``start`` defaults to the current wall time truncated to a whole second.
    """

    def __init__(self, start: float | None = None) -> None:
        super().__init__()
        self._now = float(int(time.time())) if start is None else float(start)

    def now(self) -> float:
        return self._now

    def advance(self, seconds: float) -> int:
        """Move time forward by ``seconds``, running every timer due meanwhile at its own time.

        Must be called on the simulator's event loop thread (``RunningKubeSim.advance`` marshals
        calls from other threads). Returns the number of timers run.
        """
        if seconds < 0:
            raise ValueError("cannot go back in time")
        target = self._now + seconds
        count = 0
        while (timer := self._pop_due(target)) is not None:
            self._now = max(self._now, timer.when)
            timer.callback(*timer.args)
            count += 1
        self._now = target
        return count

    def _real_delay(self) -> float | None:
        due = self.next_due()
        if due is not None and due <= self._now:
            return 0.0
        return None


class RealClock(Clock):
    """Wall time times ``speed``, starting at ``start`` (default: now)."""

    def __init__(self, speed: float = 1.0, start: float | None = None) -> None:
        super().__init__()
        if speed <= 0:
            raise ValueError("speed must be positive")
        self.speed = float(speed)
        self._start = time.time() if start is None else float(start)
        self._mono0 = time.monotonic()

    def now(self) -> float:
        return self._start + (time.monotonic() - self._mono0) * self.speed

    def _real_delay(self) -> float | None:
        due = self.next_due()
        if due is None:
            return None
        return max(0.0, (due - self.now()) / self.speed)
