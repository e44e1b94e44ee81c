"""`manage.py pods list|show` and `manage.py export`."""

from __future__ import annotations

import io

import orjson
import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count

from pods import selectors
from pods.models import Pod

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_pods_list_shows_every_pod_with_its_status(imported_samples):
    text = run("pods", "list", "--limit", "1000")
    for pod in Pod.objects.filter(seen=True):
        assert pod.name in text
    assert text.splitlines()[0].split()[:4] == ["CLUSTER", "NAMESPACE", "NAME", "STATUS"]


def test_pods_list_stuck_shows_only_stuck_pods(imported_samples):
    lines = run("pods", "list", "--stuck", "--json").splitlines()
    rows = [orjson.loads(line) for line in lines]
    assert rows and all(row["stuck"] for row in rows)


def test_pods_show_draws_a_waterfall(imported_samples):
    pod = Pod.objects.filter(seen=True, init_container_count__gt=0).first()
    text = run("pods", "show", f"{pod.namespace}/{pod.name}", "--cluster", "samples")
    assert f"{pod.namespace}/{pod.name}" in text
    assert "STATUS" in text
    for container in selectors.pod_document(pod)["containers"]:
        assert container["name"] in text


def test_pods_show_json_is_the_api_document(imported_samples, logged_in_client):
    pod = Pod.objects.filter(seen=True).first()
    shown = orjson.loads(run("pods", "show", "--uid", pod.uid, "--json"))
    served = logged_in_client.get(f"/api/v1/pods/{pod.uid}").json()
    for document in (shown, served):
        document.pop("stuck")  # both depend on "now"
        document.pop("diagnosis")
        document.pop("step", None)
    assert shown == served


def test_pods_show_picks_the_newest_pod_when_a_name_was_reused(imported_samples):
    reused = (
        Pod.objects.filter(seen=True)
        .values("namespace", "name")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .order_by("namespace", "name")
        .first()
    )
    assert reused, "a sample recreates a StatefulSet Pod under the same name"
    pods = Pod.objects.filter(namespace=reused["namespace"], name=reused["name"]).order_by("created_at")
    older, newer = pods.first(), pods.last()
    shown = orjson.loads(run("pods", "show", f"{newer.namespace}/{newer.name}", "--json"))
    assert shown["uid"] == newer.uid
    shown = orjson.loads(run("pods", "show", f"{older.namespace}/{older.name}", "--uid", older.uid, "--json"))
    assert shown["uid"] == older.uid


def test_pods_show_explains_a_bad_name(imported_samples):
    with pytest.raises(CommandError, match="NAMESPACE/NAME"):
        run("pods", "show", "no-slash")
    with pytest.raises(CommandError, match="no such Pod"):
        run("pods", "show", "nowhere/nothing")


def test_export_writes_one_document_per_pod(imported_samples, tmp_path):
    target = tmp_path / "export.jsonl"
    call_command("export", "--output", str(target), stderr=io.StringIO())
    lines = target.read_bytes().splitlines()
    documents = [orjson.loads(line) for line in lines]
    assert sorted(d["uid"] for d in documents) == sorted(
        Pod.objects.filter(seen=True).values_list("uid", flat=True)
    )
    assert all("containers" in d and "events" in d for d in documents)


def test_export_filters_by_cluster_and_since(imported_samples, tmp_path):
    target = tmp_path / "none.jsonl"
    call_command("export", "--cluster", "elsewhere", "--output", str(target), stderr=io.StringIO())
    assert target.read_bytes() == b""
    call_command("export", "--since", "2999-01-01T00:00:00Z", "--output", str(target), stderr=io.StringIO())
    assert target.read_bytes() == b""
    with pytest.raises(CommandError, match="RFC 3339"):
        call_command("export", "--since", "yesterday")
