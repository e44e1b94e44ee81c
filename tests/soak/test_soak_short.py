"""The 5-minute version of `make soak` (tests/soak/runner.py), in the normal suite: churn watched by two
workers, beat and Daphne with an open overview socket, through kill -9 of workers, a Redis restart, a
PostgreSQL restart and every kind of kubesim fault, then compared with kubesim's ground truth.

The runner starts its own Redis and PostgreSQL (so it can restart them) and runs in a subprocess, as
`make soak` runs it, started in the background as soon as the suite is collected (it shares nothing with
the other tests, so its five minutes overlap theirs); this test asserts its invariants, never its speed.
RSS slopes are reported but not judged at this length (warm-up dominates five minutes); the hour-long
`make soak` judges them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.soak.runner import ROOT

pytestmark = pytest.mark.integration

MINUTES = 5
SEED = 11
# The background soak started at collection: (process, its folder); tests/conftest.py sets it.
STARTED = pytest.StashKey[tuple[subprocess.Popen, Path]]()
# Under xdist, the folder of the soak the controller starts (tests/conftest.py), inherited by the workers.
DIR_ENV = "PYTEST_INITSCOPE_SOAK_SHORT_DIR"
EXIT_FILE = "exit-status"
WAIT_SECONDS = MINUTES * 60 + 300


def start(tmp_dir: Path, announce: bool = False) -> subprocess.Popen:
    """Start the 5-minute soak in the background (its output in `tmp_dir`). `tests/conftest.py` calls this
    as soon as the suite is collected, so the soak's five minutes of churn run beside the other tests (it
    has its own Redis, PostgreSQL, kubesim and ports; nothing is shared) instead of after them.

    announce: the process that starts it is not the one that runs its test (xdist's controller), so its exit
    status is written to `tmp_dir/exit-status` when it ends, for the worker that waits for it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("INITSCOPE_")}
    log = (tmp_dir / "soak.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.soak.runner", "--minutes", str(MINUTES), "--seed", str(SEED),
         "--json", str(tmp_dir / "soak.json")],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    if announce:

        def write_exit_status() -> None:
            proc.wait()
            (tmp_dir / f"{EXIT_FILE}.part").write_text(str(proc.returncode))
            (tmp_dir / f"{EXIT_FILE}.part").rename(tmp_dir / EXIT_FILE)

        threading.Thread(target=write_exit_status, name="soak-short-exit", daemon=True).start()
    return proc


def _wait_for_the_controllers_soak(tmp_dir: Path) -> int | None:
    """The exit status of the soak xdist's controller started in `tmp_dir` (None: it did not end in time)."""
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        if (tmp_dir / EXIT_FILE).exists():
            return int((tmp_dir / EXIT_FILE).read_text())
        time.sleep(1)
    return None


@pytest.fixture(scope="module")
def soak(request, tmp_path_factory) -> dict:
    started = request.config.stash.get(STARTED, None)
    shared = os.environ.get(DIR_ENV)
    if started is None and shared and (Path(shared) / "soak.log").exists():  # xdist's controller started it
        tmp_dir = Path(shared)
        returncode = _wait_for_the_controllers_soak(tmp_dir)
    else:
        if started is None:  # run on its own (not through the suite's collection hook): start it now
            tmp_dir = tmp_path_factory.mktemp("soak")
            started = (start(tmp_dir), tmp_dir)
        proc, tmp_dir = started
        try:
            proc.wait(timeout=WAIT_SECONDS)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        returncode = proc.returncode
    output = (tmp_dir / "soak.log").read_text(errors="replace")
    sys.stdout.write(output[-6000:])
    out = tmp_dir / "soak.json"
    assert returncode is not None, f"the soak did not end within {WAIT_SECONDS} s:\n{output[-6000:]}"
    assert out.exists(), f"the soak ended without figures (exit {returncode}):\n{output[-6000:]}"
    result = json.loads(out.read_text())
    result["exit_status"] = returncode
    return result


def test_every_disruption_was_injected(soak):
    injected = soak["injected"]
    assert injected["kill -9 worker"] >= 1
    assert injected["Redis restart"] == 1
    assert injected.get("PostgreSQL restart", 0) + injected.get("PostgreSQL terminate", 0) == 1
    kinds = {"close-watches", "410-in-stream", "410-http", "5xx-burst", "stall"}
    assert {k.removeprefix("kubesim ") for k in injected if k.startswith("kubesim ")} == kinds


def test_stored_attempts_equal_the_ground_truth(soak):
    a = soak["attempts"]
    assert a["truth"] > 100, "the churn ran containers"
    assert (a["lost"], a["duplicated"], a["phantom"]) == (0, 0, 0)
    assert a["placeholders"] == a["placeholders_for_unstored_attempts"], "each stands for a real attempt"
    assert a["deletions_truth"] > 10
    assert (a["deletions_recorded"], a["deletions_phantom"]) == (a["deletions_truth"], 0)


def test_the_open_socket_resumed_and_shows_the_final_state(soak):
    s = soak["socket"]
    assert s["resumed"] >= s["redis_restarts"] == 1
    assert s["final_state_ok"], s["wrong_sample"]
    assert s["messages"] > 0


def test_state_stays_bounded_and_the_run_passed(soak):
    for name, table in soak["tables"].items():
        if table["kind"] == "state":
            assert table["last"] <= 2 * max(table["half"], 10), name
    assert soak["redis_keys"]["last"] > 0
    assert soak["failures"] == []
    assert soak["exit_status"] == 0
