"""The comparison of two periods (pure): matching on the row key, the changes, the regression thresholds
at their exact boundary, the minimum of attempts, and image tags."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from pods.reports import compare
from pods.reports.compare import Thresholds

KEY = {"cluster": "c1", "namespace": "shop", "workload_kind": "Deployment", "workload": "api"}


def row(container="migrate", *, attempts=10, failed=0, rate=0.0, p50=5.0, p95=10.0, p99=10.0, top=10.0):
    return {
        **KEY, "container": container, "kind": "init", "pods": attempts, "attempts": attempts,
        "failed": failed, "failure_rate": rate, "duration_p50": p50, "duration_p95": p95,
        "duration_p99": p99, "duration_max": top,
    }  # fmt: skip


def test_rows_are_matched_on_their_key_and_each_change_is_stated():
    a = [row(p50=5.0, p95=10.0, p99=10.0, top=10.0, rate=0.1, failed=1), row("gone")]
    b = [row(p50=4.0, p95=12.5, p99=20.0, top=30.0, rate=0.25, failed=3, attempts=12), row("new")]
    rows = compare.compare_rows(a, b, Thresholds())
    by_container = {r["container"]: r for r in rows}
    assert [r["presence"] for r in rows] == ["both", "a", "b"]  # the regression first, then by key
    m = by_container["migrate"]
    assert (m["a_attempts"], m["b_attempts"], m["attempts_change"]) == (10, 12, 2)
    assert (m["duration_p50_change"], m["duration_p50_change_pct"]) == (-1.0, -20.0)
    assert (m["duration_p95_change"], m["duration_p95_change_pct"]) == (2.5, 25.0)
    assert (m["duration_max_change"], m["duration_max_change_pct"]) == (20.0, 200.0)
    assert m["failure_rate_change_points"] == 15.0
    assert m["regression_p95"] and m["regression_failure_rate"] and m["regression"]
    gone, new = by_container["gone"], by_container["new"]
    assert gone["b_attempts"] is None and gone["attempts_change"] is None and not gone["regression"]
    assert new["a_duration_p95"] is None and new["duration_p95_change_pct"] is None
    assert tuple(m) == compare.FIELDS


@pytest.mark.parametrize(
    ("before", "after", "threshold", "flagged"),
    [
        (10.0, 12.0, 20.0, False),  # exactly 20 %: not more than the threshold
        (10.0, 12.001, 20.0, True),
        (10.0, 12.0, 19.99, True),
        (9.55, 11.46, 20.0, False),  # 9.55 × 1.2 = 11.46 exactly (floats would say 20.000000000000004 %)
        (0.0, 5.0, 20.0, False),  # no relative change from zero
        (10.0, 8.0, 0.0, False),
    ],
)
def test_the_p95_threshold_is_exact_at_its_boundary(before, after, threshold, flagged):
    verdict = compare.compare_rows([row(p95=before)], [row(p95=after)], Thresholds(p95=threshold))[0]
    assert verdict["regression_p95"] is flagged and verdict["regression"] is flagged


@pytest.mark.parametrize(
    ("before", "after", "points", "flagged"),
    [
        (0.1, 0.15, 5.0, False),  # +5 points exactly
        (0.1, 0.1501, 5.0, True),
        (0.0909, 0.2857, 19.48, False),
        (0.0909, 0.2857, 19.47, True),
        (0.3, 0.2, 0.0, False),
    ],
)
def test_the_failure_rate_threshold_is_in_points_and_exact(before, after, points, flagged):
    a, b = row(rate=before, failed=1), row(rate=after, failed=2)
    verdict = compare.compare_rows([a], [b], Thresholds(failure_rate=points))[0]
    assert verdict["regression_failure_rate"] is flagged


def test_a_change_over_fewer_attempts_than_the_minimum_is_shown_not_flagged():
    a, b = row(attempts=2, rate=0.0, p95=1.0), row(attempts=2, failed=1, rate=0.5, p95=9.0)
    shown = compare.compare_rows([a], [b], Thresholds())[0]
    assert shown["failure_rate_change_points"] == 50.0 and shown["duration_p95_change_pct"] == 800.0
    assert not shown["regression"]
    assert compare.compare_rows([a], [b], Thresholds(min_attempts=2))[0]["regression"]
    assert not compare.compare_rows([row(attempts=9)], [row(attempts=50, p95=99.0)], Thresholds())[0][
        "regression"
    ]


@pytest.mark.parametrize(
    ("image", "tag"),
    [
        ("acme/migrate:2.1", "2.1"),
        ("registry.local:5000/acme/migrate:2.1", "2.1"),
        ("registry.local:5000/acme/migrate", "latest"),
        ("busybox", "latest"),
        ("acme/migrate@sha256:9c1f", "sha256:9c1f"),
        ("acme/migrate:2.1@sha256:9c1f", "2.1"),
        ("", ""),
    ],
)
def test_image_tags(image, tag):
    assert compare.image_tag(image) == tag


def test_by_image_each_tag_is_compared_with_the_one_rolled_out_before_it():
    t0 = datetime(2025, 6, 2, tzinfo=UTC)
    key = tuple(row().get(k) for k in compare.KEY)
    other = tuple(row("setup").get(k) for k in compare.KEY)
    by_tag = {"1.0": [row(p95=10.0)], "2.0": [row(p95=14.0)], "3.0": [row(p95=14.0)], "9": [row("setup")]}
    seen = {
        (key, "2.0"): t0 + timedelta(hours=5),
        (key, "1.0"): t0,
        (key, "3.0"): t0 + timedelta(hours=9),
        (other, "9"): t0,
    }
    rows = compare.compare_images(by_tag, seen, Thresholds())
    pairs = [(r["container"], r["a_image"], r["b_image"], r["presence"], r["regression"]) for r in rows]
    assert pairs == [
        ("migrate", "1.0", "2.0", "both", True),
        ("migrate", "2.0", "3.0", "both", False),
        ("setup", None, "9", "b", False),
    ]


def test_the_default_period_a_is_as_long_as_b_and_just_before_it():
    now = datetime(2025, 6, 10, tzinfo=UTC)
    a, b = compare.periods({"b_since": "-24h"}, now)
    assert (b.since, b.until) == (now - timedelta(hours=24), now)
    assert (a.since, a.until) == (now - timedelta(hours=48), now - timedelta(hours=24))
    a, b = compare.around(now, timedelta(hours=1))
    assert (a.since, a.until, b.since, b.until) == (
        now - timedelta(hours=1), now, now, now + timedelta(hours=1),
    )  # fmt: skip
    with pytest.raises(compare.PeriodError) as bad:
        compare.periods({"a_since": "yesterday"}, now)
    assert bad.value.field == "a_since"
    with pytest.raises(compare.PeriodError) as bad:
        compare.periods({"b_until": "-7x"}, now)
    assert bad.value.field == "b_until"
