"""Fixtures for the kubesim suite: an in-loop simulator with a ManualClock, an aiohttp client,
and a thread-served simulator for the (synchronous) official client and kubectl."""

from __future__ import annotations

import aiohttp
import pytest

from kubesim import KubeSim, ManualClock
from kubesim.testing import running_kubesim

from .helpers import START


@pytest.fixture
async def make_sim():
    """``await make_sim(scenario, **kw)`` -> a started KubeSim on a ManualClock (stopped afterwards)."""
    sims = []

    async def make(scenario="healthy", **kw) -> KubeSim:
        kw.setdefault("clock", ManualClock(start=START))
        sim = KubeSim(scenario, **kw)
        await sim.start()
        sims.append(sim)
        return sim

    yield make
    for sim in sims:
        await sim.stop()
        sim.close()


@pytest.fixture
async def http():
    """``http(sim)`` -> an aiohttp session with the sim's bearer token."""
    sessions = []

    def make(sim: KubeSim, token: str | None = None) -> aiohttp.ClientSession:
        headers = {"Authorization": f"Bearer {token or sim.token}"}
        s = aiohttp.ClientSession(base_url=sim.url, headers=headers)
        sessions.append(s)
        return s

    yield make
    for s in sessions:
        await s.close()


@pytest.fixture
def threaded():
    """A context-manager factory: ``with threaded("crash-loop") as ks`` (ManualClock by default)."""

    def make(scenario="healthy", manual=True, **kw):
        return running_kubesim(
            scenario, manual=manual, clock=ManualClock(start=START) if manual else None, **kw
        )

    return make
