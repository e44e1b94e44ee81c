"""`GET /metrics`: Prometheus metrics, every one read from the database at scrape time by one collector
(`StoredMetrics`), so that every web process answers the same and no restart resets a counter.

- Counters and histograms of attempts, pulls and Pod startups: the persistent totals the rollup task keeps
  (`pods.signals.metric_store`); the watcher's events, batch latency, lists and errors: the totals the
  watcher adds to (`pods.ingest.watch_metrics`).
- Gauges read now: Pods stuck by namespace and cause (`pods.selectors.stuck_q`, the pages' rule), each
  cluster's watch health (`pods.selectors.cluster_health`, the clusters page's), the hours waiting for
  the rollup task, the workloads counted under `other`.

No value is kept per process, so the library's multiprocess mode is not needed. The catalog (names, types,
labels) is `pods.signals.metric_cells.METRICS`; docs/signals.md describes it. Access: a bearer token
(`INITSCOPE_METRICS_TOKEN`, compared in constant time): 401 without it or with another; 403 while it is
not set (the endpoint is off).
"""

from __future__ import annotations

import hmac
import json
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db.models import Case, Count, F, Max, Value, When
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_safe
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.exposition import choose_encoder
from prometheus_client.registry import Collector, CollectorRegistry

from pods.models import MetricTotal, MetricWorkload, Pod, RollupMark, WatchCursor
from pods.selectors import cluster_health, failing_q, stuck_q, stuck_threshold
from pods.signals import metric_cells as mc

_BOUNDS = [*(mc.bucket_name(b) for b in mc.BUCKETS), mc.INF]
# The metrics kept as totals (the others are read live below).
_STORED = (
    mc.INIT_DURATION, mc.INIT_ATTEMPTS, mc.INIT_FAILURES, mc.PULL_DURATION, mc.PULL_QUEUE_WAIT,
    mc.POD_INITIALIZED, mc.POD_READY, mc.INGEST_EVENTS, mc.INGEST_BATCH, mc.INGEST_LAG, mc.WATCH_LISTS,
    mc.WATCH_ERRORS,
)  # fmt: skip


class StoredMetrics(Collector):
    """Every Initscope metric, from the database (see the module's docstring)."""

    def collect(self) -> Iterator[Metric]:
        now = datetime.now(UTC)
        yield from _totals()
        yield _stuck(now)
        yield from _watch_health(now)
        pending = GaugeMetricFamily(mc.ROLLUP_PENDING.name, mc.ROLLUP_PENDING.help, labels=["cluster"])
        marks = RollupMark.objects.values("cluster__name").annotate(n=Count("id")).order_by("cluster__name")
        for row in marks:
            pending.add_metric([row["cluster__name"]], row["n"])
        yield pending
        capped = GaugeMetricFamily(mc.CAPPED_WORKLOADS.name, mc.CAPPED_WORKLOADS.help, labels=["cluster"])
        others = MetricWorkload.objects.filter(admitted=False).values("cluster__name").annotate(n=Count("id"))
        for row in others.order_by("cluster__name"):
            capped.add_metric([row["cluster__name"]], row["n"])
        yield capped


def _family(metric: mc.Metric) -> Any:
    labels = ["cluster", *metric.labels]
    if metric.type == mc.COUNTER:
        return CounterMetricFamily(metric.name, metric.help, labels=labels)
    if metric.type == mc.HISTOGRAM:
        return HistogramMetricFamily(metric.name, metric.help, labels=labels, unit="seconds")
    return GaugeMetricFamily(metric.name, metric.help, labels=labels)


def _totals() -> Iterator[Metric]:
    """The persistent totals: counters and gauges as stored, histograms' buckets made cumulative."""
    series: dict[str, dict[tuple[str, ...], dict[str, float]]] = defaultdict(lambda: defaultdict(dict))
    rows = MetricTotal.objects.values_list("cluster__name", "series", "value").order_by("cluster__name", "id")
    for cluster, text, value in rows.iterator(chunk_size=5000):
        name, *labels = json.loads(text)
        if name in mc.BY_NAME:  # not a series (`metric_store.PRUNED_BEFORE`), or no longer exposed
            series[name][(cluster, *labels[:-1])][labels[-1]] = value
    for metric in _STORED:
        stored = series.get(metric.name)
        family = _family(metric)  # empty, it still says the metric exists
        if stored is None:
            if metric in _STORED:
                yield family
            continue
        for labels, parts in sorted(stored.items()):
            if metric.type == mc.HISTOGRAM:
                cumulative, buckets = 0.0, []
                for bound in _BOUNDS:
                    cumulative += parts.get(bound, 0.0)
                    buckets.append((bound, cumulative))
                family.add_metric(list(labels), buckets, parts.get(mc.SUM, 0.0))
            else:
                family.add_metric(list(labels), parts.get("", 0.0))
        yield family


def _stuck(now: datetime) -> Metric:
    """Pods stuck now, by cluster, namespace and cause (the failure's code, else `slow`)."""
    family = _family(mc.PODS_STUCK)
    cause = Case(When(failing_q(), then=F("failure_code")), default=Value("slow"))
    rows = (
        Pod.objects.filter(stuck_q(now=now, threshold=stuck_threshold()))
        .annotate(cause=cause)
        .values("cluster__name", "namespace", "cause")
        .annotate(n=Count("id"))
        .order_by("cluster__name", "namespace", "cause")
    )
    for row in rows:
        family.add_metric([row["cluster__name"], row["namespace"], row["cause"]], row["n"])
    return family


def _watch_health(now: datetime) -> Iterator[Metric]:
    """Each cluster's watch health, as the clusters page reads it (stored by the watcher)."""
    state = _family(mc.WATCH_STATE)
    lag = _family(mc.WATCH_LAG)
    failures = _family(mc.WATCH_FAILURES)
    for row in cluster_health(now=now):
        for name in mc.WATCH_STATES:
            state.add_metric([row["name"], name], 1.0 if row["state"] == name else 0.0)
        if row["lag_seconds"] is not None:
            lag.add_metric([row["name"]], row["lag_seconds"])
        failures.add_metric([row["name"]], row["failures"])
    age = _family(mc.WATCH_LAST_EVENT_AGE)
    newest = (
        WatchCursor.objects.filter(last_event_at__isnull=False)
        .values("cluster__name", "resource")
        .annotate(at=Max("last_event_at"))
        .order_by("cluster__name", "resource")
    )
    for row in newest:
        age.add_metric([row["cluster__name"], row["resource"]], (now - row["at"]).total_seconds())
    yield from (state, lag, failures, age)


REGISTRY = CollectorRegistry(auto_describe=False)
REGISTRY.register(StoredMetrics())


def authorized(header: str, token: str) -> bool:
    """Whether an `Authorization` header carries the bearer `token` (compared in constant time)."""
    scheme, _, given = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        return False
    return hmac.compare_digest(given.strip().encode(), token.encode())


@login_not_required
@require_safe
def metrics_view(request: HttpRequest) -> HttpResponse:
    """The exposition (Prometheus text, or OpenMetrics when the scraper asks for it)."""
    token = settings.INITSCOPE_METRICS_TOKEN
    if not token:
        return HttpResponse(
            "metrics are off: set INITSCOPE_METRICS_TOKEN (docs/signals.md)\n",
            status=403,
            content_type="text/plain; charset=utf-8",
        )
    if not authorized(request.headers.get("Authorization", ""), token):
        response = HttpResponse("a bearer token is required\n", status=401, content_type="text/plain")
        response["WWW-Authenticate"] = 'Bearer realm="initscope metrics"'
        return response
    encoder, content_type = choose_encoder(request.headers.get("Accept", ""))
    return HttpResponse(encoder(REGISTRY), content_type=content_type)
