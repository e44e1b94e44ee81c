"""Issue 11, the smaller items: the clusters page and `manage.py clusters` agree (one state rule,
`selectors.cluster_health`, read from what the watcher stored, in any process), both show each cluster's
Pod and stuck counts and its whole error; `pods list` has a CLUSTER column; `pods show NAME` says when
several Pods have the name, which it chose and how to pick another."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command
from django.db.models import Count

from pods import selectors
from pods.models import Cluster, Pod, WatchCursor

pytestmark = pytest.mark.django_db

LONG_ERROR = (
    "HTTPSConnectionPool(host='10.0.0.1', port=6443): Max retries exceeded with url: /api/v1/pods?watch=1 "
    + "(Caused by NewConnectionError: Failed to establish a new connection: [Errno 111] Connection refused) "
    * 4
    + "END-OF-THE-ERROR"
)


def run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def _cli_row(text: str, name: str) -> str:
    return next(line for line in text.splitlines() if line.startswith(name + " "))


def test_a_cluster_watched_by_another_process_is_watching_on_the_page_and_in_the_cli(
    settings, logged_in_client
):
    """`serve --demo` configures `demo` in its own process only; `manage.py clusters` beside it read
    "not-configured" while the page said "watching"."""
    settings.INITSCOPE_CLUSTERS = []  # this process does not configure it
    now = datetime.now(UTC)
    Cluster.objects.create(name="demo", watched=True, watch_heartbeat_at=now, watch_holder="vm:42:abc.def")
    Cluster.objects.create(name="gone", watched=True, watch_heartbeat_at=now - timedelta(hours=1))
    states = {row["name"]: row["state"] for row in selectors.cluster_health()}
    assert states == {"demo": "watching", "gone": "not-configured"}
    text, _ = run("clusters")
    assert _cli_row(text, "demo").split()[1] == "watching"
    assert _cli_row(text, "gone").split()[1] == "not-configured"
    page = logged_in_client.get("/clusters/").content.decode()
    assert re.search(r'data-cluster="demo" data-state="watching"', page)
    assert re.search(r'data-cluster="gone" data-state="not-configured"', page)


def test_page_and_cli_show_pod_and_stuck_counts_and_the_whole_error(
    settings, imported_samples, logged_in_client
):
    settings.INITSCOPE_CLUSTERS = ["samples"]
    cluster = Cluster.objects.get(name="samples")
    now = datetime.now(UTC)
    WatchCursor.objects.create(
        cluster=cluster,
        resource="pods",
        last_error=LONG_ERROR,
        last_error_at=now,
        last_ok_at=now - timedelta(1),
    )
    live = Pod.objects.filter(cluster=cluster, seen=True, deleted_at__isnull=True).count()
    stuck = selectors.pod_queryset(
        filters=selectors.PodFilters(cluster="samples", stuck=True, include_deleted=False)
    ).count()
    assert live and stuck, "the samples hold live and stuck Pods"
    (row,) = [r for r in selectors.cluster_health() if r["name"] == "samples"]
    assert (row["pods"], row["stuck"]) == (live, stuck)
    assert len(LONG_ERROR) > 400

    page = logged_in_client.get("/clusters/").content.decode()
    cells = page[page.index('data-cluster="samples"') :]
    assert re.search(rf'data-field="pods"><a [^>]*>{live}</a>', cells)
    assert re.search(rf'data-field="stuck"><a href="[^"]*stuck=1"><strong>{stuck}</strong>', cells)
    assert "END-OF-THE-ERROR" in cells and "…" not in cells.split('data-field="error"')[1].split("</td>")[0]

    text, _ = run("clusters")
    line = _cli_row(text, "samples")
    assert line.split()[2:4] == [str(live), str(stuck)]
    assert line.endswith("END-OF-THE-ERROR"), "the whole error, on one line"
    assert text.splitlines()[0].split()[:4] == ["CLUSTER", "STATE", "PODS", "STUCK"]


def test_pods_list_has_a_cluster_column(imported_samples):
    text, _ = run("pods", "list", "--limit", "5")
    header, *rows, note = text.splitlines()
    assert header.split()[0] == "CLUSTER"
    assert rows and all(row.split()[0] == "samples" for row in rows)
    assert note.startswith("* a recording"), "the samples are a recording"


def test_pods_show_says_when_several_pods_have_the_name_and_how_to_pick_another(imported_samples):
    reused = (
        Pod.objects.filter(seen=True)
        .values("namespace", "name")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .order_by("namespace", "name")
        .first()
    )
    assert reused, "a sample recreates a StatefulSet Pod under the same name"
    pods = list(Pod.objects.filter(seen=True, name=reused["name"]).order_by("-created_at"))
    newest, others = pods[0], pods[1:]
    for name in (f"{reused['namespace']}/{reused['name']}", reused["name"]):  # NAMESPACE/NAME, or NAME alone
        out, err = run("pods", "show", name)
        assert f"{newest.namespace}/{newest.name}" in out
        assert f"Pods are named {reused['name']}; showing the newest" in err
        chosen, *rest = [line for line in err.splitlines() if line.strip().startswith("--uid")]
        assert newest.uid in chosen
        assert "pick another with --uid" in err
        assert {pod.uid for pod in others} <= {line.split()[1] for line in rest}
    out, err = run("pods", "show", "--uid", others[0].uid)
    assert err == "", "an exact --uid needs no note"
    unique = (
        Pod.objects.filter(seen=True).values("name").annotate(n=Count("id")).filter(n=1).order_by("name")[0]
    )
    _, err = run("pods", "show", unique["name"])
    assert err == ""


def test_pods_list_marks_a_recordings_time_in_step_and_stops_a_finished_pods(imported_samples):
    """As the page: a recording's time in step is as of its end and says so; a deleted or finished Pod has
    none (its clock stopped), never a time that grows on every run."""
    text, _ = run("pods", "list", "--limit", "1000")
    header, *rows = text.splitlines()
    note = rows.pop()
    assert note.startswith("* a recording")
    start, end = header.index("IN STEP"), header.index("STUCK")
    in_step = {}
    for row in rows:
        cluster, namespace, name = row.split()[:3]
        in_step.setdefault(f"{namespace}/{name}", []).append(row[start:end].strip())
    pods = Pod.objects.filter(cluster__name="samples", seen=True)
    finished = [p for p in pods if p.deleted_at or p.terminal]
    running = [p for p in pods if not (p.deleted_at or p.terminal) and p.step_since]
    assert finished and running
    for pod in finished:
        assert "-" in in_step[f"{pod.namespace}/{pod.name}"], pod.name
    for pod in running:
        assert any(v.endswith("*") for v in in_step[f"{pod.namespace}/{pod.name}"]), pod.name
    assert all(v == "-" or v.endswith("*") for values in in_step.values() for v in values)


def test_a_recording_is_listed_with_its_counts_on_the_page_and_in_the_cli(
    settings, imported_samples, logged_in_client
):
    """An imported cluster no one watches is on the clusters page and in `manage.py clusters` as
    `recorded`, with its Pod and stuck counts (stuck as of the end of the recording) and where its data
    ends."""
    settings.INITSCOPE_CLUSTERS = []
    live = Pod.objects.filter(cluster__name="samples", seen=True, deleted_at__isnull=True).count()
    stuck = selectors.pod_queryset(
        filters=selectors.PodFilters(cluster="samples", stuck=True, include_deleted=False)
    ).count()
    assert live and stuck
    page = logged_in_client.get("/clusters/").content.decode()
    assert "No cluster is configured" not in page
    cells = page[page.index('id="recordings"') :]
    assert 'data-cluster="samples" data-state="recorded"' in cells
    assert re.search(rf'data-field="pods"><a [^>]*>{live}</a>', cells)
    assert re.search(rf'data-field="stuck"><a href="[^"]*stuck=1"><strong>{stuck}</strong>', cells)
    until = Cluster.objects.get(name="samples").observed_until
    assert until.strftime("%Y-%m-%dT%H:%M:%SZ") in cells

    text, _ = run("clusters")
    assert _cli_row(text, "samples").split()[1:5] == [
        "recorded",
        str(live),
        str(stuck),
        until.strftime("%Y-%m-%dT%H:%M:%SZ"),
    ]
    assert selectors.cluster_health() == [], "the API's health rows stay the watched clusters'"
