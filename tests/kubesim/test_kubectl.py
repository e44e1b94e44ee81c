"""kubectl v1.35 against kubesim (over TLS: kubectl never sends a bearer token over plain HTTP)."""

from __future__ import annotations

import json
import subprocess
import time

import pytest

from .helpers import kubectl_path

KUBECTL = kubectl_path()
pytestmark = pytest.mark.skipif(
    KUBECTL is None, reason="kubectl not installed in .venv/bin (make setup installs it)"
)


def kubectl(ks, *args: str, timeout: float = 20) -> subprocess.CompletedProcess:
    return subprocess.run(
        [KUBECTL, "--kubeconfig", ks.kubeconfig_path, *args], capture_output=True, text=True, timeout=timeout
    )


def test_get_pods_table(threaded):
    with threaded("crash-loop", tls=True) as ks:
        ks.advance(60)
        out = kubectl(ks, "get", "pods", "-A")
        assert out.returncode == 0, out.stderr
        header, row = out.stdout.splitlines()
        assert header.split() == ["NAMESPACE", "NAME", "READY", "STATUS", "RESTARTS", "AGE"]
        cells = row.split()
        assert cells[2:4] == ["0/1", "Init:CrashLoopBackOff"] and cells[6] == "ago)"
        wide = kubectl(ks, "get", "pods", "-o", "wide")
        assert "kubesim-node-" in wide.stdout and "10.244." in wide.stdout
        events = kubectl(ks, "get", "events")
        assert (
            events.returncode == 0 and "BackOff" in events.stdout and "Back-off restarting" in events.stdout
        )


def test_watch_events_json(threaded):
    with threaded("healthy", tls=True) as ks:
        ks.advance(1)
        # --request-timeout bounds the watch; kubectl then exits normally and flushes its output
        proc = subprocess.Popen(
            [
                KUBECTL,
                "--kubeconfig",
                ks.kubeconfig_path,
                "get",
                "pods",
                "-A",
                "-w",
                "--output-watch-events",
                "-o",
                "json",
                "--request-timeout=4s",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        time.sleep(1.5)
        ks.advance(20)
        out, err = proc.communicate(timeout=20)
        events = [json.loads(line) for line in out.splitlines() if line.strip()]
        assert events, err
        assert [e["type"] for e in events[:2]] == ["ADDED", "ADDED"]
        assert "MODIFIED" in {e["type"] for e in events}
        assert {e["object"]["status"]["phase"] for e in events} == {"Pending", "Running"}


def test_logs_previous(threaded):
    with threaded("crash-loop", tls=True) as ks:
        ks.advance(60)
        name = kubectl(ks, "get", "pods", "-o", "name").stdout.strip()
        out = kubectl(ks, "logs", name, "-c", "migrate", "--previous")
        assert out.returncode == 0, out.stderr
        assert out.stdout.splitlines()[-1] == 'ERROR: relation "orders" does not exist'
        bad = kubectl(ks, "logs", name, "-c", "wait-for-db", "--previous")
        assert bad.returncode != 0 and "previous terminated container" in bad.stderr


def test_kubectl_status_of_1_35_features(threaded):
    """kubectl's own printer on RestartAllContainers and restart rules (docs/kubernetes.md §2)."""
    with threaded("restart-all", tls=True) as ks:
        ks.advance(21.95)  # just after the first clean-up: every container waits, made-up lastState
        out = kubectl(ks, "get", "pods", "--no-headers")
        assert out.returncode == 0, out.stderr
        cells = out.stdout.split()
        assert cells[1:3] == ["0/3", "Init:RestartingAllContainers"], out.stdout
        ks.advance(10)
        cells = kubectl(ks, "get", "pods", "--no-headers").stdout.split()
        assert cells[1:3] == ["3/3", "Running"]
        described = kubectl(ks, "get", "pod", "trainer", "-o", "json")
        conds = {c["type"]: c["status"] for c in json.loads(described.stdout)["status"]["conditions"]}
        assert conds["AllContainersRestarting"] == "False"
    with threaded("restart-rules", tls=True) as ks:
        ks.advance(15)
        rows = dict(
            line.split()[0:3:2] for line in kubectl(ks, "get", "pods", "--no-headers").stdout.splitlines()
        )
        assert rows == {"fail-on-3": "Init:Error", "retry-on-42": "Init:CrashLoopBackOff"}
