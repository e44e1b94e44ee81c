"""Single sign-on end to end: a real OpenID Connect provider (`oidc-provider`, tests/oidc_provider.js) on
127.0.0.1, and `manage.py serve` configured for it with local passwords off. Alice signs in through the
provider's own pages; Initscope creates her, maps her groups claim to Django groups, and a grant to her
group (`load_access`) shows her one namespace of the imported samples and nothing of the other."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench.serving import free_port, stop, wait_until_serving

from .conftest import browser_database
from .helpers import ARTIFACTS, ROOT, wait_for

CLIENT_ID, CLIENT_SECRET = "initscope", "secret-for-the-tests-only"
USERS = {
    "alice": {"preferred_username": "alice", "email": "alice@example.com", "groups": ["team-shop"]},
    "bob": {"preferred_username": "bob", "email": "bob@example.com", "groups": []},
}
GRANTS = "grants:\n  - group: team-shop\n    cluster: samples\n    namespaces: [shop]\n"


def _query(database_url: str, sql: str, *params):
    import psycopg

    with psycopg.connect(database_url.replace("postgres://", "postgresql://", 1)) as conn:
        return conn.execute(sql, params).fetchall()


@pytest.fixture(scope="module")
def provider(tmp_path_factory):
    """The provider's issuer URL and the web port its client may return to."""
    port, web_port = free_port(), free_port()
    config = tmp_path_factory.mktemp("oidc") / "config.json"
    redirect = f"http://127.0.0.1:{web_port}/oidc/callback/"
    client = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "redirect_uris": [redirect]}
    config.write_text(json.dumps({"client": client, "users": USERS}))
    env = {**os.environ, "PATH": f"{ROOT / '.venv' / 'bin'}:{os.environ['PATH']}"}
    log_path = ARTIFACTS / "oidc-provider.log"
    ARTIFACTS.mkdir(exist_ok=True)
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            ["node", "tests/oidc_provider.js", str(port), str(config)],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    try:
        wait_for(
            lambda: "ready" in log_path.read_text() or process.poll() is not None, 20, message="provider"
        )
        assert process.poll() is None, log_path.read_text()
        yield f"http://127.0.0.1:{port}", web_port
    finally:
        stop(process)


@pytest.fixture(scope="module")
def sso_server(provider, tmp_path_factory):
    """`manage.py serve --no-worker` with single sign-on on and passwords off, on its own database (the
    samples imported into cluster `samples`, the grant file loaded); yields (url, database url)."""
    issuer, port = provider
    grants = tmp_path_factory.mktemp("grants") / "grants.yaml"
    grants.write_text(GRANTS)
    with browser_database("sso") as database_url:
        env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "KUBECONFIG")}
        env.update(
            DEBUG="1",
            DATABASE_URL=database_url,
            DATABASE_CONN_MAX_AGE="0",
            INITSCOPE_VAR_DIR=str(tmp_path_factory.mktemp("sso-var")),
            INITSCOPE_LOCAL_PASSWORDS="0",
            INITSCOPE_OIDC_CLIENT_ID=CLIENT_ID,
            INITSCOPE_OIDC_CLIENT_SECRET=CLIENT_SECRET,
            INITSCOPE_OIDC_AUTHORIZATION_ENDPOINT=f"{issuer}/auth",
            INITSCOPE_OIDC_TOKEN_ENDPOINT=f"{issuer}/token",
            INITSCOPE_OIDC_USERINFO_ENDPOINT=f"{issuer}/me",
            INITSCOPE_OIDC_JWKS_ENDPOINT=f"{issuer}/jwks",
            INITSCOPE_OIDC_SCOPES="openid email profile groups",
            PYTHONUNBUFFERED="1",
        )
        manage = [sys.executable, "manage.py"]
        samples = sorted(str(p) for p in Path(ROOT / "samples").glob("*.json*"))
        for command in (["migrate", "-v0"], ["import_watch", "--cluster", "samples", *samples],
                        ["load_access", str(grants)]):  # fmt: skip
            subprocess.run([*manage, *command], cwd=ROOT, env=env, check=True, capture_output=True)
        log_path = ARTIFACTS / "sso-server.log"
        with open(log_path, "w") as log:
            process = subprocess.Popen(
                [*manage, "serve", "--no-worker", "--port", str(port)],
                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
        url = f"http://127.0.0.1:{port}"
        try:
            wait_until_serving(process, url, log_path)
            yield url, database_url
        finally:
            stop(process)


def _sign_in_through_the_provider(page, url: str, login: str) -> None:
    page.goto(f"{url}/login/")
    assert page.locator("#id_password").count() == 0, "local passwords are off: no password form"
    page.click("[data-sso]")
    page.fill("input[name=login]", login)
    page.fill("input[name=password]", "any password: the provider's development pages take any")
    page.click("button[type=submit]")
    page.click("button:has-text('Continue')")  # the provider's consent page
    page.wait_for_url(f"{url}/")


def test_a_provider_user_is_created_with_their_groups_and_sees_their_namespace_only(browser, sso_server):
    url, database_url = sso_server
    context = browser.new_context()
    page = context.new_page()
    try:
        _sign_in_through_the_provider(page, url, "alice")
        assert page.locator(".whoami").inner_text() == "alice"
        page.screenshot(path=str(ARTIFACTS / "sso-alice.png"), full_page=True)
        pods = page.request.get(f"{url}/api/v1/pods?page_size=500").json()["results"]
        assert pods and {p["namespace"] for p in pods} == {"shop"}
        analytics = _query(database_url, "SELECT uid FROM pods_pod WHERE namespace = 'analytics' LIMIT 1")
        assert analytics, "the samples hold another namespace, which alice must not see"
        assert page.request.get(f"{url}/api/v1/pods/{analytics[0][0]}").status == 404
        shown = page.locator("main").inner_text()
        assert "analytics" not in shown and "shop" in shown
        rows = _query(
            database_url,
            "SELECT u.email, u.password, g.name FROM auth_user u "
            "JOIN auth_user_groups ug ON ug.user_id = u.id JOIN auth_group g ON g.id = ug.group_id "
            "WHERE u.username = 'alice'",
        )
        assert [(email, name) for email, _, name in rows] == [("alice@example.com", "team-shop")]
        assert rows[0][1].startswith("!"), "no usable password"
        audit = _query(database_url, "SELECT detail FROM accounts_auditevent WHERE action = 'sign-in'")
        assert audit == [({"backend": "accounts.oidc.GroupsBackend"},)]
    finally:
        context.close()


def test_a_user_without_a_granted_group_sees_nothing(browser, sso_server):
    url, database_url = sso_server
    context = browser.new_context()
    page = context.new_page()
    try:
        _sign_in_through_the_provider(page, url, "bob")
        assert page.request.get(f"{url}/api/v1/pods").json()["count"] == 0
        assert page.request.get(f"{url}/api/v1/pods?page_size=1").json()["results"] == []
        assert _query(database_url, "SELECT count(*) FROM auth_user WHERE username = 'bob'") == [(1,)]
    finally:
        context.close()
