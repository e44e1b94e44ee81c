"""Recordings: a scenario played on a manual clock, captured as a watcher of Pods and Events sees it.

:func:`record` boots a :class:`~kubesim.sim.KubeSim` (no HTTP server) on a :class:`ManualClock`
starting at a fixed time, with a fixed seed, so the same call yields the same objects, uids and
resourceVersions every time. Every write to Pods and Events (in the chosen namespaces) becomes a
:class:`Item`, in resourceVersion order, stamped with the simulated time of the write; the ground
truth (:mod:`kubesim.truth`) comes with it.

``gaps`` model a watcher that lost its stream: the writes inside a gap are not seen; at the gap's
end the watcher gets the in-stream ``ERROR`` 410 a too-old resourceVersion earns, then re-watches and
sees every object that changed meanwhile as ``ADDED`` in its latest state (a Pod whose
``restartCount`` jumped, with the attempts between unknown). This is how a real watcher misses
transitions. The sample recordings (``samples/make_samples.py``) and the B1 benchmark stream
(``bench/stream.py``) are made with it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from .clock import ManualClock
from .sim import KubeSim
from .store import Change

RESOURCES = ("pods", "events")


@dataclass(frozen=True)
class Item:
    """One line of a watch: ``type`` is ADDED/MODIFIED/DELETED, or ERROR (``object`` a Status)."""

    resource: str
    type: str
    object: dict
    at: float

    @property
    def rv(self) -> int:
        return int(self.object.get("metadata", {}).get("resourceVersion") or 0)


@dataclass
class Recording:
    items: list[Item]
    truth: list[dict]
    start: float
    end: float
    sim: KubeSim = field(repr=False)


def expired_status(rv: int, current: int) -> dict:
    """The in-stream ERROR object of a watch whose resourceVersion was compacted away."""
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": f"too old resource version: {rv} ({current})",
        "reason": "Expired",
        "code": 410,
    }


class _Tap:
    """Collects the writes as a watcher of ``namespaces`` sees them, honouring gaps."""

    def __init__(self, sim: KubeSim, namespaces: set[str] | None, gaps: list[tuple[float, float]]) -> None:
        self.sim = sim
        self.namespaces = namespaces
        self.gaps = gaps
        self.items: list[Item] = []
        self.missed: dict[tuple[str, str], Change] = {}

    def hook(self, resource: str) -> Callable[[Change], None]:
        def take(change: Change) -> None:
            if self.namespaces is not None and change.obj["metadata"].get("namespace") not in self.namespaces:
                return
            now = self.sim.clock.now()
            if any(a <= now < b for a, b in self.gaps):
                self.missed[(resource, change.obj["metadata"]["uid"])] = change
                return
            self.items.append(Item(resource, change.type, change.obj, now))

        return take

    def reconnect(self, rv: int) -> None:
        """The end of a gap: ERROR 410, then what changed meanwhile, as a fresh watch shows it."""
        now = self.sim.clock.now()
        self.items.append(Item("pods", "ERROR", expired_status(rv, self.sim.store.rv), now))
        for (resource, _uid), change in sorted(self.missed.items(), key=lambda kv: kv[1].rv):
            kind = "DELETED" if change.type == "DELETED" else "ADDED"
            self.items.append(Item(resource, kind, change.obj, now))
        self.missed.clear()


def record(
    scenario: Any,
    *,
    seconds: float,
    start: float,
    seed: int = 0,
    namespaces: set[str] | None = None,
    gaps: list[tuple[float, float]] | None = None,
    actions: Sequence[tuple[float, Callable[[KubeSim], Any]]] = (),
    **options: Any,
) -> Recording:
    """Play ``scenario`` for ``seconds`` from ``start`` (unix seconds); see the module docstring.

    ``actions`` are ``(offset, fn(sim))`` calls made at ``start + offset`` (a user's DELETE, a node
    added); ``options`` go to :class:`KubeSim` (``nodes``, ``node_cpu``, ``status_interval`` …).
    """
    sim = KubeSim(scenario, clock=ManualClock(start), seed=seed, **options)
    absolute = [(start + a, start + b) for a, b in gaps or ()]
    tap = _Tap(sim, namespaces, absolute)
    for resource in RESOURCES:
        sim.store.subscribe(resource, tap.hook(resource))
    sim.boot()
    for offset, fn in actions:
        sim.clock.call_at(start + offset, fn, sim)
    for _a, b in absolute:
        sim.clock.call_at(b, lambda: tap.reconnect(max((i.rv for i in tap.items), default=0)))
    sim.advance(seconds)
    return Recording(_in_rv_order(tap.items), sim.truth.records(), start, start + seconds, sim)


def _in_rv_order(items: list[Item]) -> list[Item]:
    """Writes in resourceVersion order (hooks of nested writes fire out of order); a reconnection's
    lines stay together, after everything seen before it."""
    out: list[Item] = []
    block: list[Item] = []
    for item in items:
        if item.type == "ERROR":
            out.extend(sorted(block, key=lambda i: i.rv))
            block = []
            out.append(item)
        else:
            block.append(item)
    out.extend(sorted(block, key=lambda i: i.rv))
    return out


def stream(
    scenario: Any, *, start: float, seed: int = 0, step: float = 1.0, **options: Any
) -> Iterator[Item]:
    """Play ``scenario`` without end, yielding the Pod and Event writes ``step`` simulated seconds at
    a time (for long generated streams; nothing is kept)."""
    sim = KubeSim(scenario, clock=ManualClock(start), seed=seed, **options)
    pending: list[Item] = []

    def take(resource: str) -> Callable[[Change], None]:
        def hook(change: Change) -> None:
            pending.append(Item(resource, change.type, change.obj, sim.clock.now()))

        return hook

    for resource in RESOURCES:
        sim.store.subscribe(resource, take(resource))
    sim.boot()
    while True:
        sim.advance(step)
        pending.sort(key=lambda i: i.rv)
        yield from pending
        pending.clear()
