"""What the kubesim tests and their conftest share: the ManualClock's start, kubectl, reading a watch,
running a scenario with a recorder of every Pod write."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import aiohttp

from kubesim import KubeSim
from kubesim.printers import pod_status_text

START = 1_750_000_000.0
KUBECTL = Path(sys.executable).parent / "kubectl"


def kubectl_path() -> str | None:
    if KUBECTL.exists():
        return str(KUBECTL)
    return shutil.which("kubectl")


async def read_watch(
    resp: aiohttp.ClientResponse, count: int | None = None, timeout: float = 5.0
) -> list[dict]:
    """Read newline-delimited watch events until ``count`` events or the stream ends."""
    import asyncio

    import orjson

    out: list[dict] = []

    async def run():
        async for line in resp.content:
            if line.strip():
                out.append(orjson.loads(line))
                if count is not None and len(out) >= count:
                    return

    await asyncio.wait_for(run(), timeout)
    return out


class Recorder:
    """Every Pod write, plus helpers over the event store."""

    def __init__(self, sim: KubeSim) -> None:
        self.sim = sim
        self.changes: list[tuple[float, str, dict]] = []
        sim.store.subscribe("pods", lambda ch: self.changes.append((sim.clock.now(), ch.type, ch.obj)))

    def pods(self, name_prefix: str = "") -> list[dict]:
        return [o for _, _, o in self.changes if o["metadata"]["name"].startswith(name_prefix)]

    def statuses(self, container: str) -> list[dict]:
        out = []
        for pod in self.pods():
            st = pod["status"]
            for cs in (st.get("initContainerStatuses") or []) + (st.get("containerStatuses") or []):
                if cs["name"] == container:
                    out.append(cs)
        return out

    def texts(self) -> list[str]:
        out = []
        for now, _, pod in self.changes:
            text = pod_status_text(pod, now)[1]
            if not out or out[-1] != text:
                out.append(text)
        return out

    def events(self, reason: str | None = None) -> list[dict]:
        evs = sorted(self.sim.store.objects["events"].values(), key=lambda e: e["metadata"]["name"])
        return [e for e in evs if reason is None or e["reason"] == reason]


async def run(make_sim, scenario, seconds, **kw) -> tuple[KubeSim, Recorder]:
    sim = await make_sim(scenario, **kw)
    rec = Recorder(sim)
    sim.advance(seconds)
    return sim, rec


def current(sim: KubeSim, prefix: str = "") -> dict:
    return next(p for (_, n), p in sorted(sim.store.objects["pods"].items()) if n.startswith(prefix))
