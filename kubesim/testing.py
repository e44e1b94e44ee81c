"""Run kubesim from synchronous code (pytest fixtures, Django tests, Celery tests).

::

    from kubesim.testing import running_kubesim

    with running_kubesim(scenario="crash-loop", speed=60) as ks:
        config.load_kube_config(ks.kubeconfig_path)   # or ks.url + ks.token
        ...
        ks.faults(expire_next_watches=1)
        ks.advance(30)            # only with manual=True (ManualClock)
        ks.ground_truth()

The simulator runs on its own event loop in a daemon thread. ``ks.sim`` is the
:class:`~kubesim.sim.KubeSim`; touch its state through :meth:`RunningKubeSim.call` (which runs a
function on the simulator's loop and returns its result) rather than directly.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import tempfile
import threading
from collections.abc import Callable, Iterator
from typing import Any

from .clock import Clock, ManualClock
from .sim import KubeSim


class RunningKubeSim:
    """A KubeSim served from a background thread. Use as a context manager or call :meth:`stop`."""

    def __init__(self, sim: KubeSim, context: str = "kubesim", timeout: float = 30.0) -> None:
        self.sim = sim
        self.context = context
        self.timeout = timeout
        self.loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self.thread = threading.Thread(target=self._run, name="kubesim", daemon=True)
        self.thread.start()
        self._ready.wait(timeout)
        self.url = self._submit(sim.start())
        self.token = sim.token
        fd, self.kubeconfig_path = tempfile.mkstemp(prefix="kubesim-", suffix=".kubeconfig")
        os.close(fd)
        sim.write_kubeconfig(self.kubeconfig_path, context)
        self._stopped = False

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.call_soon(self._ready.set)
        self.loop.run_forever()

    def _submit(self, coro) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(self.timeout)

    def call(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Run ``fn(*args, **kwargs)`` on the simulator's loop and return its result."""

        async def run():
            return fn(*args, **kwargs)

        return self._submit(run())

    def advance(self, seconds: float) -> None:
        """Advance the ManualClock by ``seconds`` (runs everything due, deterministically)."""
        self.call(self.sim.advance, seconds)

    def faults(self, **faults: Any) -> dict:
        """Switch faults (keys as in :class:`kubesim.faults.Faults.apply`); returns the new state."""
        restart = self.call(self.sim.faults.apply, faults)
        if restart:
            self.restart()
        return self.call(self.sim.faults.state)

    def ground_truth(self) -> list[dict]:
        return self.call(self.sim.truth.records)

    def restart(self) -> None:
        """Restart the HTTP server on the same port, keeping all state."""
        self._submit(self.sim.restart())

    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        with contextlib.suppress(Exception):
            self._submit(self.sim.stop())
        self.sim.close()
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(self.timeout)
        with contextlib.suppress(OSError):
            os.unlink(self.kubeconfig_path)

    def __enter__(self) -> RunningKubeSim:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_kubesim(
    scenario: Any = "healthy",
    speed: float = 1.0,
    *,
    manual: bool = False,
    clock: Clock | None = None,
    context: str = "kubesim",
    **kwargs: Any,
) -> RunningKubeSim:
    """Start a KubeSim in a background thread (``manual=True``: a ManualClock)."""
    if clock is None and manual:
        clock = ManualClock()
    sim = KubeSim(scenario, clock=clock, speed=speed, **kwargs)
    return RunningKubeSim(sim, context=context)


@contextlib.contextmanager
def running_kubesim(*args: Any, **kwargs: Any) -> Iterator[RunningKubeSim]:
    """Context manager around :func:`start_kubesim`, with its arguments; the other ``kwargs`` go to
    :class:`KubeSim` (``seed``, ``token``, ``tls``, ``forbidden``, ``history_size``,
    ``bookmark_interval`` …)."""
    handle = start_kubesim(*args, **kwargs)
    try:
        yield handle
    finally:
        handle.stop()
