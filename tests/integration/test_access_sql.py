"""`Scope.q` in SQL selects exactly the rows `Scope.allows` accepts (PostgreSQL's regular expressions
read the patterns as Python does)."""

from __future__ import annotations

import pytest

from access.scope import reach_of
from pods.models import Cluster, PodStatusCount

pytestmark = pytest.mark.django_db

# exact names, names a glob nearly matches, and the globs' own characters as names
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
    "rules",
    [
        [("prod", ["shop", "pay-*"])],
        [("*", ["team-?"]), ("staging", None)],
        [("prod", ["*-eu", "x"]), ("staging", ["team-a-*"])],
        [("*", None)],
        [("*", None), ("prod", ["shop"])],
        [("*", ["shop"]), ("prod", None)],
        [],
    ],
)
def test_sql_and_python_agree(rules):
    for name in ("prod", "staging", "dev"):
        cluster = Cluster.objects.create(name=name)
        for namespace in NAMESPACES:
            PodStatusCount.objects.create(
                cluster=cluster, namespace=namespace, status="Running", deleted=False, pods=1
            )
    reach = reach_of(rules)
    rows = PodStatusCount.objects.values_list("cluster__name", "namespace")
    assert set(rows.filter(reach.q())) == {(c, n) for c, n in rows if reach.allows(c, n)}
    whole = set(rows.filter(reach.whole_clusters_q()))
    assert whole == {(c, n) for c, n in rows if any(r == (c, None) or r == ("*", None) for r in reach.rules)}
