"""Log-bucketed histograms of seconds (pure): how the hourly rollups keep durations, pull times, queue waits
and Pod startup steps so that hours can be summed and percentiles read back within a stated bound.

A value v > 0 falls in bucket i = ⌈log(v) / log(γ)⌉ with γ = 1 + 2ε, ε = 0.01: the bucket holds
γ^(i−1) < v ≤ γ^i, and it is read back as 2·γ^i / (1 + γ), which is within (γ − 1)/(γ + 1) < ε of every
value it holds. Zero is kept exactly (`"z"`), a negative value (clock skew) in the mirrored bucket (`"n<i>"`).
A histogram is a JSON object `{bucket: count}` (string keys: the same on SQLite and PostgreSQL).

Stored, a histogram is packed (`pack`/`unpack`: bytes, the same on SQLite and PostgreSQL): a header, the
zero and negative buckets as pairs, then the positive buckets as one dense run of little-endian counts
from the first non-empty one, each 1, 2, 4 or 8 bytes wide (the narrowest that holds the largest count).
Seconds from 1 s to 10 min span about 320 buckets: a day's histogram of one init container is a few hundred
bytes, decoded without Python objects per bucket. `Sum` adds packed histograms as big integers (one 64-bit
lane per bucket: a single C-level addition per histogram, whatever its size), which is what lets a report
sum a year of rollup rows quickly (docs/performance.md, "Rollups").

`percentile` reads the histogram with the definition of `pods.reports.definitions.percentile` (PostgreSQL's
`percentile_cont`): the values at the closest ranks, interpolated. Each is within ε of the true value at
its rank, so the percentile is within ε of the exact one; `BOUND` (2%) is the bound the documents state.
"""

from __future__ import annotations

import math
import struct
import sys
from array import array
from bisect import bisect_right
from collections.abc import Callable, Iterable, Mapping, Sequence
from itertools import accumulate, chain

EPSILON = 0.01
GAMMA = 1 + 2 * EPSILON
_LOG_GAMMA = math.log(GAMMA)
# What the documents promise for a percentile read from rollups (relative error).
BOUND = 0.02
BOUND_TEXT = (
    "Read from hourly rollups: counts are exact; percentiles come from log-bucketed histograms and are "
    "within 2% (relative) of the exact value; since and until are rounded out to whole hours (UTC)."
)
ZERO = "z"

Histogram = dict[str, int]


def bucket(value: float) -> str:
    """The bucket of one value."""
    if value == 0:
        return ZERO
    index = math.ceil(math.log(abs(value)) / _LOG_GAMMA)
    return str(index) if value > 0 else f"n{index}"


def value_of(key: str) -> float:
    """The value a bucket is read back as (within ε of every value it holds)."""
    if key == ZERO:
        return 0.0
    negative = key.startswith("n")
    index = int(key[1:] if negative else key)
    value = 2 * GAMMA**index / (1 + GAMMA)
    return -value if negative else value


def histogram(values: Iterable[float]) -> Histogram:
    out: Histogram = {}
    for value in values:
        key = bucket(value)
        out[key] = out.get(key, 0) + 1
    return out


def add(into: Histogram, other: Mapping[str, int]) -> Histogram:
    """Sum `other` into `into` (hours add up); returns `into`."""
    for key, count in other.items():
        into[key] = into.get(key, 0) + count
    return into


def count(h: Mapping[str, int]) -> int:
    return sum(h.values())


def percentile(h: Mapping[str, int], fraction: float, *, maximum: float | None = None) -> float | None:
    """`percentile_cont(fraction)` read from the histogram: rank r = fraction·(n − 1), the values at ranks
    ⌊r⌋ and ⌈r⌉ interpolated; None when empty. `maximum` (the exact largest value, when known) is the
    value at the last rank, and caps the reading: p100 is exact and no percentile exceeds it."""
    ordered = sorted(((value_of(key), n) for key, n in h.items() if n > 0), key=lambda vn: vn[0])
    return _percentile(ordered, fraction, maximum)


def _percentile(ordered: list[tuple[float, int]], fraction: float, maximum: float | None) -> float | None:
    """`percentile` over (value, count) pairs in increasing value order."""
    seen = list(accumulate(n for _, n in ordered))
    return _percentiles(lambda i: ordered[i][0], seen, (fraction,), maximum)[0]


def _percentiles(
    value_at: Callable[[int], float], seen: Sequence[int], fractions: Iterable[float], maximum: float | None
) -> list[float | None]:
    """The percentiles of buckets in increasing value order, the i-th read back as `value_at(i)` and
    `seen[i]` values up to it (cumulative counts; a bucket may be empty)."""
    total = seen[-1] if seen else 0
    out: list[float | None] = []
    for fraction in fractions:
        if not total:
            out.append(None)
            continue
        position = fraction * (total - 1)
        low, high = math.floor(position), math.ceil(position)
        at_low, at_high = value_at(bisect_right(seen, low)), value_at(bisect_right(seen, high))
        if maximum is not None and high == total - 1:  # the last rank is the maximum, known exactly
            at_high = maximum
            at_low = maximum if low == high else at_low
        result = at_low + (at_high - at_low) * (position - low)
        out.append(min(result, maximum) if maximum is not None else result)
    return out


# ------------------------------------------------------------------------------------------------ packed

# tag, lane width, first positive bucket, lanes, zero count, negative buckets; then per negative bucket
# (index, count); then the lanes.
_HEADER = struct.Struct("<BBiIQI")
_NEGATIVE = struct.Struct("<iQ")
_TAG = 1
_LANE = 8  # bytes per bucket while summing
_WIDTHS = (1, 2, 4, 8)


def pack(h: Mapping[str, int]) -> bytes:
    """The stored form of a histogram (empty bytes when empty); `unpack(pack(h))` is `h` without zeros."""
    total = Sum()
    zero = 0
    negative: dict[int, int] = {}
    positive: dict[int, int] = {}
    for key, n in h.items():
        if n <= 0:
            continue
        if key == ZERO:
            zero += n
        elif key.startswith("n"):
            negative[int(key[1:])] = negative.get(int(key[1:]), 0) + n
        else:
            positive[int(key)] = positive.get(int(key), 0) + n
    if positive:
        first = min(positive)
        lanes = array("Q", (positive.get(i, 0) for i in range(first, max(positive) + 1)))
        if sys.byteorder != "little":
            lanes.byteswap()
        total._base, total._lanes = first, int.from_bytes(lanes.tobytes(), "little")
    total._zero, total._negative = zero, negative
    return total.packed()


def unpack(data: bytes) -> Histogram:
    return dict(Sum().add(data).items()) if data else {}


class Sum:
    """Packed histograms (or mappings) added up: the positive buckets as one big integer of 64-bit lanes
    (bucket `base + i` in lane i), zero and negative buckets apart."""

    __slots__ = ("_base", "_lanes", "_negative", "_zero")

    def __init__(self) -> None:
        self._base = 0
        self._lanes = 0
        self._zero = 0
        self._negative: dict[int, int] = {}

    def add(self, h: bytes | Mapping[str, int]) -> Sum:
        if not h:
            return self
        if not isinstance(h, bytes):
            h = pack(h)
        tag, width, first, lanes, zero, negatives = _HEADER.unpack_from(h)
        if tag != _TAG:
            raise ValueError(f"unknown histogram encoding {tag}")
        at = _HEADER.size
        if zero:
            self._zero += zero
        for _ in range(negatives):
            index, n = _NEGATIVE.unpack_from(h, at)
            self._negative[index] = self._negative.get(index, 0) + n
            at += _NEGATIVE.size
        if not lanes:
            return self
        view = memoryview(h)
        if width == _LANE:
            value = int.from_bytes(view[at : at + lanes * _LANE], "little")
        else:  # widen each count to a 64-bit lane (slice assignment: no loop in Python)
            wide = bytearray(lanes * _LANE)
            end = at + lanes * width
            for byte in range(width):
                wide[byte::_LANE] = view[at + byte : end : width]
            value = int.from_bytes(wide, "little")
        if not self._lanes:
            self._base, self._lanes = first, value
        elif first >= self._base:
            self._lanes += value << (64 * (first - self._base))
        else:
            self._lanes = (self._lanes << (64 * (self._base - first))) + value
            self._base = first
        return self

    def _counts(self) -> array[int]:
        """The positive lanes from `_base` (trailing empty ones left out)."""
        size = (self._lanes.bit_length() + 63) // 64 * _LANE
        counts = array("Q", self._lanes.to_bytes(size, "little"))
        if sys.byteorder != "little":
            counts.byteswap()
        return counts

    def items(self) -> list[tuple[str, int]]:
        out = [(f"n{i}", n) for i, n in self._negative.items() if n]
        if self._zero:
            out.append((ZERO, self._zero))
        return out + [(str(self._base + i), n) for i, n in enumerate(self._counts()) if n]

    def count(self) -> int:
        return self._zero + sum(self._negative.values()) + sum(self._counts())

    def packed(self) -> bytes:
        """The stored form of the sum (`pack`)."""
        negative = sorted((i, n) for i, n in self._negative.items() if n)
        counts = self._counts()
        skip = 0
        while skip < len(counts) and not counts[skip]:
            skip += 1
        counts = counts[skip:]
        if not (self._zero or negative or counts):
            return b""
        width = next(w for w in _WIDTHS if max(counts, default=0) < 1 << (8 * w))
        out = bytearray(_HEADER.pack(_TAG, width, self._base + skip, len(counts), self._zero, len(negative)))
        for index, n in negative:
            out += _NEGATIVE.pack(index, n)
        wide = counts.tobytes() if sys.byteorder == "little" else _swapped(counts)
        lanes = bytearray(len(counts) * width)
        for byte in range(width):
            lanes[byte::width] = wide[byte::_LANE]
        return bytes(out + lanes)

    def percentiles(self, fractions: Iterable[float], *, maximum: float | None = None) -> list[float | None]:
        """`percentile` of the sum at each fraction (values computed only at the ranks read)."""
        negative = sorted((i for i, n in self._negative.items() if n), reverse=True)
        head = [value_of(f"n{i}") for i in negative] + ([0.0] if self._zero else [])
        counts = [self._negative[i] for i in negative] + ([self._zero] if self._zero else [])
        seen = list(accumulate(chain(counts, self._counts())))
        first, base = len(head), self._base

        def value_at(i: int) -> float:
            return head[i] if i < first else value_of(str(base + i - first))

        return _percentiles(value_at, seen, fractions, maximum)


def _swapped(counts: array[int]) -> bytes:
    copy = array("Q", counts)
    copy.byteswap()
    return copy.tobytes()
