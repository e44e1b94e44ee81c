"""Container logs, computed lazily and deterministically per attempt.

An attempt's log is its start lines (at ``started_at``), a heartbeat line every ``interval``
seconds while it runs, and a final line at ``finished_at`` (an error line for a failing attempt).
Only the current and previous attempt of each container are kept, as the kubelet does.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from .util import rfc3339_nano


@dataclass
class AttemptLog:
    number: int
    started_at: float
    lines: tuple[str, ...]
    heartbeat: str | None = None
    interval: float = 30.0
    finished_at: float | None = None
    final: list[str] = field(default_factory=list)

    def entries(self, now: float) -> list[tuple[float, str]]:
        """(time, text) for every line written up to ``now``."""
        out = [(self.started_at + 0.001 * i, text) for i, text in enumerate(self.lines)]
        end = self.finished_at if self.finished_at is not None else now
        if self.heartbeat:
            limit = min(end, now)
            # cap the replay at the last 1000 heartbeats so an old container's log stays cheap
            k = max(1, int((limit - self.started_at) / self.interval) - 1000)
            while self.started_at + k * self.interval <= limit:
                out.append((self.started_at + k * self.interval, self.heartbeat))
                k += 1
        if self.finished_at is not None and self.finished_at <= now:
            out.extend((self.finished_at, text) for text in self.final)
        return out


class LogBook:
    def __init__(self) -> None:
        self._logs: dict[tuple[str, str], deque[AttemptLog]] = {}

    def start(self, uid: str, container: str, log: AttemptLog) -> None:
        self._logs.setdefault((uid, container), deque(maxlen=2)).append(log)

    def finish(self, uid: str, container: str, finished_at: float, final: list[str]) -> None:
        q = self._logs.get((uid, container))
        if q:
            q[-1].finished_at = finished_at
            q[-1].final = final

    def current(self, uid: str, container: str) -> AttemptLog | None:
        q = self._logs.get((uid, container))
        return q[-1] if q else None

    def previous(self, uid: str, container: str) -> AttemptLog | None:
        q = self._logs.get((uid, container))
        return q[0] if q and len(q) == 2 else None

    def forget(self, uid: str, containers: list[str]) -> None:
        for c in containers:
            self._logs.pop((uid, c), None)

    def reset(self, uid: str, container: str) -> None:
        """Runtime records purged (sandbox recreation): no previous log any more."""
        self._logs.pop((uid, container), None)


def render(
    entries: list[tuple[float, str]], *, timestamps: bool, tail: int | None, since: float | None
) -> bytes:
    if since is not None:
        entries = [e for e in entries if e[0] >= since]
    if tail is not None:
        entries = entries[-tail:] if tail > 0 else []
    if timestamps:
        return "".join(f"{rfc3339_nano(t)} {text}\n" for t, text in entries).encode()
    return "".join(f"{text}\n" for _, text in entries).encode()
