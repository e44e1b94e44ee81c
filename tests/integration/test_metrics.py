"""GET /metrics (docs/signals.md): the token rule; a scrape, parsed by prometheus_client's own parser, says
what the hand-computed table of the reports holds (tests/integration/report_table.py); counters never go
backwards when retention prunes, when rollups are rebuilt or when late details move an attempt; the
workload cap; no Pod name or uid in any label; the watcher's own numbers; every initscope_ metric the
deploy/ examples use exists in a real scrape."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from django.db.models import F
from prometheus_client.parser import text_string_to_metric_families

from pods.history import retention
from pods.ingest import (
    WatchItem,
    ingest_batch,
    watch_batch_record,
    watch_list_record,
    watch_stream_error_record,
)
from pods.models import Attempt, Cluster, MetricHour, MetricTotal, Pod
from pods.reports import rollup_build
from pods.selectors import cluster_health
from tests.builders import migrate_crash_looping, rebased
from tests.integration import report_table as table

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "s3cret-token"
API = {"cluster": "c1", "namespace": "shop", "workload_kind": "Deployment", "workload": "api"}
LABELS = {"cluster", "namespace", "workload_kind", "workload", "container", "outcome", "reason", "resource"}
LABELS |= {"cause", "state", "le"}


@pytest.fixture
def metrics_on(settings):
    settings.INITSCOPE_METRICS_TOKEN = TOKEN
    settings.INITSCOPE_RETAIN_ATTEMPTS_DAYS = 365 * 100  # the table's hours are within the raw horizon


@pytest.fixture
def stored(metrics_on):
    cluster = table.build()
    table.late_details()
    rollup_build.rebuild(None, None)
    return cluster


def scrape(client) -> dict[tuple[str, frozenset], float]:
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200, response.content
    text = response.content.decode()
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(samples, name, **labels) -> float | None:
    return samples.get((name, frozenset(labels.items())))


def counters(samples):
    """Every sample that must never go down: counters and the buckets, sums and counts of histograms."""
    return {k: v for k, v in samples.items() if k[0].endswith(("_total", "_bucket", "_sum", "_count"))}


def test_the_token_rule(client, settings):
    settings.INITSCOPE_METRICS_TOKEN = ""
    off = client.get("/metrics", HTTP_AUTHORIZATION="Bearer ")
    assert off.status_code == 403 and b"INITSCOPE_METRICS_TOKEN" in off.content
    settings.INITSCOPE_METRICS_TOKEN = TOKEN
    for header in (None, "Bearer wrong", f"Basic {TOKEN}", f"Bearer {TOKEN}x", "Bearer"):
        extra = {} if header is None else {"HTTP_AUTHORIZATION": header}
        response = client.get("/metrics", **extra)
        assert response.status_code == 401, header
        assert response["WWW-Authenticate"].startswith("Bearer")
    ok = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert ok.status_code == 200 and ok["Content-Type"].startswith("text/plain")
    assert client.post("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 405
    openmetrics = client.get(
        "/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}", HTTP_ACCEPT="application/openmetrics-text"
    )
    assert openmetrics["Content-Type"].startswith("application/openmetrics-text")
    assert openmetrics.content.rstrip().endswith(b"# EOF")


def test_a_scrape_says_what_the_table_holds(stored, client):
    s = scrape(client)
    migrate, proxy = {**API, "container": "migrate"}, {**API, "container": "proxy"}
    # api-1 5 (1 + 3 placeholders + 1), api-2 2 (two generations), api-1 again 3, api-0 1.
    assert value(s, "initscope_init_container_attempts_total", **migrate) == 11
    assert value(s, "initscope_init_container_attempts_total", **proxy) == 4  # 1, then 2 placeholders + 1
    failures = "initscope_init_container_failures_total"
    assert value(s, failures, **migrate, reason="Error") == 2
    assert value(s, failures, **migrate, reason="unknown") == 3  # api-1's placeholders
    assert value(s, failures, **migrate, reason="StartError") == 1
    assert value(s, failures, **migrate, reason="OOMKilled") == 1
    assert value(s, failures, **proxy, reason="unknown") is None  # a sidecar's restarts are not failures
    run = "initscope_init_container_duration_seconds"
    ok = {**migrate, "outcome": "succeeded"}  # 20 s, 40 s, 20 s, 10 s
    assert value(s, f"{run}_count", **ok) == 4 and value(s, f"{run}_sum", **ok) == 90
    bounds = ("5.0", "10.0", "30.0", "60.0", "+Inf")
    assert [value(s, f"{run}_bucket", **ok, le=le) for le in bounds] == [0, 1, 3, 4, 4]
    failed = {**migrate, "outcome": "failed"}  # 10 s and 30 s; the StartError has no usable start
    assert value(s, f"{run}_count", **failed) == 2 and value(s, f"{run}_sum", **failed) == 40
    assert value(s, f"{run}_count", **migrate, outcome="oom-killed") == 1
    assert value(s, f"{run}_sum", **proxy, outcome="succeeded") == 8  # to started: 4 s twice
    bare = {"cluster": "c1", "namespace": "shop", "workload_kind": "Pod", "workload": "<none>"}
    assert value(s, f"{run}_sum", **bare, container="wait", outcome="succeeded") == 2
    pull = {"cluster": "c1", "namespace": "shop", "workload": "api", "container": "migrate"}
    assert value(s, "initscope_image_pull_duration_seconds_count", **pull) == 3  # once per Pod
    assert value(s, "initscope_image_pull_duration_seconds_sum", **pull) == 15
    assert value(s, "initscope_image_pull_queue_wait_seconds_sum", **pull) == 4
    startup = {"cluster": "c1", "namespace": "shop", "workload": "api"}
    assert value(s, "initscope_pod_initialized_seconds_sum", **startup) == 60 + 91 + 85 + 20
    assert value(s, "initscope_pod_ready_seconds_count", **startup) == 3
    assert value(s, "initscope_pod_ready_seconds_bucket", **startup, le="60.0") == 1
    assert value(s, "initscope_pod_ready_seconds_bucket", **startup, le="120.0") == 3


def test_no_pod_name_or_uid_in_any_label(stored, client):
    samples = scrape(client)
    names = {(k, v) for _, labels in samples for k, v in labels}
    assert {k for k, _ in names} <= LABELS
    pods = set(Pod.objects.values_list("name", flat=True)) | set(Pod.objects.values_list("uid", flat=True))
    assert {v for _, v in names} & pods == set()


def test_counters_never_go_back_when_retention_prunes_and_rollups_are_rebuilt(stored, client, settings):
    before = counters(scrape(client))
    assert len(before) > 50
    # Raw rows lost within the raw horizon, the hours rebuilt: raw rows say less, the counters hold.
    Pod.objects.filter(uid__in=["a", "c"]).delete()
    rollup_build.rebuild(None, None)
    assert MetricTotal.objects.filter(net__lt=F("value")).exists()  # the totals did lose something
    assert counters(scrape(client)) == before
    # Retention prunes everything past one day (the table is from 2025), attempts, rollups and the hours'
    # cells; rebuilt after that, with the horizon that goes with it or a wider one, nothing counts twice.
    outcome = retention.maintain(retention=retention.Retention(1, 1, 1))
    assert any(step.rows for step in outcome.steps)
    assert not MetricHour.objects.exists()
    rollup_build.rebuild(None, None)
    assert counters(scrape(client)) == before
    settings.INITSCOPE_RETAIN_ATTEMPTS_DAYS = 1
    rollup_build.rebuild(None, None)
    assert counters(scrape(client)) == before


def test_rebuilding_changes_nothing_and_late_details_count_once(metrics_on, client):
    table.build()
    rollup_build.rebuild(None, None)
    first = counters(scrape(client))
    rollup_build.rebuild(None, None)
    assert counters(scrape(client)) == first
    # worker-1's second placeholder turns out to have started the next day: it moves to another hour.
    table.late_details()
    rollup_build.rebuild(None, None)
    later = scrape(client)
    assert all(later.get(k, 0) >= v for k, v in first.items())
    setup = {**API, "workload": "worker", "container": "setup"}
    assert value(later, "initscope_init_container_attempts_total", **setup) == 2  # not 3
    assert value(later, "initscope_init_container_duration_seconds_count", **setup, outcome="succeeded") == 1


def test_workloads_past_the_cap_count_as_other(metrics_on, client, settings):
    settings.INITSCOPE_METRICS_WORKLOADS_PER_CLUSTER = 2
    table.build()
    table.late_details()
    rollup_build.rebuild(None, None)  # hour by hour: api (May 31 10:00), worker (23:00), then the bare Pod
    s = scrape(client)
    workloads = {v for _, labels in s for k, v in labels if k == "workload"}
    assert workloads == {"api", "worker", "other"}
    other = {"cluster": "c1", "namespace": "shop", "workload_kind": "other", "workload": "other"}
    assert value(s, "initscope_init_container_attempts_total", **other, container="other") == 1
    assert (
        value(s, "initscope_pod_ready_seconds_count", cluster="c1", namespace="shop", workload="other") == 1
    )
    assert value(s, "initscope_metrics_capped_workloads", cluster="c1") == 1
    # A new workload later still counts as other; the admitted ones keep their own series.
    settings.INITSCOPE_METRICS_WORKLOADS_PER_CLUSTER = 100
    assert value(scrape(client), "initscope_metrics_capped_workloads", cluster="c1") == 1


def test_ingested_pods_are_counted_by_the_rollup_task_and_stuck_now(metrics_on, client):
    now = datetime.now(UTC).replace(microsecond=0)
    cluster = Cluster.objects.create(name="live", watched=True)
    base = now - timedelta(minutes=10)
    objects = [rebased(migrate_crash_looping(rv, rc, 5 + 20 * rc), base) for rv, rc in ((2, 1), (3, 3))]
    ingest_batch(cluster=cluster, items=[WatchItem("pod", o, "MODIFIED") for o in objects])
    assert rollup_build.run_marks().recomputed >= 1
    s = scrape(client)
    stored = Attempt.objects.filter(pod__cluster=cluster, container__kind="init", container__name="migrate")
    attempts = sum(stored.values_list("count", flat=True))
    pod = Pod.objects.get(cluster=cluster)
    labels = {"cluster": "live", "namespace": pod.namespace, "workload_kind": pod.owner_kind or "Pod"}
    labels |= {"workload": pod.owner_name or "<none>", "container": "migrate"}
    assert attempts >= 4 and value(s, "initscope_init_container_attempts_total", **labels) == attempts
    assert value(s, "initscope_init_container_failures_total", **labels, reason="Error") >= 1
    assert value(s, "initscope_pods_stuck", cluster="live", namespace=pod.namespace, cause="crash-loop") == 1
    assert value(s, "initscope_rollup_pending_hours", cluster="live") is None  # all rolled up


def test_the_watchers_numbers(metrics_on, client):
    cluster = Cluster.objects.create(name="w1", watched=True)
    watch_batch_record(cluster=cluster, batches=[(40, 0.3)], lag=1.5)
    watch_batch_record(cluster=cluster, batches=[(2, 0.05)], lag=0.2)
    watch_list_record(cluster=cluster, resource="pods")
    watch_stream_error_record(cluster=cluster, resource="events")
    s = scrape(client)
    assert value(s, "initscope_ingest_events_total", cluster="w1") == 42
    assert value(s, "initscope_ingest_batch_duration_seconds_count", cluster="w1") == 2
    assert value(s, "initscope_ingest_batch_duration_seconds_bucket", cluster="w1", le="0.1") == 1
    assert value(s, "initscope_ingest_lag_seconds", cluster="w1") == 0.2  # the newest batch's
    assert value(s, "initscope_watch_lists_total", cluster="w1", resource="pods") == 1
    assert value(s, "initscope_watch_errors_total", cluster="w1", resource="events") == 1
    # Its state as the clusters page says it (no watcher runs here: not configured), one state at 1.
    (health,) = [row for row in cluster_health() if row["name"] == "w1"]
    states = {dict(labels)["state"]: v for (name, labels), v in s.items() if name == "initscope_watch_state"}
    assert states[health["state"]] == 1 and sum(states.values()) == 1 and len(states) == 6
    assert value(s, "initscope_watch_consecutive_failures", cluster="w1") == 0


def _deploy_metric_names() -> set[str]:
    dashboard = json.loads((ROOT / "deploy" / "monitoring" / "grafana-dashboard.json").read_text())
    exprs = [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]
    exprs += [v.get("query", "") for v in dashboard.get("templating", {}).get("list", [])]
    rules = yaml.safe_load((ROOT / "deploy" / "monitoring" / "prometheus-rules.yaml").read_text())
    exprs += [r["expr"] for g in rules["spec"]["groups"] for r in g["rules"]]
    assert len(exprs) > 8
    return {name for expr in exprs for name in re.findall(r"\binitscope_[a-z_]+", str(expr))}


def test_every_metric_the_deploy_examples_use_is_in_a_real_scrape(stored, client):
    cluster = Cluster.objects.get(name="c1")
    watch_batch_record(cluster=cluster, batches=[(1, 0.1)], lag=0.1)
    watch_list_record(cluster=cluster, resource="pods")
    watch_stream_error_record(cluster=cluster, resource="pods")
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    exposed = set()
    for family in text_string_to_metric_families(response.content.decode()):
        exposed |= {family.name} | {s.name for s in family.samples}
    used = _deploy_metric_names()
    assert len(used) >= 8
    assert used - exposed == set()
    scrape_config = yaml.safe_load((ROOT / "deploy" / "monitoring" / "prometheus-scrape.yaml").read_text())
    job = scrape_config["scrape_configs"][0]
    assert job["metrics_path"] == "/metrics" and job["authorization"]["type"] == "Bearer"
