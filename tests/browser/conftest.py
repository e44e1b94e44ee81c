"""Browser tests: Playwright drives Debian's chromium against the real product.

One session-wide setup: kubesim (ManualClock, so the tests decide when time passes) plays SCENARIO in this
process; `manage.py serve` runs in a subprocess on a free port, pointed at the test
database and Redis, with its embedded Celery worker and beat watching kubesim as cluster `browser`. The
tests log in through the form, read pages, and compare with kubesim's ground truth. Screenshots go to
test-artifacts/. Without chromium the suite fails in CI (CI=true) and is skipped elsewhere.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlparse

import pytest

from bench.serving import (
    CHROMIUM,
    CHROMIUM_ARGS,
    free_port,
    manage,
    own_database,
    start,
    stop,
    wait_until_serving,
)

from .helpers import ARTIFACTS, CLUSTER, wait_for

USERNAME, PASSWORD = "sre", "browser-test-password"
XSS = '<script>window.__xss = 1</script><img src=x onerror="window.__xss = 2">'

SCENARIO = {
    "name": "browser",
    "namespaces": ["shop"],
    "workloads": [
        {
            "kind": "Pod",
            "name": "api-crashloop",
            "namespace": "shop",
            "initContainers": [
                {"name": "wait-for-db", "image": "busybox:1.36", "behavior": {"duration": 1}},
                {
                    "name": "migrate",
                    "image": "acme/migrate:2.0",
                    "behavior": {
                        "duration": 2,
                        "exit_code": 1,
                        "error_message": 'ERROR: relation "orders" does not exist',
                        "termination_message": f"migration failed {XSS}",
                    },
                },
            ],
            "containers": [{"name": "app", "image": "acme/api:1.4"}],
        },
        {
            "kind": "Pod",
            "name": "fetcher",
            "namespace": "shop",
            "initContainers": [
                {
                    "name": "fetch-assets",
                    "image": "registry.example.com/acme/assets:9.9",
                    "behavior": {"pull_failures": 1000, "pull_error": f"manifest unknown {XSS}"},
                }
            ],
            "containers": [{"name": "app", "image": "acme/web:1.0"}],
        },
        {
            "kind": "Pod",
            "name": "web-healthy",
            "namespace": "shop",
            "initContainers": [{"name": "wait-for-db", "image": "busybox:1.36", "behavior": {"duration": 1}}],
            "containers": [{"name": "app", "image": "acme/web:1.0", "behavior": {"ready_delay": 1}}],
        },
        {
            # two failed pulls (ErrImagePull, ImagePullBackOff), then the pull succeeds (test_waiting.py)
            "kind": "Pod",
            "name": "pull-recovers",
            "namespace": "shop",
            "initContainers": [
                {
                    "name": "fetch-config",
                    "image": "registry.example.com/acme/config:2.1",
                    "behavior": {"duration": 1, "pull_failures": 2, "pull_error": "connection reset by peer"},
                }
            ],
            "containers": [{"name": "app", "image": "acme/web:1.0"}],
        },
        {
            # OOMKilled once, then done; its 1Gi init request sets the Pod's memory request
            # (test_resources_browser.py)
            "kind": "Pod",
            "name": "cache-oom",
            "namespace": "shop",
            "initContainers": [
                {
                    "name": "warm-cache",
                    "image": "acme/warm:1.0",
                    "resources": {"requests": {"cpu": "100m", "memory": "1Gi"}, "limits": {"memory": "1Gi"}},
                    "behavior": {"durations": [1, 1], "exit_codes": [137, 0], "oom": True},
                }
            ],
            "containers": [
                {"name": "app", "image": "acme/web:1.0", "resources": {"requests": {"memory": "128Mi"}}}
            ],
        },
    ],
}


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if Path(str(item.fspath)).is_relative_to(here):
            item.add_marker(pytest.mark.browser)


# Package scope, as the browser and the server it needs: autouse fixtures come first within their scope, so
# this one runs before anything is started, and its skip (or failure) holds for every test of the package.
@pytest.fixture(scope="package", autouse=True)
def _chromium_present() -> None:
    """Without chromium: a failure in CI (CI=true), a skip elsewhere (`make setup` installs it)."""
    if Path(CHROMIUM).exists():
        return
    message = (
        f"chromium is not installed at {CHROMIUM}: the browser tests need it "
        "(`make setup` installs it when it may, or `sudo apt-get install chromium`)"
    )
    if _in_ci():
        pytest.fail(message)
    pytest.skip(message)


@contextmanager
def browser_database(suffix: str = "browser") -> Iterator[str]:
    """A PostgreSQL database of its own (`test_<name>_<suffix>`), created empty and dropped afterwards.

    Not pytest-django's test database: Playwright's event loop runs in this thread, so Django here could
    not touch a database while pages are open; the server and `manage.py` subprocesses own this one.
    """
    url = os.environ.get("DATABASE_URL", "")
    if not urlparse(url).scheme.startswith("postgres"):
        pytest.skip("the browser tests need PostgreSQL (DATABASE_URL), as `make test` sets it")
    with own_database(url, f"test_{urlparse(url).path.lstrip('/') or 'initscope'}_{suffix}") as database_url:
        yield database_url


# Package scope, not session: Playwright's sync API runs an event loop in the main thread while the
# browser is open, and pytest-asyncio cannot run the later async tests until it is closed.
@pytest.fixture(scope="package")
def kubesim():
    from kubesim.testing import running_kubesim

    with running_kubesim(SCENARIO, manual=True, context=CLUSTER, seed=7) as ks:
        yield ks


@pytest.fixture(scope="package")
def server_url(kubesim, tmp_path_factory) -> Iterator[str]:
    """`manage.py serve` in a subprocess (Daphne + Celery worker + beat), watching kubesim."""
    ARTIFACTS.mkdir(exist_ok=True)
    port = free_port()
    var = tmp_path_factory.mktemp("serve-var")
    with browser_database() as database_url:
        env = {
            **os.environ,
            "DEBUG": "1",
            "DATABASE_URL": database_url,
            "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15"),
            "KUBECONFIG": kubesim.kubeconfig_path,
            "INITSCOPE_CLUSTERS": CLUSTER,
            "INITSCOPE_VAR_DIR": str(var),
            "INITSCOPE_ENSURE_WATCHERS_SECONDS": "2",
            "INITSCOPE_ALERT_EVALUATE_SECONDS": "2",  # test_alerts_browser.py waits for it (default 30 s)
            "INITSCOPE_FLUSH_MS": "50",
            "PYTHONUNBUFFERED": "1",
            "DATABASE_CONN_MAX_AGE": "0",
            "DJANGO_SUPERUSER_PASSWORD": PASSWORD,
        }
        manage(env, "migrate", "-v0")
        manage(env, "createsuperuser", "--noinput", "--username", USERNAME, "--email", "sre@example.com")
        log_path = ARTIFACTS / "browser-server.log"
        process = start([sys.executable, "manage.py", "serve", "--port", str(port)], env, log_path)
        url = f"http://127.0.0.1:{port}"
        try:
            wait_until_serving(process, url, log_path)
            _play_scenario(kubesim, database_url)
            yield url
        finally:
            stop(process)


def _stored_pods(database_url: str) -> int:
    import psycopg

    with psycopg.connect(database_url.replace("postgres://", "postgresql://", 1)) as conn:
        return conn.execute("SELECT count(*) FROM pods_pod WHERE seen").fetchone()[0]


def _play_scenario(kubesim, database_url: str) -> None:
    """Once the watcher has listed the Pods, run 40 simulated seconds: the watch sees every transition,
    so every attempt is stored with its details (attempts before the list would be "details unknown")."""
    wait_for(lambda: _stored_pods(database_url) >= len(SCENARIO["workloads"]), 40, message="the first list")
    for _ in range(4):
        kubesim.advance(10)
        time.sleep(0.3)


@pytest.fixture(scope="package")
def browser(server_url):
    """Chromium. Started after the server: Playwright's loop would make Django refuse database setup."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="package")
def login_state(browser, server_url, tmp_path_factory) -> str:
    """Storage state (session cookie) of a login through the form."""
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{server_url}/login/")
    page.fill("#id_username", USERNAME)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{server_url}/")
    path = tmp_path_factory.mktemp("state") / "state.json"
    context.storage_state(path=str(path))
    context.close()
    return str(path)


@pytest.fixture
def page(browser, login_state):
    """A logged-in page; console errors are collected in `page.errors`."""
    context = browser.new_context(storage_state=login_state, viewport={"width": 1360, "height": 900})
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    yield page
    context.close()
