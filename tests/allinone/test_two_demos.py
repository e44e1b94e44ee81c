"""Several `manage.py serve --demo` on one checkout (issue 11, item 3): each keeps its demo state to itself
(its kubeconfig in its own folder, not a shared var/demo.kubeconfig), two on different databases both
watch their own simulator, a second one on the same database refuses with a clear message (the first is
unharmed), and one restarted on the same database after its predecessor was killed lists its new
simulator at once (no wait for an old cursor or lock) and closes the old run's Pods."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import yaml

from tests.allinone.demo import ROOT, _free_port, _get, _login, _wait


class Demo:
    """One `serve --demo` subprocess with its own port, log and INITSCOPE_VAR_DIR."""

    def __init__(self, tmp: Path, name: str, var: Path) -> None:
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = tmp / f"{name}.log"
        env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL", "KUBECONFIG")}
        env.update(DEBUG="1", INITSCOPE_VAR_DIR=str(var), INITSCOPE_DEMO_PASSWORD="demo")
        self.log = self.log_path.open("w")
        self.started = time.monotonic()
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", "serve", "--demo", "--port", str(self.port)],
            cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True,
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        )  # fmt: skip

    def text(self) -> str:
        return self.log_path.read_text()

    def serving(self, timeout: float = 90) -> None:
        _wait(
            lambda: urllib.request.urlopen(f"{self.base}/login/", timeout=2).status == 200, timeout, "server"
        )
        self.opener = _login(self.base)

    def kubeconfig(self) -> Path:
        return Path(
            re.search(r"its kubeconfig \(context demo\), while this runs: (\S+)", self.text()).group(1)
        )

    def sim_pod_uids(self) -> set[str]:
        """The uids of the Pods this instance's simulator has now (straight from kubesim)."""
        config = yaml.safe_load(self.kubeconfig().read_text())
        server = config["clusters"][0]["cluster"]["server"]
        token = config["users"][0]["user"].get("token", "")
        request = urllib.request.Request(
            f"{server}/api/v1/pods", headers={"Authorization": f"Bearer {token}"}
        )
        items = json.loads(urllib.request.urlopen(request, timeout=5).read())["items"]
        return {item["metadata"]["uid"] for item in items}

    def demo_pods(self) -> list[dict]:
        return _get(self.opener, f"{self.base}/api/v1/pods?cluster=demo&page_size=500")["results"]

    def stop(self, sig: int = signal.SIGINT) -> int | None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, sig)
        try:
            return self.process.wait(timeout=30)
        finally:
            if self.process.poll() is None:
                os.killpg(self.process.pid, signal.SIGKILL)
            self.log.close()


def test_two_demos_on_their_own_databases_both_watch_and_a_third_on_a_used_one_refuses(tmp_path):
    first = Demo(tmp_path, "first", tmp_path / "var-a")
    second = Demo(tmp_path, "second", tmp_path / "var-b")
    demos = [first, second]
    try:
        for demo in demos:
            demo.serving()
        assert first.kubeconfig() != second.kubeconfig(), "each instance has its own kubeconfig"
        assert not (tmp_path / "var-a" / "demo.kubeconfig").exists(), "not in the shared var folder"
        for demo in demos:
            _wait(demo.demo_pods, 60, f"{demo.base} watching its simulator")
        third = Demo(tmp_path, "third", tmp_path / "var-a")  # the first one's database
        code = third.process.wait(timeout=90)
        third.log.close()
        assert code == 1
        refusal = third.text()
        assert "another `manage.py serve --demo`" in refusal and str(tmp_path / "var-a") in refusal
        assert f"http://127.0.0.1:{first.port}/" in refusal, "it names the instance that holds the database"
        assert "Traceback" not in refusal
        # Both still watch their own simulator: every live Pod each shows is one its own kubesim has.
        for demo in demos:
            _wait(lambda demo=demo: _shows_its_own_simulator(demo), 20, f"{demo.base} showing its own Pods")
    finally:
        codes = [demo.stop() for demo in demos]
    assert all(code in (0, -signal.SIGINT) for code in codes), first.text()[-2000:] + second.text()[-2000:]
    for demo in demos:
        assert not demo.kubeconfig().exists(), "the instance's folder goes with it"


def _shows_its_own_simulator(demo: Demo) -> bool:
    """The cluster is watching and every Pod shown as live is one of this instance's simulator."""
    health = _get(demo.opener, f"{demo.base}/api/v1/clusters")["results"]
    row = next((c for c in health if c["name"] == "demo"), None)
    live = {p["uid"] for p in demo.demo_pods() if not p["deleted_at"]}
    return bool(row and row["state"] == "watching" and live and live <= demo.sim_pod_uids())


def test_a_demo_restarted_on_the_same_database_watches_its_new_simulator_at_once(tmp_path):
    var = tmp_path / "var"
    old = Demo(tmp_path, "old", var)
    try:
        old.serving()
        old_pods = _wait(old.demo_pods, 60, "the first run's Pods")
        old_uids = {p["uid"] for p in old_pods}
    finally:
        old.stop(signal.SIGKILL)  # killed: no clean stop, its lock and cursors are left behind
        shutil.rmtree(old.kubeconfig().parent, ignore_errors=True)  # its folder too: not the test's point
    new = Demo(tmp_path, "new", var)
    try:
        new.serving()

        def held_by_new() -> bool:
            health = _get(new.opener, f"{new.base}/api/v1/clusters")["results"]
            row = next((c for c in health if c["name"] == "demo"), None)
            return bool(row and row["state"] == "watching" and f":{new.process.pid}:" in row["holder"])

        _wait(held_by_new, 30, "the restarted instance watching")
        _wait(
            lambda: "kubesim.http: GET /api/v1/pods?limit=" in new.text(), 10, "the list of the new simulator"
        )
        took = time.monotonic() - new.started
        assert took < 45, f"watching {took:.0f} s after the restart"
        _wait(lambda: _shows_its_own_simulator(new), 20, "the new simulator's Pods, and only them, live")
        assert "Too large resource version" not in new.text()
        live = {p["uid"] for p in new.demo_pods() if not p["deleted_at"]}
        assert not (old_uids - new.sim_pod_uids()) & live, "the old run's Pods are not shown as live"
    finally:
        code = new.stop()
    assert code in (0, -signal.SIGINT), new.text()[-3000:]
