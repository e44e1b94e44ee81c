"""The log-bucketed histograms of the rollups: every value read back within 1%, percentiles within the
stated 2% of `definitions.percentile` across 1 ms … 1 h, histograms that add up like their values."""

from __future__ import annotations

import math
import random

import pytest

from pods.reports import definitions as d
from pods.reports import histogram as h

FRACTIONS = (0.0, 0.01, 0.25, 0.5, 0.9, 0.95, 0.99, 1.0)


def _log_spaced(n: int, low: float = 0.001, high: float = 3600.0) -> list[float]:
    return [low * (high / low) ** (i / (n - 1)) for i in range(n)]


def test_every_value_from_a_millisecond_to_an_hour_reads_back_within_one_percent():
    for value in _log_spaced(5000):
        assert abs(h.value_of(h.bucket(value)) - value) <= h.EPSILON * value
        assert abs(h.value_of(h.bucket(-value)) + value) <= h.EPSILON * value


def test_zero_is_exact_and_an_empty_histogram_has_no_percentile():
    assert h.value_of(h.bucket(0.0)) == 0.0
    assert h.percentile({}, 0.5) is None
    assert h.percentile(h.histogram([0.0, 0.0]), 0.95) == 0.0


@pytest.mark.parametrize("seed", range(20))
def test_percentiles_are_within_the_bound_of_the_exact_ones(seed):
    rng = random.Random(seed)
    n = rng.choice([1, 2, 3, 7, 50, 1000])
    # Log-uniform over 1 ms … 1 h, some whole seconds (Kubernetes times), some repeated values.
    values = [math.exp(rng.uniform(math.log(0.001), math.log(3600))) for _ in range(n)]
    values += [float(rng.randint(1, 3600)) for _ in range(n // 3)] + values[: n // 5]
    hist = h.histogram(values)
    for fraction in FRACTIONS:
        exact = d.percentile(values, fraction)
        approx = h.percentile(hist, fraction, maximum=max(values))
        assert exact is not None and approx is not None
        assert abs(approx - exact) <= h.BOUND * exact, (fraction, exact, approx)
    assert h.percentile(hist, 1.0, maximum=max(values)) == max(values)


def test_hours_add_up_like_their_values():
    rng = random.Random(7)
    hours = [[rng.uniform(0.5, 90) for _ in range(rng.randint(0, 30))] for _ in range(24)]
    merged: h.Histogram = {}
    for values in hours:
        h.add(merged, h.histogram(values))
    together = [v for values in hours for v in values]
    assert merged == h.histogram(together)
    assert h.count(merged) == len(together)


def test_a_wrong_bucket_width_would_break_the_bound(monkeypatch):
    """The test above can fail: with buckets ten times wider the error exceeds 2%."""
    monkeypatch.setattr(h, "_LOG_GAMMA", math.log(1.2))
    monkeypatch.setattr(h, "GAMMA", 1.2)
    values = _log_spaced(200, 1, 100)
    errors = [abs(h.value_of(h.bucket(v)) - v) / v for v in values]
    assert max(errors) > h.BOUND


def _mixed(seed: int) -> list[float]:
    rng = random.Random(seed)
    values = [
        math.exp(rng.uniform(math.log(0.001), math.log(3600))) for _ in range(rng.choice([1, 40, 3000]))
    ]
    return values + [0.0] * rng.randint(0, 3) + [-rng.uniform(0.01, 5) for _ in range(rng.randint(0, 3))]


@pytest.mark.parametrize("seed", range(10))
def test_packed_histograms_read_back_and_add_up_like_the_mappings(seed):
    parts = [h.histogram(_mixed(seed * 10 + i)) for i in range(4)]
    for part in parts:
        assert h.unpack(h.pack(part)) == part
    merged: h.Histogram = {}
    total = h.Sum()
    for i, part in enumerate(parts):
        h.add(merged, part)
        total.add(h.pack(part) if i % 2 else part)  # packed or not
    assert dict(total.items()) == merged
    assert h.unpack(total.packed()) == merged and total.packed() == h.pack(merged)
    assert total.count() == h.count(merged)
    top = max(v for i in range(4) for v in _mixed(seed * 10 + i))
    expected = [h.percentile(merged, f, maximum=top) for f in FRACTIONS]
    assert total.percentiles(FRACTIONS, maximum=top) == pytest.approx(expected, rel=1e-12)


def test_packed_counts_take_the_narrowest_width_and_large_counts_survive():
    small = h.pack({"10": 3, "12": 255})
    assert len(small) == len(h.pack({"10": 3})) + 2  # one byte per bucket from the first to the last
    big = {"-5": 2**40, "3": 1, "z": 7, "n4": 2}
    assert h.unpack(h.pack(big)) == big
    assert h.pack({}) == b"" and h.unpack(b"") == {} and h.Sum().percentiles((0.5,)) == [None]
    assert dict(h.Sum().add(h.pack(big)).add(h.pack(big)).items()) == {k: 2 * v for k, v in big.items()}
