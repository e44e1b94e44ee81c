"""What the kubesim tests and their conftest share: the ManualClock's start, kubectl, reading a watch."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import aiohttp

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
