"""One call never outlives the watch lock: every non-watch GET has a total deadline (connecting, waiting, the
whole body) and urllib3 retries nothing on its own; a list page that stalls longer than the lock's time to
live ends at its deadline, the watcher backs off and lists again, keeps its lock and stores what the API
shows."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

import pytest
import yaml

from pods import kube, watch
from pods.models import Pod
from tests.services import assert_statuses, redis_url, settings_for_cluster

pytestmark = [pytest.mark.integration]


class BadServer:
    """An HTTP server that never answers in full: `silent` reads the request and says nothing; `trickle`
    sends the headers of a 1 MB body, then one byte every 50 ms."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.requests = 0
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.stopped = threading.Event()
        self.conns: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self.stopped.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(conn)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        try:
            conn.recv(65536)
            self.requests += 1
            if self.mode == "trickle":
                conn.sendall(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n\r\n{"
                )
            while not self.stopped.wait(0.05):
                if self.mode == "trickle":
                    conn.sendall(b" ")
        except OSError:
            return

    def close(self) -> None:
        self.stopped.set()
        self.sock.close()
        for conn in self.conns:
            conn.close()


@pytest.fixture(params=["silent", "trickle"])
def bad_cluster(request, tmp_path: Path, monkeypatch):
    server = BadServer(request.param)
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "bad", "cluster": {"server": f"http://127.0.0.1:{server.port}"}}],
        "users": [{"name": "bad", "user": {"token": "t"}}],
        "contexts": [{"name": "bad", "context": {"cluster": "bad", "user": "bad"}}],
        "current-context": "bad",
    }
    path = tmp_path / "kubeconfig"
    path.write_text(yaml.safe_dump(config))
    monkeypatch.setenv("KUBECONFIG", str(path))
    yield server
    server.close()


def test_a_get_that_never_completes_ends_at_its_deadline_without_retries(bad_cluster):
    client = kube.client_for("bad")
    client.request_timeout = 1.0
    began = time.monotonic()
    with pytest.raises(kube.ConnectionFailed):
        client.list("pods", limit=500)
    took = time.monotonic() - began
    # urllib3's own retries (three more) or a read timeout per read (a trickling body) made it 4x or forever
    assert took < 2.0, f"the call took {took:.1f}s past its 1s deadline"
    assert bad_cluster.requests == 1, "urllib3 retried the request on its own"


@pytest.fixture
def redis_settings(settings):
    settings.REDIS_URL = redis_url()
    return settings


def test_a_list_page_stalled_past_the_locks_life_keeps_the_lock(
    kubesim_cluster, transactional_db, redis_settings
):
    sim = kubesim_cluster("demo", seed=4)
    sim.drive(30)
    # A 3 s lock: each call's deadline is 1 s. Both lists stall (the next list of each stream, and again),
    # each longer than the lock lives.
    s = watch.WatchSettings(lock_seconds=3.0, window_seconds=8.0, capture_logs=False)
    with settings_for_cluster(sim):
        lock = watch.ClusterLock(sim.name, ttl=s.lock_seconds)
        assert lock.acquire()
        try:
            w = watch.cluster_watch(sim.name, settings_=s, lock=lock)
            assert w.kube.request_timeout == pytest.approx(1.0)
            sim.ks.faults(stall_next_lists=3)
            result = watch.watch_window(w, seconds=s.window_seconds)
            assert result.reason == "window", result.message
            assert lock.holder() == lock.holder_id, "the lock was never lost"
        finally:
            lock.release()
    assert sim.ks.call(sim.ks.sim.faults.state)["stall_next_lists"] == 0, "every stalled list was tried"
    assert w.stats["errors"] >= 3 and w.stats["lists"] >= 2, "it backed off, then listed every stream"
    assert Pod.objects.filter(cluster__name=sim.name).exists()
    assert_statuses(sim)
