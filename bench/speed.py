"""`python -m bench.speed`: the two speed figures that used to be asserted in unit tests (tests assert
behaviour; speed is measured here), printed as one JSON line for `python -m bench`.

- reader: the importer's record reader over 100,000 compact watch lines (was: at least 100,000 lines/s);
- waterfall: the layout of a Pod of 20 init containers with 50 attempts each (was: under 250 ms).
"""

from __future__ import annotations

import io
import sys
import time
from datetime import UTC, datetime, timedelta

import orjson

READER_LINES = 100_000
READER_TARGET = 100_000  # lines/s
WATERFALL_TARGET_MS = 250.0
T0 = datetime(2025, 6, 1, 10, 0, 0, tzinfo=UTC)


def _best_of(runs: int, fn) -> float:
    best = float("inf")
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - started)
    return best


def reader() -> dict:
    from pods.importer.reader import iter_records

    line = orjson.dumps(
        {
            "type": "MODIFIED",
            "object": {
                "kind": "Pod",
                "apiVersion": "v1",
                "metadata": {"name": "p", "uid": "u", "resourceVersion": "1"},
                "status": {"phase": "Running"},
            },
        }
    )
    data = (line + b"\n") * READER_LINES
    counted = []
    seconds = _best_of(3, lambda: counted.append(sum(1 for _ in iter_records(io.BytesIO(data)))))
    assert counted[-1] == READER_LINES, counted[-1]
    return {"lines": READER_LINES, "lines_per_second": READER_LINES / seconds}


def _at(seconds: float) -> str:
    return (T0 + timedelta(seconds=seconds)).isoformat().replace("+00:00", "Z")


def _document(containers: int, attempts: int) -> dict:
    """A timeline document (the shape of `timeline_document`): every init container crash-looped."""

    def attempt(n: int, start: float) -> dict:
        return {
            "number": n, "generation": 0, "started_at": _at(start), "finished_at": _at(start + 5),
            "exit_code": 1, "reason": "Error", "message": "", "signal": None, "known": True,
        }  # fmt: skip

    return {
        "cluster": "bench", "uid": "u-1", "namespace": "shop", "name": "api-7d9f",
        "owner": {"kind": "Deployment", "name": "api"}, "node": "node-1", "restart_policy": "Always",
        "phase": "Failed", "status": "Init:Error", "restarts": containers * (attempts - 1),
        "created_at": _at(0), "scheduled_at": _at(1), "initialized_at": None, "ready_at": None,
        "deleted_at": None, "stuck": False, "diagnosis": None, "step": None, "events": [],
        "containers": [
            {
                "name": f"c{i}", "kind": "init", "index": i, "image": f"acme/c{i}:1",
                "restart_count": attempts - 1, "state": "terminated", "state_reason": "Error", "pull": None,
                "attempts": [attempt(n, i * 1000 + n * 20) for n in range(attempts)],
            }
            for i in range(containers)
        ],
    }  # fmt: skip


def waterfall() -> dict:
    from pods.web.waterfall import waterfall_layout

    doc = _document(20, 50)
    now = T0 + timedelta(days=1)
    layouts = []
    seconds = _best_of(5, lambda: layouts.append(waterfall_layout(doc, now=now)))
    assert layouts[-1].attempt_count == 1000, layouts[-1].attempt_count
    return {"attempts": 1000, "ms": seconds * 1000}


def main() -> None:
    print(orjson.dumps({"reader": reader(), "waterfall": waterfall()}).decode())


def report(result: dict) -> None:
    """The figures as `python -m bench` prints them."""
    r, w = result["reader"], result["waterfall"]
    reader_verdict = "meets" if r["lines_per_second"] >= READER_TARGET else "MISSES"
    waterfall_verdict = "meets" if w["ms"] < WATERFALL_TARGET_MS else "MISSES"
    print("\nSpeed of two pure steps (best of several runs)")
    print(
        f"  importer reader   {r['lines']:>9,} compact lines  {r['lines_per_second']:>9,.0f} lines/s   "
        f"target >= {READER_TARGET:,}/s: {reader_verdict}"
    )
    print(
        f"  waterfall layout  {w['attempts']:>9,} attempts       {w['ms']:>9.1f} ms        "
        f"target < {WATERFALL_TARGET_MS:.0f} ms: {waterfall_verdict}"
    )


if __name__ == "__main__":
    sys.exit(main())
