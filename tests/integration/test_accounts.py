"""API tokens (accounts/): stored hashed, read-only, expiring, revocable; made on the Tokens page and by
`manage.py tokens`; `last_used_at` moved at most once a minute, each move one `token.used` audit line."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.utils import timezone

from accounts import api_tokens
from accounts.models import ApiToken, AuditEvent
from tests.tokens import api_key

pytestmark = pytest.mark.django_db
KEY = re.compile(r"isc_[0-9a-f]{8}_[A-Za-z0-9_-]{43}")


@pytest.fixture
def admin_user(django_user_model):
    return django_user_model.objects.create_superuser(username="root", password="correct-horse-battery")


def test_a_token_is_stored_as_its_hash_with_a_visible_lookup(user):
    key = api_key(user, name="ci")
    token = ApiToken.objects.get(user=user)
    assert KEY.fullmatch(key) and key.startswith(f"isc_{token.lookup}_")
    assert token.digest == hashlib.sha256(key.encode()).hexdigest()
    assert key not in str(ApiToken.objects.filter(pk=token.pk).values().get())
    assert AuditEvent.objects.get(action=AuditEvent.TOKEN_CREATED).actor == user


@pytest.mark.parametrize("keyword", ["Bearer", "Token", "bearer"])
def test_both_keywords_authenticate_the_api(admin_user, keyword):
    key = api_key(admin_user)
    response = Client().get("/api/v1/pods", HTTP_AUTHORIZATION=f"{keyword} {key}")
    assert response.status_code == 200, response.content


@pytest.mark.parametrize("header", ["Bearer", "Bearer a b", "Bearer isc_00000000_" + "x" * 43, "Token abc"])
def test_a_malformed_or_unknown_token_is_a_401(user, header):
    api_key(user)
    response = Client().get("/api/v1/pods", HTTP_AUTHORIZATION=header)
    assert response.status_code == 401 and response["WWW-Authenticate"].startswith("Bearer")


def test_a_wrong_secret_with_a_real_lookup_is_refused(user):
    key = api_key(user)
    forged = key[:-1] + ("A" if key[-1] != "A" else "B")
    assert Client().get("/api/v1/pods", HTTP_AUTHORIZATION=f"Bearer {forged}").status_code == 401


def test_expired_and_revoked_tokens_are_refused_and_say_why(user):
    expired, revoked = api_key(user, "old"), api_key(user, "gone")
    ApiToken.objects.filter(name="old").update(expires_at=timezone.now() - timedelta(seconds=1))
    assert api_tokens.revoke(ApiToken.objects.get(name="gone")) is True
    assert api_tokens.revoke(ApiToken.objects.get(name="gone")) is False
    for key, word in ((expired, "expired"), (revoked, "revoked")):
        response = Client().get("/api/v1/pods", HTTP_AUTHORIZATION=f"Bearer {key}")
        assert response.status_code == 401 and word in response.json()["detail"]


def test_a_token_of_an_inactive_user_is_refused(user):
    key = api_key(user)
    user.is_active = False
    user.save()
    assert Client().get("/api/v1/pods", HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 401


def test_a_token_can_only_read(admin_user):
    """The API has no writing view (405 for a session); a token is refused any unsafe method before."""
    key = api_key(admin_user)
    token_client = Client(HTTP_AUTHORIZATION=f"Bearer {key}")
    for method in ("post", "put", "patch", "delete"):
        response = getattr(token_client, method)("/api/v1/pods")
        assert response.status_code == 403 and "read-only" in response.json()["detail"], method
    assert token_client.head("/api/v1/pods").status_code == 200
    assert token_client.options("/api/v1/pods").status_code == 200
    session = Client(enforce_csrf_checks=False)
    session.force_login(admin_user)
    assert session.post("/api/v1/pods").status_code == 405


def test_last_used_moves_at_most_once_a_minute_with_one_audit_line(admin_user):
    key = api_key(admin_user)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {key}")
    for _ in range(3):
        assert client.get("/api/v1/pods").status_code == 200
    token = ApiToken.objects.get()
    first = token.last_used_at
    assert first is not None
    used = AuditEvent.objects.filter(action=AuditEvent.TOKEN_USED)
    assert used.count() == 1 and used.get().detail == {"path": "/api/v1/pods", "method": "GET"}
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=first - timedelta(seconds=61))
    assert client.get("/api/v1/clusters").status_code == 200
    assert ApiToken.objects.get().last_used_at > first and used.count() == 2


def test_the_tokens_page_makes_lists_and_revokes(client, user, django_user_model):
    assert client.get("/tokens/")["Location"].startswith("/login/")
    client.force_login(user)
    page = client.get("/tokens/")
    assert page.status_code == 200 and b"You have no API token" in page.content
    made = client.post("/tokens/", {"name": "grafana", "days": "30"})
    assert made.status_code == 200 and made["Cache-Control"] == "no-store"
    key = KEY.search(made.content.decode()).group(0)
    assert Client().get("/api/v1/clusters", HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 200
    listed = client.get("/tokens/").content.decode()
    assert "grafana" in listed and key not in listed and 'data-state="active"' in listed
    token = ApiToken.objects.get(user=user)
    assert token.expires_at - timezone.now() > timedelta(days=29, hours=23)
    other = django_user_model.objects.create_user(username="other", password="x")
    foreign = ApiToken.objects.get(pk=ApiToken.objects.create(
        user=other, name="theirs", lookup="0badc0de", digest="0" * 64, expires_at=token.expires_at
    ).pk)  # fmt: skip
    assert client.post(f"/tokens/{foreign.pk}/revoke").status_code == 404
    assert client.post(f"/tokens/{token.pk}/revoke").status_code == 302
    assert 'data-state="revoked"' in client.get("/tokens/").content.decode()
    assert Client().get("/api/v1/clusters", HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 401
    assert AuditEvent.objects.filter(action=AuditEvent.TOKEN_REVOKED, actor=user).count() == 1


def test_the_tokens_page_refuses_a_lifetime_over_the_limit(client, user, settings):
    settings.INITSCOPE_TOKEN_MAX_DAYS = 10
    client.force_login(user)
    response = client.post("/tokens/", {"name": "long", "days": "11"})
    assert response.status_code == 400 and b"At most 10 days" in response.content
    assert not ApiToken.objects.exists()


def test_the_tokens_command_creates_lists_and_revokes(user):
    out = StringIO()
    call_command("tokens", "create", "sre", "--name", "ci", "--days", "7", stdout=out)
    key = out.getvalue().strip()
    assert KEY.fullmatch(key)
    lookup = ApiToken.objects.get().lookup
    listing = StringIO()
    call_command("tokens", "list", "sre", stdout=listing)
    assert f"isc_{lookup}_…\tci\tactive" in listing.getvalue() and key not in listing.getvalue()
    call_command("tokens", "revoke", "sre", f"isc_{lookup}", stdout=StringIO())
    assert ApiToken.objects.get().state() == "revoked"
    with pytest.raises(CommandError, match="already revoked"):
        call_command("tokens", "revoke", "sre", lookup)
    with pytest.raises(CommandError, match="no user"):
        call_command("tokens", "list", "nobody")
    with pytest.raises(CommandError, match="at most"):
        call_command("tokens", "create", "sre", "--name", "x", "--days", "5000")


def test_single_sign_on_is_a_404_while_it_is_not_configured(client, settings):
    settings.INITSCOPE_OIDC_CLIENT_ID = ""
    assert client.get("/oidc/authenticate/").status_code == 404
    assert client.get("/oidc/callback/").status_code == 404
    page = client.get("/login/").content.decode()
    assert "data-sso" not in page and 'id="id_password"' in page


def test_password_sign_in_is_refused_when_local_passwords_are_off(user, settings):
    settings.INITSCOPE_LOCAL_PASSWORDS = False
    page = Client().get("/login/").content.decode()
    assert 'id="id_password"' not in page
    refused = Client().post("/login/", {"username": "sre", "password": "correct-horse-battery"})
    assert refused.status_code == 403 and b"single sign-on" in refused.content


def test_the_groups_claim_becomes_the_users_groups(settings, django_user_model):
    from django.contrib.auth.models import Group

    from accounts.oidc import GroupsBackend, groups_of, username_of

    settings.INITSCOPE_OIDC_GROUPS_CLAIM = "roles"
    assert groups_of({"roles": ["b", " a ", "", 3, "a"]}) == ["a", "b"]
    assert groups_of({"roles": "solo"}) == ["solo"] and groups_of({"roles": {"x": 1}}) == []
    assert username_of({"preferred_username": "alice"}) == "alice" and username_of({"sub": "x"}) == ""
    backend = GroupsBackend.__new__(GroupsBackend)  # no provider settings needed for these two steps
    backend.UserModel = django_user_model
    Group.objects.create(name="old")
    claims = {"preferred_username": "alice", "email": "a@example.com", "roles": ["team-shop"]}
    assert backend.verify_claims(claims) and not backend.verify_claims({"email": "a@example.com"})
    alice = backend.create_user(claims)
    assert not alice.has_usable_password() and alice.email == "a@example.com"
    alice.groups.add(Group.objects.get(name="old"))
    assert list(backend.filter_users_by_claims(claims)) == [alice]
    backend.update_user(alice, {**claims, "roles": ["team-pay"]})
    assert list(alice.groups.values_list("name", flat=True)) == ["team-pay"]
