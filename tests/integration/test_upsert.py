"""`pods.ingest.upsert` on PostgreSQL: the temporary table each target and column list uses is kept by the
session (emptied at every commit), so it must hold only the rows of the upsert at hand: twice in one
transaction, in the next transaction, after a transaction that created it was rolled back, and beside
another upsert of the same target with other columns."""

from __future__ import annotations

import pytest
from django.db import connection, transaction

from pods.ingest.upsert import upsert
from pods.models import Cluster, MetricTotal

pytestmark = pytest.mark.django_db(transaction=True)
KEY = ("cluster_id", "series")
COLUMNS = ("cluster_id", "series", "value", "net")
OTHER_COLUMNS = ("cluster_id", "series", "net", "value")  # another column list: another table


def _upsert(cluster: Cluster, rows, columns=COLUMNS) -> set[str]:
    """The series of the rows the upsert says it wrote."""
    with transaction.atomic():
        written = upsert(
            MetricTotal, columns, [(cluster.pk, *row) for row in rows], key=KEY, update=columns[2:]
        )
    assert all(
        found == MetricTotal.objects.get(cluster=cluster, series=k[1]).pk for k, found in written.items()
    )
    return {series for _, series in written}


def _temp_tables() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname FROM pg_class WHERE relpersistence = 't'"
            " AND relname LIKE '_upsert_pods_metrictotal_%'"
        )
        return sorted(name for (name,) in cursor.fetchall())


@pytest.fixture
def cluster() -> Cluster:
    if connection.vendor != "postgresql":
        pytest.skip("the temporary tables are PostgreSQL's path")
    return Cluster.objects.create(name="upsert")


def test_the_temporary_table_holds_only_the_rows_of_the_upsert_at_hand(cluster):
    assert _upsert(cluster, [("a", 1.0, 1.0), ("b", 2.0, 2.0)]) == {"a", "b"}
    assert len(_temp_tables()) == 1, "created once, kept by the session"
    # The next transaction: the rows of the first are gone (ON COMMIT DELETE ROWS), only these come back.
    assert _upsert(cluster, [("c", 3.0, 3.0)]) == {"c"}
    # Twice in one transaction: the second sees none of the first's rows.
    with transaction.atomic():
        once = upsert(MetricTotal, COLUMNS, [(cluster.pk, "d", 4.0, 4.0)], key=KEY, update=COLUMNS[2:])
        twice = upsert(MetricTotal, COLUMNS, [(cluster.pk, "a", 9.0, 9.0)], key=KEY, update=COLUMNS[2:])
    assert set(once) == {(cluster.pk, "d")} and set(twice) == {(cluster.pk, "a")}
    assert MetricTotal.objects.get(cluster=cluster, series="a").value == 9.0
    # Another column list of the same target: a table of its own.
    assert _upsert(cluster, [("e", 5.0, 5.0)], columns=OTHER_COLUMNS) == {"e"}
    assert len(_temp_tables()) == 2
    assert MetricTotal.objects.filter(cluster=cluster).count() == 5


def test_a_rolled_back_transaction_that_created_the_table_leaves_the_next_upsert_working(cluster):
    connection.close()  # a new session: the table does not exist yet
    with pytest.raises(RuntimeError), transaction.atomic():
        upsert(MetricTotal, COLUMNS, [(cluster.pk, "r-a", 1.0, 1.0)], key=KEY, update=COLUMNS[2:])
        raise RuntimeError("the batch failed after the upsert")
    assert _temp_tables() == [], "created in the rolled-back transaction: gone with it"
    assert _upsert(cluster, [("r-b", 2.0, 2.0)]) == {"r-b"}
    assert list(MetricTotal.objects.values_list("series", flat=True)) == ["r-b"]
