"""A 403 from the API shows up as the cluster's error (API, page, command) and is backed off: no crash
loop."""

from __future__ import annotations

import io
import time

import pytest
from django.core.management import call_command

from pods.models import Cluster
from tests.services import settings_for_cluster, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.redis]


def test_a_403_is_the_clusters_error_without_a_crash_loop(kubesim_cluster, celery_worker, logged_in_client):
    sim = kubesim_cluster("healthy", forbidden={("list", "pods"), ("watch", "pods")})
    worker = celery_worker(env=sim.env | {"INITSCOPE_WATCH_BACKOFF_MAX_SECONDS": "30"}, beat=True)
    assert wait_until(
        lambda: Cluster.objects.filter(name=sim.name, watch_failures__gte=1).exists(), timeout=20
    )
    time.sleep(6)
    cluster = Cluster.objects.get(name=sim.name)
    assert 1 <= cluster.watch_failures <= 3, "retries are backed off (2 s, 4 s, 8 s ...)"
    assert worker.alive
    with settings_for_cluster(sim, INITSCOPE_WATCH_BACKOFF_MAX_SECONDS=30):
        body = logged_in_client.get("/api/v1/clusters").json()
        page = logged_in_client.get("/clusters/").content.decode()
        out = io.StringIO()
        call_command("clusters", stdout=out)
    (row,) = body["results"]
    assert row["name"] == sim.name and row["state"] == "error"
    assert row["last_error"].startswith("403: cannot list pods: pods is forbidden")
    assert row["retry_at"] is not None
    assert "403: cannot list pods" in page
    assert "error" in out.getvalue() and "403" in out.getvalue()
