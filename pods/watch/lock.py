"""The cluster lock: one active watcher per cluster across all workers.

A `redis.lock.Lock` on `initscope:watch:<cluster>` (`initscope:watch:<cluster>/<group>` for a namespace
group of a split cluster: each group is its own unit of work) whose token is the holder's id
(host:pid:random, so an operator can tell who holds it): `acquire()` takes it only when free;
`renew_if_due()` resets its time to live (only while this holder still owns it) once a third of it has
passed and says False once someone else holds it (lock lost: stop at once); a holder that dies stops
renewing and the key expires, so another worker takes over within `ttl` seconds. A holder known to be gone
is not waited for: when the holder id names this host and a pid that is no longer alive, or this host and
pid with another process's instance id (a restarted container whose process got the same pid), `acquire()`
frees the lock (only if it is still that holder's) and takes it at once, so a restarted worker resumes
watching without waiting out the old run's time to live. Without Redis (all-in-one mode) the same contract
is kept in this process (`LocalLock`).

Also the Redis client the watcher shares (`redis_client`), used by the beat-side enqueue guard.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
import uuid
from typing import Protocol

import redis
from django.conf import settings
from redis.exceptions import LockError

from pods.kube import watch_key

# This process's instance id: tells a restarted process from its predecessor when both got the same pid.
INSTANCE_ID = uuid.uuid4().hex[:8]


def new_holder_id() -> str:
    """`host:pid:instance.random`: who holds a lock (an operator can tell), and whether it is gone."""
    return f"{socket.gethostname()}:{os.getpid()}:{INSTANCE_ID}.{uuid.uuid4().hex[:6]}"


def holder_is_gone(holder: str) -> bool:
    """True when `holder` (a holder id) names a process of this host that no longer runs: its pid is not
    alive, or it is this process's pid under another instance id. A holder on another host, or in an id
    of another shape, is never judged gone here (its lock expires after its time to live)."""
    host, sep, rest = holder.partition(":")
    pid_text, sep2, instance = rest.partition(":")
    if not sep or not sep2 or host != socket.gethostname() or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if pid == os.getpid():
        return instance.partition(".")[0] != INSTANCE_ID
    return not _pid_alive(pid)


def _pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: alive
        return True
    except OSError:
        return True
    return True


class _Lock(Protocol):
    """The part of `redis.lock.Lock` the cluster lock uses."""

    def acquire(self, *, blocking: bool, token: str) -> bool: ...
    def reacquire(self) -> object: ...
    def release(self) -> None: ...


class ClusterLock:
    """One watcher per cluster; see the module docstring."""

    def __init__(self, cluster: str, *, ttl: float, holder_id: str | None = None, group: str = "") -> None:
        self.key = f"initscope:watch:{watch_key(cluster, group)}"
        self.ttl = ttl
        self.holder_id = holder_id or new_holder_id()
        self.redis = redis_client()
        self.renewed_at = 0.0
        self._lock: _Lock
        if self.redis is not None:
            # thread_local=False: the token is this object's, whichever thread renews or releases it.
            self._lock = self.redis.lock(self.key, timeout=ttl, thread_local=False)
        else:
            self._lock = LocalLock(self.key, timeout=ttl)

    def acquire(self) -> bool:
        """Take the lock if it is free or its holder is gone (`holder_is_gone`); never waits."""
        won = bool(self._lock.acquire(blocking=False, token=self.holder_id))
        if not won:
            holder = self.holder()
            if (
                holder
                and holder != self.holder_id
                and holder_is_gone(holder)
                and self._free_if_held_by(holder)
            ):
                won = bool(self._lock.acquire(blocking=False, token=self.holder_id))
        if won:
            self.renewed_at = time.monotonic()
        return won

    def renew_if_due(self) -> bool:
        """Reset the time to live when a third of it has passed; False when someone else holds it now."""
        if time.monotonic() - self.renewed_at < self.ttl / 3:
            return True
        try:
            self._lock.reacquire()
        except LockError:  # LockNotOwnedError: it expired and another worker took it
            return False
        self.renewed_at = time.monotonic()
        return True

    def release(self) -> None:
        """Free the lock if this holder still owns it (never someone else's)."""
        with contextlib.suppress(LockError):
            self._lock.release()

    def _free_if_held_by(self, holder: str) -> bool:
        """Delete the lock if `holder` still holds it (atomically: never a newer holder's)."""
        if self.redis is None:
            return LocalLock.free_if_held_by(self.key, holder)
        return bool(self.redis.eval(_DELETE_IF_HOLDER, 1, self.key, holder))

    def holder(self) -> str:
        """Who holds the lock now ("" when nobody does)."""
        if self.redis is None:
            return LocalLock.holder_of(self.key)
        value = self.redis.get(self.key)
        return value.decode() if isinstance(value, bytes) else str(value or "")


class LocalLock:
    """The in-process stand-in for `redis.lock.Lock` (same acquire / reacquire / release contract, the
    same expiry), for the all-in-one mode where every watcher lives in one process."""

    _held: dict[str, tuple[str, float]] = {}  # key -> (token, monotonic expiry)
    _guard = threading.Lock()

    def __init__(self, name: str, *, timeout: float) -> None:
        self.name, self.timeout = name, timeout
        self.token: str | None = None

    def acquire(self, *, blocking: bool = False, token: str) -> bool:
        with self._guard:
            if self._holder(self.name):
                return False
            self._held[self.name] = (token, time.monotonic() + self.timeout)
        self.token = token
        return True

    def reacquire(self) -> bool:
        with self._guard:
            # Ours until another holder takes it, even a moment past its expiry (one process: no one
            # else could have acted on the expiry without taking it).
            if self.token is None or self._held.get(self.name, ("", 0.0))[0] != self.token:
                raise LockError("Cannot reacquire a lock that's no longer owned", lock_name=self.name)
            self._held[self.name] = (self.token, time.monotonic() + self.timeout)
        return True

    def release(self) -> None:
        token, self.token = self.token, None
        with self._guard:
            if token is None or self._held.get(self.name, ("", 0.0))[0] != token:
                raise LockError("Cannot release a lock that's no longer owned", lock_name=self.name)
            del self._held[self.name]

    @classmethod
    def free_if_held_by(cls, name: str, token: str) -> bool:
        with cls._guard:
            if cls._held.get(name, ("", 0.0))[0] != token:
                return False
            del cls._held[name]
        return True

    @classmethod
    def holder_of(cls, name: str) -> str:
        with cls._guard:
            return cls._holder(name)

    @classmethod
    def _holder(cls, name: str) -> str:
        token, until = cls._held.get(name, ("", 0.0))
        return token if until > time.monotonic() else ""


_DELETE_IF_HOLDER = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""

_clients: dict[str, redis.Redis] = {}


def redis_client() -> redis.Redis | None:
    """The process's client for REDIS_URL (None without Redis: the all-in-one mode)."""
    url = str(settings.REDIS_URL or "")
    if not url:
        return None
    if url not in _clients:
        _clients[url] = redis.Redis.from_url(url, socket_timeout=10, socket_connect_timeout=5)
    return _clients[url]
