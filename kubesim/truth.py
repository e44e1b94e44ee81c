"""Ground truth: every container attempt that really ran and every Pod deletion.

One record per *finished* container attempt::

    {"namespace", "pod", "uid", "container", "kind": "init"|"sidecar"|"app", "number",
     "started_at", "finished_at", "exit_code", "reason", "generation", "container_id"}

(``number`` is the container's restartCount during that attempt, ``generation`` the Pod's init
generation (0, then +1 per sandbox recreation and per RestartAllContainers), ``container_id`` the
attempt's runtime id; times are whole-second RFC 3339, identical to what the API shows in
``state``/``lastState``, except the kill time of a container RestartAllContainers removed, which the
API never shows), and one per Pod deletion::

    {"namespace", "pod", "uid", "deleted_at"}

Records are appended to ``path`` (JSON lines, flushed per record) when given, and the newest
``limit`` of each kind are kept in memory for :meth:`GroundTruth.attempts` / :meth:`deletions`.
"""

from __future__ import annotations

import threading
from collections import deque
from pathlib import Path

import orjson

from .util import rfc3339


class GroundTruth:
    def __init__(self, path: str | Path | None = None, limit: int = 200_000) -> None:
        self._attempts: deque[dict] = deque(maxlen=limit)
        self._deletions: deque[dict] = deque(maxlen=limit)
        self._lock = threading.Lock()
        self._file = open(path, "ab") if path else None  # noqa: SIM115 - closed in close()

    def attempt(
        self,
        namespace: str,
        pod: str,
        uid: str,
        container: str,
        kind: str,
        number: int,
        started_at: float,
        finished_at: float,
        exit_code: int,
        reason: str,
        *,
        generation: int = 0,
        container_id: str | None = None,
    ) -> None:
        rec = {
            "namespace": namespace,
            "pod": pod,
            "uid": uid,
            "container": container,
            "kind": kind,
            "number": number,
            "started_at": rfc3339(started_at),
            "finished_at": rfc3339(finished_at),
            "exit_code": exit_code,
            "reason": reason,
            "generation": generation,
            "container_id": container_id,
        }
        self._add(self._attempts, rec)

    def deletion(self, namespace: str, pod: str, uid: str, deleted_at: float) -> None:
        self._add(
            self._deletions,
            {"namespace": namespace, "pod": pod, "uid": uid, "deleted_at": rfc3339(deleted_at)},
        )

    def _add(self, target: deque, rec: dict) -> None:
        with self._lock:
            target.append(rec)
            if self._file is not None:
                self._file.write(orjson.dumps(rec) + b"\n")
                self._file.flush()

    def attempts(self, uid: str | None = None) -> list[dict]:
        with self._lock:
            return [dict(r) for r in self._attempts if uid is None or r["uid"] == uid]

    def deletions(self) -> list[dict]:
        with self._lock:
            return [dict(r) for r in self._deletions]

    def records(self) -> list[dict]:
        """Attempts then deletions (the JSON-lines export order is chronological instead)."""
        return self.attempts() + self.deletions()

    def jsonl(self) -> bytes:
        with self._lock:
            recs = sorted(
                list(self._attempts) + list(self._deletions),
                key=lambda r: r.get("finished_at") or r.get("deleted_at"),
            )
        return b"".join(orjson.dumps(r) + b"\n" for r in recs)

    def close(self) -> None:
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None
