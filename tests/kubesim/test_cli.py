"""The command line and scenario files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from kubesim import builtin_names, load_scenario

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "kubesim" / "scenarios" / "example.yaml"


def test_cli_runs_for_a_duration_and_writes_ground_truth(tmp_path):
    truth = tmp_path / "truth.jsonl"
    kubeconfig = tmp_path / "kubeconfig"
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "kubesim",
            "--scenario",
            "crash-loop",
            "--port",
            "0",
            "--speed",
            "100",
            "--duration",
            "60",
            "--seed",
            "3",
            "--ground-truth",
            str(truth),
            "--kubeconfig",
            str(kubeconfig),
            "--log-level",
            "warning",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("kubesim serving https://127.0.0.1:")
    lines = [json.loads(x) for x in truth.read_text().splitlines()]
    assert lines and {x["container"] for x in lines} >= {"wait-for-db", "migrate"}
    assert "certificate-authority-data" in kubeconfig.read_text()


def test_example_file_and_builtins_load():
    scenario = load_scenario(str(EXAMPLE))
    assert scenario.name == "example" and [w.kind for w in scenario.workloads] == ["Deployment", "Job", "Pod"]
    for name in builtin_names():
        assert load_scenario(name).name == name
    with pytest.raises(ValueError, match="unknown scenario"):
        load_scenario("no-such-scenario")
    with pytest.raises(ValueError, match="unknown container behavior keys"):
        load_scenario(
            {"workloads": [{"name": "x", "containers": [{"name": "a", "behavior": {"durtion": 1}}]}]}
        )


async def test_example_scenario_runs(make_sim):
    sim = await make_sim(str(EXAMPLE))
    sim.advance(200)
    pods = sim.store.objects["pods"]
    assert any(n.startswith("api-") for _, n in pods) and ("shop", "settings") in pods
    assert sim.store.get("pods", "shop", "settings")["status"]["phase"] == "Running"
    jobs = sim.store.objects["jobs"]
    assert jobs
