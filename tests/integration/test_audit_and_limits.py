"""The audit log (accounts.audit: sign-ins and failures, log reads, exports, grant changes; read-only in
the admin, exported as JSON lines) and the HTTP limits (sign-in lockout, API throttles per user and per
token: 429 with Retry-After)."""

from __future__ import annotations

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.apps import apps
from django.core.cache import caches
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from accounts import audit
from accounts.models import AuditEvent
from pods.models import Pod
from tests.tokens import api_key

pytestmark = pytest.mark.django_db
PASSWORD = "correct-horse-battery"


@pytest.fixture
def admin_user(django_user_model):
    return django_user_model.objects.create_superuser(username="root", password=PASSWORD)


@pytest.fixture(autouse=True)
def fresh_throttle_counts():
    """The counts are keyed by user and token ids, which a new test database hands out again."""
    caches["throttle"].delete_many([f"throttle_{s}_{i}" for s in ("user", "token") for i in range(1, 200)])


def actions() -> list[str]:
    return list(AuditEvent.objects.order_by("id").values_list("action", flat=True))


@pytest.fixture
def no_audit_yet(user, admin_user):
    """The fixtures' own lines (the `user` fixture's grant) out of the way."""
    AuditEvent.objects.all().delete()


def test_sign_ins_and_failures_are_recorded_with_the_address(user, no_audit_yet):
    client = Client(REMOTE_ADDR="10.1.2.3")
    assert client.post("/login/", {"username": "sre", "password": "wrong"}).status_code == 200
    assert client.post("/login/", {"username": "sre", "password": PASSWORD}).status_code == 302
    client.post("/logout/")
    assert actions() == [AuditEvent.SIGN_IN_FAILED, AuditEvent.SIGN_IN, AuditEvent.SIGN_OUT]
    failed, signed_in, signed_out = AuditEvent.objects.order_by("id")
    assert (failed.action, failed.actor, failed.actor_name, failed.ip) == (
        AuditEvent.SIGN_IN_FAILED, None, "sre", "10.1.2.3"
    )  # fmt: skip
    assert "wrong" not in json.dumps(failed.detail)
    assert (signed_in.action, signed_in.actor, signed_in.ip) == (AuditEvent.SIGN_IN, user, "10.1.2.3")
    assert signed_out.action == AuditEvent.SIGN_OUT


def test_repeated_failures_lock_the_sign_in_out_with_a_429(user, settings):
    client = Client(REMOTE_ADDR="10.9.9.9")
    for _ in range(settings.INITSCOPE_LOGIN_FAILURE_LIMIT - 1):
        assert client.post("/login/", {"username": "sre", "password": "wrong"}).status_code == 200
    locked = client.post("/login/", {"username": "sre", "password": "wrong"})
    assert locked.status_code == 429
    assert locked["Retry-After"] == str(settings.INITSCOPE_LOGIN_COOLOFF_MINUTES * 60)
    assert b"Too many failed sign-ins" in locked.content
    # The right password does not get through while locked out, from that address...
    assert client.post("/login/", {"username": "sre", "password": PASSWORD}).status_code == 429
    # ...but another address is a different pair (no one can lock a user out of everywhere).
    assert (
        Client(REMOTE_ADDR="10.0.0.1").post("/login/", {"username": "sre", "password": PASSWORD}).status_code
        == 302
    )
    assert actions().count(AuditEvent.SIGN_IN_FAILED) >= settings.INITSCOPE_LOGIN_FAILURE_LIMIT


def test_log_reads_and_exports_are_recorded(admin_user, imported_samples):
    client = Client()
    client.force_login(admin_user)
    pod = Pod.objects.filter(seen=True).first()
    assert client.get(f"/api/v1/pods/{pod.uid}/logs").status_code == 200
    read = AuditEvent.objects.get(action=AuditEvent.LOGS_READ)
    assert read.actor == admin_user and read.target.startswith(f"samples/{pod.namespace}/{pod.name} ")
    period = {"since": "2020-01-01", "until": "2030-01-01"}
    assert client.get("/api/v1/reports/nodes", period).status_code == 200
    assert not AuditEvent.objects.filter(action=AuditEvent.EXPORT).exists(), "reading JSON is no export"
    assert client.get("/api/v1/reports/nodes", {**period, "format": "csv"}).status_code == 200
    export = AuditEvent.objects.get(action=AuditEvent.EXPORT)
    assert export.target == "nodes.csv" and export.detail["since"].startswith("2020-01-01")


def test_grant_changes_are_recorded_with_who_made_them(admin_user, user):
    grant_model = apps.get_model("access", "Grant")
    grant = grant_model.objects.create(user=user, cluster="prod", namespaces=["shop"])
    saved = AuditEvent.objects.filter(action=AuditEvent.GRANT_SAVED).latest("id")
    assert saved.actor is None and saved.detail["via"] == "command" and saved.detail["created"] is True
    assert "prod" in saved.target
    client = Client()
    client.force_login(admin_user)
    url = f"/admin/access/grant/{grant.pk}/delete/"
    assert client.post(url, {"post": "yes"}).status_code == 302
    deleted = AuditEvent.objects.get(action=AuditEvent.GRANT_DELETED)
    assert deleted.actor == admin_user and deleted.detail == {"id": grant.pk, "via": "web"}


def test_the_audit_log_is_read_only_in_the_admin_and_exports_json_lines(admin_user, user, no_audit_yet):
    audit.record(user, AuditEvent.EXPORT, "nodes.csv", {"since": "x"})
    client = Client()
    client.force_login(admin_user)
    assert client.get("/admin/accounts/auditevent/").status_code == 200
    event = AuditEvent.objects.get(action=AuditEvent.EXPORT)
    assert client.get("/admin/accounts/auditevent/add/").status_code == 403
    page = client.get(f"/admin/accounts/auditevent/{event.pk}/change/")
    assert page.status_code == 200 and b'name="_save"' not in page.content
    assert client.post(f"/admin/accounts/auditevent/{event.pk}/delete/", {"post": "yes"}).status_code == 403
    exported = client.post(
        "/admin/accounts/auditevent/", {"action": "export_json_lines", "_selected_action": [event.pk]}
    )
    assert exported.status_code == 200 and exported["Content-Type"] == "application/x-ndjson"
    line = json.loads(b"".join(exported.streaming_content))
    assert line["actor"] == "sre" and line["action"] == "export" and line["target"] == "nodes.csv"
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_audit_export_since(user, no_audit_yet, tmp_path):
    old = audit.record(user, AuditEvent.EXPORT, "old.csv")
    AuditEvent.objects.filter(pk=old.pk).update(at=timezone.now() - timedelta(days=3))
    audit.record(user, AuditEvent.LOGS_READ, "c/ns/p app")
    out = StringIO()
    call_command("audit", "export", "--since", "1d", stdout=out)
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [line["action"] for line in lines] == [AuditEvent.LOGS_READ]
    call_command("audit", "export", "--since", "2000-01-01", "--output", str(tmp_path / "a.jsonl"))
    targets = [json.loads(x)["target"] for x in (tmp_path / "a.jsonl").read_text().splitlines()]
    assert targets == ["old.csv", "c/ns/p app"]


def test_the_api_throttles_each_token_and_each_user(admin_user, settings):
    settings.INITSCOPE_API_RATE_TOKEN = "3/min"
    settings.INITSCOPE_API_RATE_USER = "5/min"
    first = Client(HTTP_AUTHORIZATION=f"Bearer {api_key(admin_user, 'a')}")
    second = Client(HTTP_AUTHORIZATION=f"Bearer {api_key(admin_user, 'b')}")
    assert [first.get("/api/v1/clusters").status_code for _ in range(3)] == [200] * 3
    refused = first.get("/api/v1/clusters")
    assert refused.status_code == 429 and 0 < int(refused["Retry-After"]) <= 60
    assert "throttled" in refused.json()["detail"].lower()
    # The other token has its own count, but the user's is shared: 4 so far (the refused request passed
    # the user's limit, so it counts there), one more is allowed, then refused.
    assert [second.get("/api/v1/clusters").status_code for _ in range(2)] == [200, 429]
    session = Client()
    session.force_login(admin_user)
    assert session.get("/api/v1/clusters").status_code == 429


def test_an_empty_rate_means_no_limit(admin_user, settings):
    settings.INITSCOPE_API_RATE_TOKEN = ""
    settings.INITSCOPE_API_RATE_USER = ""
    client = Client(HTTP_AUTHORIZATION=f"Bearer {api_key(admin_user)}")
    assert {client.get("/api/v1/clusters").status_code for _ in range(20)} == {200}
