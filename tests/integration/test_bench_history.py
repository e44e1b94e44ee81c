"""B4's generator (`bench.history`) at a tiny scale on the test database: the shape of what it writes
(counts, skew, referential integrity, the cases it promises), and every B4 measurement returns a figure.
No timing is asserted: speed is `make bench`'s business."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson
import pytest
from django.db import connection
from django.db.models import Count

from bench import b4, history
from pods.models import Attempt, Cluster, Container, Event, ImagePull, Pod, Workload
from pods.timeline.codec import decode_state

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

UNTIL = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
SCALE = 0.0008  # 800 Pods


@pytest.fixture
def generated() -> dict[str, int]:
    with connection.cursor() as cursor:
        history.fill(cursor, scale=SCALE, until=UNTIL)
        opened = history.finish(cursor, until=UNTIL)
        cursor.execute(f"CREATE TABLE {history.META_TABLE} (key text PRIMARY KEY, value jsonb NOT NULL)")
        uids = {what: Pod.objects.get(pk=pk).uid for what, pk in opened.items()}
        meta = {
            "until": UNTIL.isoformat(),
            "opened": uids,
            "scale": SCALE,
            "generated_seconds": 0,
            "counts": {"pods_pod": Pod.objects.count(), "pods_attempt": Attempt.objects.count(),
                       "pods_container": Container.objects.count()},
        }  # fmt: skip
        cursor.execute(
            f"INSERT INTO {history.META_TABLE} VALUES ('meta', %s::jsonb)", [orjson.dumps(meta).decode()]
        )
    return opened


def test_the_history_has_the_promised_shape(generated: dict[str, int]) -> None:
    assert Cluster.objects.count() == 3
    assert Workload.objects.count() == history.WORKLOADS
    pods = Pod.objects.count()
    assert pods == round(history.FULL_PODS * SCALE)
    assert set(Pod.objects.values_list("namespace", flat=True)) <= set(history.NAMESPACES)
    # Skew: the ten biggest workloads own far more than their share (10/400) of the Pods.
    sizes = sorted(Pod.objects.values_list("owner_name").annotate(n=Count("id")).values_list("n", flat=True))[
        ::-1
    ]
    assert sum(sizes[:10]) > pods * 0.25
    # Attempts: about ten rows a Pod; every attempt belongs to its container's Pod, every pull to a container.
    attempts = Attempt.objects.count()
    assert 5 * pods < attempts < 15 * pods
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pods_attempt a JOIN pods_container c ON c.id = a.container_id "
            "WHERE c.pod_id <> a.pod_id"
        )
        assert cursor.fetchone()[0] == 0
    assert ImagePull.objects.count() == Container.objects.count()
    assert not Container.objects.exclude(pod__in=Pod.objects.all()).exists()
    # The cases the generator promises.
    assert Attempt.objects.filter(known=False, count__gt=1).exists()  # placeholder runs
    assert Attempt.objects.filter(reason="OOMKilled", exit_code=137).exists()
    assert Attempt.objects.filter(exit_code=1, reason="Error").exists()
    assert ImagePull.objects.filter(already_present=True).exists()
    assert ImagePull.objects.filter(already_present=False, pull_seconds__gt=0).exists()
    assert Container.objects.filter(kind="sidecar").exists()
    assert set(Pod.objects.values_list("init_container_count", flat=True)) <= {1, 2, 3, 4, 5}
    assert Pod.objects.filter(deleted_at__isnull=False).count() > pods / 2
    assert Pod.objects.filter(deleted_at__isnull=True, failure_code="crash-loop").exists()
    assert not Pod.objects.filter(created_at__gt=UNTIL).exists()
    assert not Attempt.objects.filter(started_at__gt=UNTIL).exists()


def test_every_state_decodes_and_opened_pods_have_their_timeline(generated: dict[str, int]) -> None:
    for state in Pod.objects.values_list("state", flat=True):
        decode_state(state)
    crashing = Pod.objects.get(pk=generated["init-crash"])
    state = decode_state(crashing.state)
    assert state.uid == crashing.uid and state.name == crashing.name
    rows = Attempt.objects.filter(pod=crashing).count()
    assert sum(len(c.attempts) for c in state.containers) == rows > 3
    assert Event.objects.filter(pod_uid=crashing.uid, reason="BackOff").exists()


def test_every_b4_measurement_returns_a_figure(generated: dict[str, int], monkeypatch) -> None:
    # Two months of rollups, not a year: the same steps (hours, blocks of days, months), at a sixth of the
    # cost (building the year was ~90% of this test's time).
    monkeypatch.setattr(b4, "ROLLUP_DAYS", 62)
    h = b4.History()
    assert h.uid == Pod.objects.get(pk=generated["init-crash"]).uid
    client = b4._client()
    names = list(b4.FIGURES)
    if b4.rollups_available():
        b4.ensure_rollups(h, log=lambda text: None)
    else:
        names = [n for n in names if n not in ("report_rollup_1y", "rollup_hour")]
    for name in names:
        figure = b4.timed(b4.FIGURES[name](h, client), 1)
        assert figure["cold_ms"] > 0 and figure["median_ms"] > 0, name
        with b4.no_index():
            baseline = b4.timed(b4.BASELINE_FIGURES[name](h, client), 1)
        assert baseline["median_ms"] > 0, name


def test_the_list_read_rank_by_rank_is_the_ranked_list(generated: dict[str, int]) -> None:
    from pods.selectors import PodFilters, pod_queryset
    from pods.selectors.pods import RankedPods

    now = UNTIL
    for filters in (PodFilters(), PodFilters(include_deleted=False), PodFilters(namespace="payments")):
        ranked = pod_queryset(filters=filters, now=now)
        expected = [p.pk for p in ranked]
        assert any(p.is_stuck for p in ranked[:5]) or filters.namespace
        rows = RankedPods(ranked, now=now)
        assert rows.count() == len(expected)
        for start, stop in ((0, 50), (3, 60), (len(expected) - 7, len(expected) + 5)):
            assert [p.pk for p in rows[max(start, 0) : stop]] == expected[max(start, 0) : stop]


def test_namespaces_and_freshness_read_without_scanning_every_pod_say_the_same(
    generated: dict[str, int],
) -> None:
    from pods.selectors import namespaces
    from pods.selectors.clusters import cluster_freshness

    for cluster in ("", history.CLUSTERS[0]):
        qs = Pod.objects.filter(seen=True)
        if cluster:
            qs = qs.filter(cluster__name=cluster)
        assert namespaces(cluster=cluster) == list(
            qs.order_by("namespace").values_list("namespace", flat=True).distinct()
        )
    Cluster.objects.create(name="no-pods")
    assert [e["name"] for e in cluster_freshness()] == sorted(history.CLUSTERS)


def test_a_cached_history_gets_the_migrations_added_since(monkeypatch) -> None:
    # A new app's tables (a sign-in lockout, grants) must exist in a history kept from before it: the
    # cached database is reused only after `migrate` (its own tables depend on pods' migrations alone).
    migrated: list[str] = []
    meta = {"fingerprint": history.fingerprint(1.0), "counts": {"pods_pod": 1, "pods_attempt": 1},
            "generated_seconds": 1}  # fmt: skip
    monkeypatch.setattr(history, "cached_meta", lambda url: meta)
    monkeypatch.setattr(history, "migrate", migrated.append)
    monkeypatch.setattr(history, "build", lambda *a, **k: pytest.fail("a cached history was rebuilt"))
    url, found = history.ensure("postgres://postgres@127.0.0.1:5432/initscope", log=lambda text: None)
    assert found is meta and migrated == [url]
