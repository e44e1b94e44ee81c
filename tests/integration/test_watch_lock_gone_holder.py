"""A watch lock whose holder is known to be gone is taken over at once, not after its time to live
(issue 11, item 3: a restarted watcher resumed only ~45 s later). Gone: this host and a pid that no
longer runs, or this process's pid under another instance id (a restarted container's process that got
the same pid). A live holder, or one on another host, keeps the lock until it expires."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest

pytestmark = [pytest.mark.integration]


@pytest.fixture(params=["redis", "in-process"])
def lock_backend(request, settings):
    from tests.services import redis_url

    if request.param == "redis":
        settings.REDIS_URL = redis_url()
        request.getfixturevalue("redis_clean")
    else:
        settings.REDIS_URL = ""
    yield request.param
    from pods.watch import LocalLock

    LocalLock._held.pop("initscope:watch:gone-test", None)


def _dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()  # ended and reaped: its pid runs nothing now
    return process.pid


@pytest.mark.redis
def test_a_gone_holders_lock_is_taken_at_once(lock_backend):
    from pods.watch import ClusterLock
    from pods.watch.lock import INSTANCE_ID

    host = socket.gethostname()
    gone = [f"{host}:{_dead_pid()}:0badcafe.1", f"{host}:{os.getpid()}:{'0' * 8}.2"]
    assert INSTANCE_ID != "0" * 8
    for holder in gone:
        old = ClusterLock("gone-test", ttl=60, holder_id=holder)
        assert old.acquire()
        new = ClusterLock("gone-test", ttl=60)
        assert new.acquire(), f"{holder} is gone: taken over without waiting 60 s"
        assert new.holder() == new.holder_id
        old.release()
        assert new.holder() == new.holder_id, "the old holder's release never frees the new one's lock"
        new.renewed_at -= 30
        assert new.renew_if_due()
        new.release()


@pytest.mark.redis
def test_a_live_or_remote_holder_keeps_its_lock(lock_backend):
    from pods.watch import ClusterLock

    host = socket.gethostname()
    live = ClusterLock("gone-test", ttl=60)  # this process, this instance: alive
    alive_elsewhere = [f"{host}:1:0badcafe.1", f"another-host-{host}:{_dead_pid()}:0badcafe.1"]
    assert live.acquire()
    assert not ClusterLock("gone-test", ttl=60).acquire(), "another watch task of this very process"
    live.release()
    for holder in alive_elsewhere:  # pid 1 runs; another host's pids cannot be checked from here
        old = ClusterLock("gone-test", ttl=60, holder_id=holder)
        assert old.acquire()
        assert not ClusterLock("gone-test", ttl=60).acquire()
        old.release()


def test_the_holder_id_names_host_pid_and_instance():
    from pods.watch.lock import INSTANCE_ID, holder_is_gone, new_holder_id

    host, pid, rest = new_holder_id().split(":")
    assert (host, int(pid), rest.split(".")[0]) == (socket.gethostname(), os.getpid(), INSTANCE_ID)
    assert not holder_is_gone(new_holder_id())
    assert not holder_is_gone("not a holder id") and not holder_is_gone("")
