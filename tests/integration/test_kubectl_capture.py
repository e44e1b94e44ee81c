"""A capture made by kubectl v1.35 (`get pods,events -A -w --output-watch-events -o json`) against
kubesim imports into timelines that hold exactly the attempts that really happened (kubesim's ground
truth), once each, and the Pods that were deleted as deleted."""

from __future__ import annotations

import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from kubesim.testing import running_kubesim
from pods.models import Attempt, Pod
from tests.samples import import_files

KUBECTL = Path(sys.executable).parent / "kubectl"
pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not KUBECTL.exists(), reason="kubectl is not in .venv/bin (make setup installs it)"),
]
START = 1_760_000_000.0
SIMULATED_SECONDS = 300


def _watch(ks, resource: str, out: Path, seconds: int) -> subprocess.Popen:
    return subprocess.Popen(
        [str(KUBECTL), "--kubeconfig", ks.kubeconfig_path, "get", resource, "-A", "-w",
         "--output-watch-events", "-o", "json", f"--request-timeout={seconds}s"],
        stdout=out.open("wb"),
        stderr=subprocess.PIPE,
    )  # fmt: skip


def _capture(scenario: str, tmp_path: Path) -> tuple[list[Path], list[dict]]:
    from kubesim import ManualClock

    with running_kubesim(scenario, clock=ManualClock(start=START), tls=True, seed=3) as ks:
        pods, events = tmp_path / "pods.json", tmp_path / "events.json"
        watchers = [_watch(ks, "pods", pods, 7), _watch(ks, "events", events, 7)]
        time.sleep(1.5)  # both watches connected before anything happens
        for _ in range(SIMULATED_SECONDS):
            ks.advance(1)
            time.sleep(0.004)  # let the watch streams drain as a real clock would
        for watcher in watchers:
            _, err = watcher.communicate(timeout=30)
            assert b"error" not in err.lower() or b"timeout" in err.lower(), err
        return [pods, events], ks.ground_truth()


def _stored_attempts() -> Counter:
    rows = Attempt.objects.filter(known=True, finished_at__isnull=False).values_list(
        "pod__uid", "container__name", "number", "exit_code", "reason", "started_at", "finished_at"
    )
    return Counter(
        (uid, c, n, code, reason, s.isoformat(), f.isoformat()) for uid, c, n, code, reason, s, f in rows
    )


def _truth_attempts(truth: list[dict]) -> Counter:
    from pods.timeline import parse_time

    return Counter(
        (
            r["uid"], r["container"], r["number"], r["exit_code"], r["reason"],
            parse_time(r["started_at"]).isoformat(), parse_time(r["finished_at"]).isoformat(),
        )
        for r in truth
        if "container" in r
    )  # fmt: skip


@pytest.mark.parametrize(
    "scenario", ["crash-loop", "sidecar-crash", "sandbox-recreate", "delete-during-init"]
)
def test_kubectl_capture_imports_the_attempts_that_happened(scenario, tmp_path):
    captures, truth = _capture(scenario, tmp_path)
    assert all(p.stat().st_size > 0 for p in captures)
    records, rejected = import_files("capture", *captures)
    assert rejected == []
    assert records > 10
    truth_attempts = _truth_attempts(truth)
    assert truth_attempts, "the scenario ran containers"
    assert _stored_attempts() == truth_attempts
    deleted_truth = {r["uid"] for r in truth if "deleted_at" in r}
    assert set(Pod.objects.filter(deleted_at__isnull=False).values_list("uid", flat=True)) == deleted_truth
