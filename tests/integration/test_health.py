"""The probes (dashboard/health.py): /healthz answers while the process runs; /readyz is 200 only while the
database and Redis answer and every migration is applied, 503 otherwise; ?verbose adds each watched
cluster's freshness. No sign-in, any Host, plain HTTP even with the HTTPS redirect on, nothing sensitive."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db.migrations.executor import MigrationExecutor

from dashboard import health
from pods.models import Cluster, WatchCursor

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_migration_check(monkeypatch):
    monkeypatch.setattr(health, "_migrated", False)


def test_healthz_answers_without_sign_in(client):
    response = client.get("/healthz")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})
    assert "no-cache" in response["Cache-Control"]


def test_readyz_is_ok_with_the_database_redis_and_every_migration(client, settings):
    assert settings.REDIS_URL, "the integration tests run with REDIS_URL"
    response = client.get("/readyz")
    assert response.status_code == 200, response.content
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "redis": "ok", "migrations": "ok"},
    }


def test_readyz_is_503_when_redis_does_not_answer(client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"] == {"database": "ok", "redis": "failed", "migrations": "ok"}
    assert "127.0.0.1" not in response.content.decode(), "no address or error text in the answer"


def test_readyz_is_503_when_a_migration_is_not_applied(client, monkeypatch):
    monkeypatch.setattr(MigrationExecutor, "migration_plan", lambda self, targets: [("pending", False)])
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["migrations"] == "failed"


def test_readyz_is_503_when_the_database_does_not_answer(client, monkeypatch):
    def refuse():
        raise OSError("connection refused to db.internal:5432")

    monkeypatch.setitem(health.CHECKS, "database", refuse)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["database"] == "failed"
    assert "db.internal" not in response.content.decode()


def test_the_probes_answer_any_host_over_plain_http_behind_the_https_redirect(client, settings):
    settings.ALLOWED_HOSTS = ["initscope.example.org"]
    settings.SECURE_SSL_REDIRECT = True
    for path in ("/healthz", "/readyz"):
        response = client.get(path, HTTP_HOST="10.1.2.3:8000")  # the kubelet calls the Pod's IP
        assert response.status_code == 200, (path, response.status_code)
    assert client.get("/clusters/", HTTP_HOST="10.1.2.3:8000").status_code == 400, "other pages still check"


def test_readyz_verbose_adds_each_watched_clusters_freshness_and_nothing_sensitive(client):
    now = datetime.now(UTC)
    live = Cluster.objects.create(name="prod", watched=True, watch_heartbeat_at=now, watch_holder="host:1:x")
    WatchCursor.objects.create(cluster=live, resource="pods", namespace="", last_ok_at=now)
    broken = Cluster.objects.create(name="edge", watched=True, watch_heartbeat_at=now)
    WatchCursor.objects.create(
        cluster=broken, resource="pods", namespace="secret-team", last_ok_at=now - timedelta(minutes=5),
        last_error='pods is forbidden: User "system:serviceaccount:x" cannot list', last_error_at=now,
    )  # fmt: skip
    plain = client.get("/readyz").json()
    assert "clusters" not in plain
    body = client.get("/readyz?verbose").json()
    clusters = {c["name"]: c for c in body["clusters"]}
    assert set(clusters) == {"prod", "edge"}
    assert clusters["prod"]["state"] == "live" and clusters["prod"]["known_at"]
    assert clusters["edge"]["state"] == "stale"
    text = client.get("/readyz?verbose").content.decode()
    for secret in ("forbidden", "secret-team", "serviceaccount", "host:1:x"):
        assert secret not in text
    assert body["status"] == "ok", "a stale watch does not take the web server out of service"


def test_prometheus_scrapes_over_plain_http_inside_the_cluster_behind_the_https_redirect(client, settings):
    settings.ALLOWED_HOSTS = ["initscope.example.org", "initscope.initscope.svc"]
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/metrics", HTTP_HOST="initscope.initscope.svc:80").status_code == 403  # token unset
    assert client.get("/clusters/", HTTP_HOST="initscope.example.org").status_code == 301
