"""A run stops at once with a clear message when PostgreSQL or Redis is down (tests/conftest.py), in one
process and under xdist (`make test`), where the controller checks before it starts the workers."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NEEDS_BOTH = "tests/integration/test_consumers.py"  # the database and the redis marker


def run_pytest(*args: str, database_url: str, redis_url: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env.update(DEBUG="1", DATABASE_URL=database_url, REDIS_URL=redis_url)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", *args, NEEDS_BOTH],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["one process", "xdist"])
@pytest.mark.parametrize(
    ("database_url", "redis_url", "message"),
    [
        (
            "postgres://postgres@127.0.0.1:1/initscope",
            "redis://127.0.0.1:6379/15",
            "PostgreSQL is not reachable at 127.0.0.1:1",
        ),
        ("sqlite:///unused", "redis://127.0.0.1:1/15", "Redis is not reachable at 127.0.0.1:1"),
    ],  # fmt: skip
    ids=["postgres down", "redis down"],
)
def test_a_service_that_is_down_stops_the_run_with_what_to_do(workers, database_url, redis_url, message):
    result = run_pytest(*workers, database_url=database_url, redis_url=redis_url)
    output = result.stdout + result.stderr
    assert result.returncode == 3, output[-3000:]
    assert message in output and "INTERNALERROR" not in output, output[-3000:]
