"""`python -m bench speed`: the importer's record reader over 100,000 compact watch lines (a figure once
asserted in a unit test: tests assert behaviour, speed is measured here). Best of three runs, in a process of
its own; baseline in the same process: the standard library's `json.loads` of each line (the plain way to
read JSON lines); `orjson.loads` of each line alone (parsing, nothing else: the reader's ceiling) is in the
details.

(The waterfall's layout, the other figure this module had, is part of B5 now: `bench/b5.py`.)
"""

from __future__ import annotations

import io
import json
import sys
import time

import orjson

READER_LINES = 100_000
READER_TARGET = 100_000  # lines/s


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
    plain = _best_of(3, lambda: [json.loads(line) for line in io.BytesIO(data)])
    ceiling = _best_of(3, lambda: [orjson.loads(line) for line in io.BytesIO(data)])
    return {
        "lines": READER_LINES,
        "lines_per_second": READER_LINES / seconds,
        "json_lines_per_second": READER_LINES / plain,
        "orjson_lines_per_second": READER_LINES / ceiling,
    }


def main() -> None:
    print(orjson.dumps({"reader": reader()}).decode())


def run(ctx):
    """`python -m bench speed`: the reader in a child process, as a `Result`."""
    import subprocess

    from bench.figures import Figure, Result

    out = subprocess.run(
        [sys.executable, "-m", "bench.speed"], env=ctx.env, cwd=ctx.root, capture_output=True, text=True
    )
    if out.returncode != 0:
        raise RuntimeError(f"python -m bench.speed failed:\n{out.stderr[-3000:]}")
    r = orjson.loads(out.stdout.strip().splitlines()[-1])["reader"]
    figure = Figure(
        "importer reader",
        r["lines_per_second"],
        "lines/s",
        READER_TARGET,
        "higher",
        baseline=r["json_lines_per_second"],
        baseline_label="json.loads of each line (standard library)",
        details={"orjson_alone_lines_per_second": round(r["orjson_lines_per_second"])},
    )
    return Result(
        "speed", "the importer's record reader, 100,000 compact lines, best of 3", [figure], details=r
    )


if __name__ == "__main__":
    sys.exit(main())
