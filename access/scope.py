"""What one user may read: every cluster, or per cluster a set of namespace patterns; logs apart.

Pure values, computed once per request or socket from the user's grants (`access.grants.scope_for`) and
passed down to the selectors, which narrow every query with `Scope.q` (and the live sockets every message
with `Scope.allows`). One rule, two readings: a namespace pattern is an exact name or a glob with `*` (any
run of characters) and `?` (one character), matched in Python by `pattern_regex` and in SQL by the same
regular expression.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Q

ANY_CLUSTER = "*"
# A namespace is a DNS label (lowercase letters, digits, `-`); a pattern adds `*` and `?`.
PATTERN = re.compile(r"[a-z0-9*?]([-a-z0-9*?]{0,61}[a-z0-9*?])?")


class PatternError(ValueError):
    pass


def check_pattern(pattern: str) -> str:
    """`pattern` when it is a namespace name or a glob of one (`team-a-*`), else PatternError."""
    if not isinstance(pattern, str) or not PATTERN.fullmatch(pattern):
        raise PatternError(
            f"{str(pattern)[:80]!r} is not a namespace name or pattern (lowercase letters, digits, `-`, "
            "and the wildcards `*` and `?`)"
        )
    return pattern


def is_glob(pattern: str) -> bool:
    return "*" in pattern or "?" in pattern


def pattern_regex(pattern: str) -> str:
    """The anchored regular expression of a checked pattern; the same text in Python and PostgreSQL
    (its other characters, letters, digits and `-`, stand for themselves in both)."""
    check_pattern(pattern)
    return "^" + pattern.replace("?", ".").replace("*", ".*") + "$"


@dataclass(frozen=True, slots=True)
class Reach:
    """Clusters and namespaces: `everything`, or `rules`, each (cluster or "*", its namespace patterns or
    None for the whole cluster). No rule: nothing."""

    everything: bool = False
    rules: tuple[tuple[str, tuple[str, ...] | None], ...] = ()

    def allows_cluster(self, cluster: str) -> bool:
        return self.everything or any(c in (ANY_CLUSTER, cluster) for c, _ in self.rules)

    def allows(self, cluster: str, namespace: str) -> bool:
        if self.everything:
            return True
        for c, patterns in self.rules:
            if c not in (ANY_CLUSTER, cluster):
                continue
            if patterns is None or any(re.fullmatch(pattern_regex(p), namespace) for p in patterns):
                return True
        return False

    def q(self, prefix: str = "", *, cluster: str = "cluster__name") -> Q:
        """The rows (reached through the lookup `prefix`, e.g. "pod__") in reach: a cluster name at
        `prefix + cluster` (`cluster__name` through a foreign key, `cluster` for a name column) and a
        namespace at `prefix + "namespace"`."""
        if self.everything or (ANY_CLUSTER, None) in self.rules:
            return Q()  # (an empty Q ORed into another is dropped: "every row" is said here, once)
        reach = Q(**{f"{prefix}pk__in": []})  # nothing: no row's key is in an empty list
        for c, patterns in self.rules:
            in_cluster = Q() if c == ANY_CLUSTER else Q(**{f"{prefix}{cluster}": c})
            if patterns is None:
                reach |= in_cluster
                continue
            names = [p for p in patterns if not is_glob(p)]
            globs = [p for p in patterns if is_glob(p)]
            namespaces = Q(**{f"{prefix}namespace__in": names}) if names else Q(**{f"{prefix}pk__in": []})
            for p in globs:
                namespaces |= Q(**{f"{prefix}namespace__regex": pattern_regex(p)})
            reach |= in_cluster & namespaces
        return reach

    def whole_clusters_q(self, prefix: str = "", *, cluster: str = "cluster__name") -> Q:
        """The rows of the clusters in reach as a whole: for rows without a namespace (a node's figures mix
        every namespace's Pods), which a grant of some namespaces only does not reach."""
        if self.everything or (ANY_CLUSTER, None) in self.rules:
            return Q()
        reach = Q(**{f"{prefix}pk__in": []})
        for c, patterns in self.rules:
            if patterns is None:
                reach |= Q(**{f"{prefix}{cluster}": c})
        return reach


def reach_of(rules: Iterable[tuple[str, Iterable[str] | None]]) -> Reach:
    """A Reach from grant-like rules, in a stable order (a whole cluster swallows its namespaces)."""
    merged: dict[str, set[str] | None] = {}
    for cluster, patterns in rules:
        if patterns is None or merged.get(cluster, set()) is None:
            merged[cluster] = None
            continue
        found = merged.setdefault(cluster, set())
        assert found is not None
        found.update(check_pattern(p) for p in patterns)
    return Reach(
        rules=tuple(
            (c, None if p is None else tuple(sorted(p))) for c, p in sorted(merged.items()) if p is None or p
        )
    )


@dataclass(frozen=True, slots=True)
class Scope:
    """What a user may read (`read`) and whose logs (`logs`, within `read`)."""

    read: Reach = field(default_factory=Reach)
    logs: Reach = field(default_factory=Reach)

    @property
    def everything(self) -> bool:
        return self.read.everything

    @property
    def empty(self) -> bool:
        return not self.read.everything and not self.read.rules

    def allows_cluster(self, cluster: str) -> bool:
        return self.read.allows_cluster(cluster)

    def allows(self, cluster: str, namespace: str) -> bool:
        return self.read.allows(cluster, namespace)

    def allows_logs(self, cluster: str, namespace: str) -> bool:
        return self.read.allows(cluster, namespace) and self.logs.allows(cluster, namespace)

    def q(self, prefix: str = "", *, cluster: str = "cluster__name") -> Q:
        return self.read.q(prefix, cluster=cluster)

    def whole_clusters_q(self, prefix: str = "", *, cluster: str = "cluster__name") -> Q:
        return self.read.whole_clusters_q(prefix, cluster=cluster)


EVERYTHING = Scope(read=Reach(everything=True), logs=Reach(everything=True))
NOTHING = Scope()
