"""The metrics' catalog and an hour's cells (pods.signals.metric_cells), the bearer token's check, and
docs/signals.md naming every metric with its labels."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from pods.reports import definitions as d
from pods.reports import hourly
from pods.signals import metric_cells as mc
from pods.signals.metrics import authorized

ROOT = Path(__file__).resolve().parents[2]
HOUR = datetime(2026, 3, 1, 10, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return HOUR + timedelta(seconds=seconds)


def attempt(start, end, code=0, reason="Completed", *, kind="init", known=True, count=1):
    started = None if start is None else at(start)
    finished = None if end is None else at(end)
    return d.AttemptFacts(kind, known, count, started, finished, code, reason, at(0))


def container(*attempts, name="migrate", pull=None, workload=("Deployment", "api")):
    return hourly.ContainerFacts(
        pod=1, namespace="shop", workload_kind=workload[0], workload=workload[1], node="n1", name=name,
        kind="init", attempts=tuple((0, a) for a in attempts), pull=pull,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("seconds", "bucket"),
    [(0, "0.1"), (0.1, "0.1"), (0.1001, "0.25"), (10, "10.0"), (29.9, "30.0"), (1800, "1800.0"),
     (1801, "+Inf")],
)  # fmt: skip
def test_buckets_from_100_ms_to_30_minutes(seconds, bucket):
    assert mc.bucket_of(seconds) == bucket
    assert (mc.BUCKETS[0], mc.BUCKETS[-1]) == (0.1, 1800)


def test_an_hour_s_cells():
    migrate = container(
        attempt(1, 11, 1, "Error"),
        attempt(None, None, None, "", known=False, count=3),  # placeholders: failures, no duration
        attempt(20, 2000, 137, "OOMKilled"),
        attempt(3700, 3710),  # the next hour: not this one's
        pull=d.PullFacts(4.0, 1.5, False),
    )
    cells = mc.hour_cells(HOUR, [migrate], [])
    key = ("shop", "Deployment", "api", "migrate")
    assert cells[("initscope_init_container_attempts", *key, "", "")] == 5
    assert cells[("initscope_init_container_failures", *key, "Error", "")] == 1
    assert cells[("initscope_init_container_failures", *key, "unknown", "")] == 3
    assert cells[("initscope_init_container_failures", *key, "OOMKilled", "")] == 1
    assert cells[("initscope_init_container_duration_seconds", *key, "failed", "10.0")] == 1
    assert cells[("initscope_init_container_duration_seconds", *key, "oom-killed", "+Inf")] == 1
    assert cells[("initscope_init_container_duration_seconds", *key, "oom-killed", "sum")] == 1980
    assert cells[("initscope_image_pull_duration_seconds", *key, "", "5.0")] == 1
    assert cells[("initscope_image_pull_queue_wait_seconds", *key, "", "sum")] == 1.5
    # The next hour has the last attempt and not the pull (counted in the container's first hour).
    later = mc.hour_cells(HOUR + timedelta(hours=1), [migrate], [])
    assert later[("initscope_init_container_attempts", *key, "", "")] == 1
    assert not [c for c in later if c[0] == "initscope_image_pull_duration_seconds"]


def test_pod_steps_and_a_bare_pod_never_named():
    pod = hourly.PodStartupFacts("shop", "Pod", "debug-7x", d.PodFacts(at(0), at(1), at(4), at(-5)))
    cells = mc.hour_cells(HOUR, [container(attempt(1, 3), workload=("Pod", "debug-7x"))], [pod])
    assert {c[3] for c in cells} == {mc.BARE}
    assert cells[("initscope_pod_initialized_seconds", "shop", "Pod", mc.BARE, "", "", "5.0")] == 1
    # Clock skew (Ready before creation) counts as 0.
    assert cells[("initscope_pod_ready_seconds", "shop", "Pod", mc.BARE, "", "", "0.1")] == 1
    assert cells[("initscope_pod_ready_seconds", "shop", "Pod", mc.BARE, "", "", "sum")] == 0


def test_exported_series_and_the_other_workload():
    run = "initscope_init_container_duration_seconds"
    cell = (run, "shop", "Deployment", "api", "migrate", "failed", "sum")
    assert mc.exported(cell) == (cell[0], "shop", "Deployment", "api", "migrate", "failed", "sum")
    assert mc.exported(cell, admitted=False) == (cell[0], "shop", "other", "other", "other", "failed", "sum")
    pull = ("initscope_image_pull_duration_seconds", "shop", "Deployment", "api", "migrate", "", "1.0")
    assert mc.exported(pull) == (pull[0], "shop", "api", "migrate", "1.0")  # no workload_kind label
    assert mc.workload_of(pull) == ("shop", "Deployment", "api")
    assert mc.workload_of(("initscope_ingest_events", "", "", "", "", "", "")) is None
    assert mc.difference({cell: 3, pull: 1}, {cell: 1, pull: 1}) == {cell: 2}


def test_the_catalog_never_labels_a_pod():
    allowed = {"namespace", "workload_kind", "workload", "container", "outcome", "reason", "resource"}
    allowed |= {"cause", "state"}
    for metric in mc.METRICS:
        assert metric.name.startswith("initscope_")
        assert set(metric.labels) <= allowed, metric.name
        assert not metric.name.endswith("_total")  # the exposition adds it to counters


def test_the_docs_describe_every_metric_with_its_labels():
    text = (ROOT / "docs" / "signals.md").read_text()
    for metric in mc.METRICS:
        shown = metric.name + ("_total" if metric.type == mc.COUNTER else "")
        row = re.search(rf"^\| `{shown}` \| {metric.type} \| (.*?) \|", text, re.M)
        assert row, f"docs/signals.md: no row for {shown}"
        assert re.findall(r"`(\w+)`", row.group(1)) == ["cluster", *metric.labels], shown


@pytest.mark.parametrize(
    ("header", "ok"),
    [("Bearer tok", True), ("bearer tok", True), ("Bearer tok2", False), ("Bearer", False),
     ("Basic tok", False), ("", False), ("Bearer  tok ", True)],
)  # fmt: skip
def test_the_bearer_token(header, ok):
    assert authorized(header, "tok") is ok
    assert authorized(header, "") is False
