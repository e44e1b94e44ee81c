"""Faults switched on and off at run time (Python API and ``POST /_kubesim/faults``).

``Faults`` is plain state read by the server on every request; all counters are consumed
atomically on the event loop. JSON accepted by :meth:`Faults.apply` (any subset)::

    {"close_watches_every": 5,            # seconds (real time); null/0 switches it off
     "expire_next_watches": 1,            # next N watches: HTTP 200 + in-stream ERROR 410
     "expire_next_watches_http": 1,       # next N watches: plain HTTP 410 Status
     "error_burst": {"count": 3, "code": 503},   # next N API requests fail
     "latency": 0.2,                      # seconds added before every API response
     "stall_next_watches": 1,             # next N watches send nothing at all
     "stall_next_lists": 1,               # next N lists never answer (until the client gives up)
     "malformed_next_watches": 1,         # next N watches get a broken JSON line first
     "bookmarks": false,                  # suppress BOOKMARK events
     "restart": true,                     # restart the HTTP server on the same port (state kept)
     "reset": true}                       # everything back off
"""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass
class Faults:
    close_watches_every: float | None = None
    expire_next_watches: int = 0
    expire_next_watches_http: int = 0
    error_burst: int = 0
    error_code: int = 500
    latency: float = 0.0
    stall_next_watches: int = 0
    stall_next_lists: int = 0
    malformed_next_watches: int = 0
    bookmarks: bool = True

    def __post_init__(self) -> None:
        # Test-only, from Python (not a switch of the admin endpoint, not in `state()`): raw lines the next
        # watch of a resource ("pods", "events") writes first, byte for byte, however hostile: the
        # watcher's robustness tests (`inject_watch_lines`).
        self.injected: dict[str, list[bytes]] = {}

    def inject_watch_lines(self, resource: str, lines: list[bytes]) -> None:
        """Have the next watch of `resource` send `lines` (no newline of their own) before anything else."""
        self.injected.setdefault(resource, []).extend(lines)

    def take_injected(self, resource: str) -> list[bytes]:
        return self.injected.pop(resource, [])

    def reset(self) -> None:
        for k, v in asdict(Faults()).items():
            setattr(self, k, v)
        self.injected.clear()

    def apply(self, data: dict) -> bool:
        """Apply a JSON fault request; returns True when a server restart was requested."""
        allowed = set(asdict(self)) | {"restart", "reset"}
        unknown = set(data) - allowed
        if unknown:
            raise ValueError(f"unknown faults: {sorted(unknown)}")
        if data.get("reset"):
            self.reset()
        for key, value in data.items():
            if key in ("restart", "reset"):
                continue
            if key == "error_burst" and isinstance(value, dict):
                self.error_burst = int(value.get("count", 1))
                self.error_code = int(value.get("code", 500))
            elif key == "close_watches_every":
                self.close_watches_every = float(value) if value else None
            elif key == "latency":
                self.latency = float(value or 0)
            elif key == "bookmarks":
                self.bookmarks = bool(value)
            else:
                setattr(self, key, int(value))
        return bool(data.get("restart"))

    def take(self, name: str) -> bool:
        """Consume one unit of a ``*_next_*`` counter (or ``error_burst``); True if it was set."""
        value = getattr(self, name)
        if value > 0:
            setattr(self, name, value - 1)
            return True
        return False

    def state(self) -> dict:
        return asdict(self)
