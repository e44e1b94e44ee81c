"""Small formatting and identity helpers shared by kubesim modules (no state)."""

from __future__ import annotations

import hashlib
import random
import uuid
from datetime import UTC, datetime

_NAME_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"  # k8s utilrand alphabet (no vowels, no 0/1/3)


_last_second: list = [None, ""]


def rfc3339(ts: float) -> str:
    """Whole-second RFC 3339 UTC time, as Kubernetes serialises metav1.Time."""
    sec = int(ts)
    if _last_second[0] != sec:  # the simulator asks for the same second many times in a row
        _last_second[0], _last_second[1] = (
            sec,
            datetime.fromtimestamp(sec, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        )
    return _last_second[1]


def rfc3339_micro(ts: float) -> str:
    """Microsecond RFC 3339 UTC time (metav1.MicroTime, e.g. Event.eventTime)."""
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def rfc3339_nano(ts: float) -> str:
    """Nanosecond-style RFC 3339 time as the kubelet prints log timestamps."""
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f") + "000Z"


def parse_rfc3339(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def go_duration(seconds: float) -> str:
    """Go's time.Duration.String() for the values the kubelet prints (``10s``, ``2m40s``, ``5m0s``)."""
    if seconds < 1:
        return f"{int(round(seconds * 1000))}ms"
    total = int(seconds)
    if seconds != total:
        # Kubelet pull durations are truncated to milliseconds: 1.594s
        ms = int(seconds * 1000)
        if ms < 60_000:
            return f"{ms / 1000:.3f}".rstrip("0").rstrip(".") + "s"
        total = ms // 1000
    hours, rem = divmod(total, 3600)
    minutes, secs = divmod(rem, 60)
    if hours:
        return f"{hours}h{minutes}m{secs}s"
    if minutes:
        return f"{minutes}m{secs}s"
    return f"{secs}s"


def human_duration(seconds: float) -> str:
    """apimachinery ``duration.HumanDuration`` (kubectl AGE / RESTARTS ago)."""
    if seconds < -1:
        return "<invalid>"
    if seconds < 0:
        return "0s"
    s = int(seconds)
    if s < 60 * 2:
        return f"{s}s"
    minutes = s // 60
    if minutes < 10:
        return f"{minutes}m" if s % 60 == 0 else f"{minutes}m{s % 60}s"
    if minutes < 60 * 3:
        return f"{minutes}m"
    hours = minutes // 60
    if hours < 8:
        return f"{hours}h" if minutes % 60 == 0 else f"{hours}h{minutes % 60}m"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        return f"{hours // 24}d" if hours % 24 == 0 else f"{hours // 24}d{hours % 24}h"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    if hours < 24 * 365 * 8:
        years = hours // 24 // 365
        days = hours // 24 % 365
        return f"{years}y" if days == 0 else f"{years}y{days}d"
    return f"{hours // 24 // 365}y"


class Ids:
    """Deterministic identifiers from one seeded RNG (uids, name suffixes, container ids, digests)."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def uid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def suffix(self, n: int = 5) -> str:
        return "".join(self.rng.choice(_NAME_ALPHABET) for _ in range(n))

    def hex(self, n: int = 64) -> str:
        return f"{self.rng.getrandbits(n * 4):0{n}x}"

    def container_id(self) -> str:
        return "containerd://" + self.hex(64)


def stable_hash(text: str, n: int = 10) -> str:
    """A stable name-safe hash (pod-template-hash / controller-revision-hash style)."""
    h = 2166136261
    for ch in text.encode():
        h = ((h ^ ch) * 16777619) & 0xFFFFFFFFFFFF
    out = []
    for _ in range(n):
        h, r = divmod(h, len(_NAME_ALPHABET))
        out.append(_NAME_ALPHABET[r])
        if h == 0:
            h = 0x9E3779B97F4A7C15 & 0xFFFFFFFFFFFF
    return "".join(out)


def image_digest(image: str) -> str:
    """``repo@sha256:<64 hex>`` deterministic from the image reference."""
    repo = image.rsplit(":", 1)[0] if ":" in image.rsplit("/", 1)[-1] else image
    return f"{repo}@sha256:{hashlib.sha256(image.encode()).hexdigest()}"


def image_size(image: str) -> int:
    h = 0
    for ch in image.encode():
        h = (h * 31 + ch) % 1_000_003
    return 2_000_000 + h * 173


def default_pull_policy(image: str) -> str:
    last = image.rsplit("/", 1)[-1]
    if "@" in last:
        return "IfNotPresent"
    if ":" not in last or last.endswith(":latest"):
        return "Always"
    return "IfNotPresent"
