"""A 100 MB line (issue 15): `import_watch` rejects a line longer than INITSCOPE_MAX_LINE_BYTES at its
position and reads past it in pieces, so its peak memory stays far below the line's size; the lines after
it are imported. Measured in a subprocess (its peak RSS, `resource.getrusage`) against the same command
on a small file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from tests.builders import pod
from tests.services import database_url_for_subprocesses

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
MB = 1024 * 1024
LINE = 100 * MB
BOUND = 300 * MB  # the most a 100 MB line may add to the command's peak memory
MEASURE = """
import json, resource, sys
import django
django.setup()
from django.core.management import CommandError, call_command
from io import StringIO
out, err = StringIO(), StringIO()
try:
    call_command("import_watch", sys.argv[1], cluster="long-lines", stdout=out, stderr=err)
    code = 0
except CommandError as exc:
    code = exc.returncode
print(json.dumps({"peak": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024, "code": code,
                  "out": out.getvalue(), "err": err.getvalue()}))
"""


def good_line(uid: str) -> bytes:
    return orjson.dumps({"type": "ADDED", "object": pod(rv=1, uid=uid, name=uid)})


def import_watch(path: Path) -> dict:
    env = {**os.environ, "DATABASE_URL": database_url_for_subprocesses(), "DEBUG": "1"}
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, str(path)], cwd=ROOT, env=env, capture_output=True, timeout=600
    )
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    return json.loads(done.stdout.decode().strip().splitlines()[-1])


def write_long_line(
    path: Path, head: bytes, fill: bytes, tail: bytes, *, newline: bool, before: bytes
) -> None:
    piece = fill * (MB // len(fill))
    with path.open("wb") as fh:
        fh.write(before + b"\n" + head)
        for _ in range(LINE // len(piece)):
            fh.write(piece)
        fh.write(tail + (b"\n" if newline else b""))


@pytest.mark.parametrize(
    ("shape", "head", "fill", "tail", "newline"),
    [
        ("garbage", b"", b"x", b"", True),
        ("no newline at the end", b'{"type":"ADDED","object":', b"[", b"", False),
        (
            "a 100 MB string field",
            b'{"type":"ADDED","object":{"kind":"Pod","apiVersion":"v1","metadata":'
            b'{"uid":"huge","name":"huge"},"status":{"message":"',
            b"m",
            b'"}}}',
            True,
        ),
    ],  # fmt: skip
)
def test_a_100_mb_line_is_rejected_at_its_line_in_bounded_memory(
    transactional_db, tmp_path, shape, head, fill, tail, newline
):
    small = tmp_path / "small.jsonl"
    small.write_bytes(good_line("u-0") + b"\n")
    baseline = import_watch(small)
    assert baseline["code"] == 0, baseline

    big = tmp_path / "big.jsonl"
    write_long_line(big, head, fill, tail, newline=newline, before=good_line("u-1"))
    if newline:
        with big.open("ab") as fh:
            fh.write(good_line("u-2") + b"\n")
    try:
        ran = import_watch(big)
    finally:
        big.unlink()
    assert ran["code"] == 2, ran
    assert "rejected big.jsonl:line 2: line of 10" in ran["err"], ran["err"]
    assert "longer than the limit of 67,108,864 bytes (INITSCOPE_MAX_LINE_BYTES)" in ran["err"]
    assert f"imported {2 if newline else 1} records" in ran["out"], ran["out"]
    print(f"{shape}: peak RSS {ran['peak'] // MB} MB, baseline {baseline['peak'] // MB} MB")
    assert ran["peak"] - baseline["peak"] < BOUND, (shape, ran["peak"] // MB, baseline["peak"] // MB)
