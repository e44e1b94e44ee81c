"""Captures of kubesim scenarios as a cluster-wide kubectl watch records them: one JSON line per watch event
(`kubectl get pods,events -A -w --output-watch-events -o json`: compact, keys sorted), Pods and Events
about every kind, played on a manual clock with `kubesim.recorder.record` (fixed seed and start)."""

from __future__ import annotations

from pathlib import Path

import orjson

START = 1_760_000_000.0


def capture(scenario: str, seconds: float, path: Path, *, seed: int = 3) -> Path:
    """Record `scenario` for `seconds` into `path` (written) and return it."""
    from kubesim.recorder import record
    from kubesim.scenarios import load_scenario

    recording = record(load_scenario(scenario), seconds=seconds, start=START, seed=seed)
    with path.open("wb") as out:
        for item in recording.items:
            out.write(orjson.dumps({"type": item.type, "object": item.object}, option=orjson.OPT_SORT_KEYS))
            out.write(b"\n")
    return path
