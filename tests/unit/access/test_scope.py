"""The scope's one rule read two ways: `Reach.allows` (sockets, Python) and `Reach.q` (SQL) agree on
every namespace, for exact names and `*`/`?` patterns."""

from __future__ import annotations

import pytest

from access.scope import (
    EVERYTHING,
    NOTHING,
    PatternError,
    Reach,
    Scope,
    check_pattern,
    pattern_regex,
    reach_of,
)

NAMESPACES = [
    "shop",
    "shop-eu",
    "payments",
    "pay-eu",
    "pay-",
    "team-a-web",
    "team-a",
    "team-ab",
    "team-b",
    "x",
]


@pytest.mark.parametrize(
    ("pattern", "matched"),
    [
        ("shop", {"shop"}),
        ("pay-*", {"pay-eu", "pay-"}),
        ("team-a-*", {"team-a-web"}),
        ("team-?", {"team-a", "team-b"}),
        ("*", set(NAMESPACES)),
        ("*-eu", {"shop-eu", "pay-eu"}),
    ],
)
def test_a_pattern_matches_whole_names_only(pattern, matched):
    reach = reach_of([("prod", [pattern])])
    assert {n for n in NAMESPACES if reach.allows("prod", n)} == matched
    assert not any(reach.allows("staging", n) for n in NAMESPACES)


@pytest.mark.parametrize("bad", ["Shop", "a.b", "a_b", "[ab]", "-x", "", "a" * 64, "shop\n", "pay-.*"])
def test_anything_but_a_name_or_its_glob_is_refused(bad):
    with pytest.raises(PatternError):
        check_pattern(bad)


def test_the_regex_is_anchored_and_has_only_wildcards_for_metacharacters():
    assert pattern_regex("team-a-*") == "^team-a-.*$"
    assert pattern_regex("team-?") == "^team-.$"


def test_a_whole_cluster_swallows_its_namespaces_and_any_cluster_applies_everywhere():
    reach = reach_of([("prod", ["shop"]), ("prod", None), ("*", ["x"])])
    assert reach.rules == (("*", ("x",)), ("prod", None))
    assert reach.allows("prod", "anything") and reach.allows("staging", "x")
    assert not reach.allows("staging", "shop")
    assert reach.allows_cluster("staging")  # "*" grants a namespace of every cluster


def test_everything_and_nothing():
    assert EVERYTHING.allows("any", "ns") and EVERYTHING.everything and not EVERYTHING.empty
    assert not NOTHING.allows("any", "ns") and NOTHING.empty and not NOTHING.allows_cluster("any")
    logs_apart = Scope(read=reach_of([("prod", None)]), logs=reach_of([("prod", ["shop"])]))
    assert logs_apart.allows_logs("prod", "shop") and not logs_apart.allows_logs("prod", "payments")
    assert not Scope(read=Reach(), logs=EVERYTHING.logs).allows_logs("prod", "shop")  # logs within read only
