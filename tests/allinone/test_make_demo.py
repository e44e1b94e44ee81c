"""`manage.py serve --demo` as `make demo` runs it: the embedded defaults (SQLite, in-memory channel layer,
memory broker; no Redis, no PostgreSQL), a worker and beat in the process, kubesim's demo cluster
watched live, the recordings loaded, and Ctrl-C stopping every part."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import urllib.parse
import urllib.request

from tests.allinone.demo import ROOT, _free_port, _get, _login, _wait


def test_serve_demo_runs_everything_in_one_process_and_stops_on_ctrl_c(tmp_path):
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL")}
    env.update(DEBUG="1", INITSCOPE_VAR_DIR=str(tmp_path / "var"), INITSCOPE_DEMO_PASSWORD="demo")
    log = (tmp_path / "serve.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "manage.py", "serve", "--demo", "--port", str(port)],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        _wait(lambda: urllib.request.urlopen(f"{base}/login/", timeout=2).status == 200, 60, "the server")
        assert f"Initscope is serving on {base}/" in (tmp_path / "serve.log").read_text()
        opener = _login(base)
        clusters = _wait(
            lambda: [c for c in _get(opener, f"{base}/api/v1/clusters")["results"] if c["name"] == "demo"],
            30,
            "cluster demo",
        )
        assert clusters[0]["configured"]
        pods = _wait(
            lambda: _get(opener, f"{base}/api/v1/pods?cluster=demo&page_size=200")["results"], 60, "live Pods"
        )
        assert pods, "the embedded worker watched kubesim and stored its Pods"
        recorded = _get(opener, f"{base}/api/v1/pods?cluster=samples&page_size=200")
        assert recorded["count"] >= 15, "the sample recordings are loaded"
        alerts = _wait(  # the default rules, no receiver: the demo's failing Pods open alerts (/alerts/)
            lambda: [a for a in _get(opener, f"{base}/api/v1/alerts?status=open")["results"] if a["pod"]],
            120,
            "alerts of the demo's failing Pods",
        )
        assert {a["cluster"] for a in alerts} == {"demo"}, "a recording never alerts"
    finally:
        os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
        try:
            code = process.wait(timeout=30)
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
            log.close()
    assert code in (0, -signal.SIGINT), (tmp_path / "serve.log").read_text()[-3000:]
    with socket.socket() as s:
        assert s.connect_ex(("127.0.0.1", port)) != 0, "nothing listens after Ctrl-C"
