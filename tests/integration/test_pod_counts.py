"""The overview's counts per STATUS that PostgreSQL keeps (`PodStatusCount`, migration 0010) equal a
count of the rows after every kind of write: ingest (insert and upsert), the projection's updates,
marking deleted, retention's deletes, a cluster's deletion (cascade) and a truncate."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection, transaction
from django.db.models import Count

from pods import selectors
from pods.models import Cluster, Pod, PodStatusCount
from pods.selectors import PodFilters

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the counts are kept by PostgreSQL triggers"
)
NOW = datetime(2026, 12, 1, tzinfo=UTC)


def _counted() -> dict[tuple, int]:
    rows = (
        Pod.objects.filter(seen=True)
        .values_list("cluster_id", "namespace", "status", "deleted_at")
        .order_by()
    )
    out: dict[tuple, int] = {}
    for cluster_id, namespace, status, deleted_at in rows:
        key = (cluster_id, namespace, status, deleted_at is not None)
        out[key] = out.get(key, 0) + 1
    return out


def _kept() -> dict[tuple, int]:
    return {
        (c.cluster_id, c.namespace, c.status, c.deleted): c.pods
        for c in PodStatusCount.objects.filter(pods__gt=0)
    }


def _pod(cluster: Cluster, uid: str, **fields) -> Pod:
    fields = {"namespace": "shop", "status": "Init:0/2", "seen": True, "created_at": NOW, **fields}
    return Pod.objects.create(cluster=cluster, uid=uid, name=uid, updated_at=NOW, **fields)


@pytest.mark.django_db
def test_the_kept_counts_equal_the_rows_after_every_kind_of_write():
    a = Cluster.objects.create(name="a")
    b = Cluster.objects.create(name="b")
    for i in range(6):
        _pod(a, f"a{i}")
    _pod(a, "unseen", seen=False)
    _pod(b, "b0", namespace="payments", status="Running")
    assert (
        _kept()
        == _counted()
        == {(a.pk, "shop", "Init:0/2", False): 6, (b.pk, "payments", "Running", False): 1}
    )

    # the projection's updates, one statement for several rows and one per row
    Pod.objects.filter(uid__in=["a0", "a1"]).update(status="Init:CrashLoopBackOff")
    Pod.objects.filter(uid="a2").update(status="Running", namespace="web")
    Pod.objects.filter(uid="a3").update(deleted_at=NOW + timedelta(minutes=1))
    Pod.objects.filter(uid="unseen").update(seen=True, status="Pending")
    Pod.objects.filter(uid="a4").update(status="Init:0/2")  # unchanged
    assert _kept() == _counted()

    # retention deletes gone Pods; a cluster's deletion cascades
    Pod.objects.filter(uid="a3").delete()
    assert _kept() == _counted()
    b.delete()
    assert _kept() == _counted()
    assert not PodStatusCount.objects.filter(cluster_id=b.pk).exists()


@pytest.mark.django_db
def test_ingests_upsert_keeps_the_counts(imported_samples):
    assert _kept() == _counted()
    counts = selectors.status_counts(filters=PodFilters())
    by_status = Pod.objects.filter(seen=True).values_list("status").annotate(n=Count("id")).order_by()
    assert counts == dict(by_status)
    # filtered by namespace and without the deleted ones, the same as counting the rows
    namespace = Pod.objects.filter(seen=True).values_list("namespace", flat=True).first()
    for filters in (PodFilters(namespace=namespace), PodFilters(include_deleted=False)):
        rows = selectors.pod_queryset(filters=filters).order_by()
        assert selectors.status_counts(filters=filters) == dict(
            rows.values_list("status").annotate(n=Count("id")).values_list("status", "n")
        )


@pytest.mark.django_db(transaction=True)
def test_a_write_rolled_back_leaves_the_counts_as_they_were():
    cluster = Cluster.objects.create(name="c")
    _pod(cluster, "p0")
    before = _kept()
    with pytest.raises(RuntimeError), transaction.atomic():
        _pod(cluster, "p1")
        Pod.objects.filter(uid="p0").update(status="Running")
        raise RuntimeError
    assert _kept() == before == _counted()
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE pods_pod CASCADE")
    assert _kept() == {} == _counted()
