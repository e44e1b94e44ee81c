"""Shared test setup.

Unit tests need no service. Tests that use the database run against the real PostgreSQL of DATABASE_URL
(`make test` sets it); the run stops at once with a clear message when PostgreSQL or Redis is down.
"""

from __future__ import annotations

import os
import socket
from urllib.parse import urlparse

import pytest
from hypothesis import settings

from tests.samples import SAMPLES, import_files
from tests.services import redis_url

# Property tests assert behaviour, not speed (make bench measures speed): no per-example deadline, which
# failed examples that took 259 ms instead of 200 while the machine ran a soak beside the suite.
settings.register_profile("initscope", deadline=None)
settings.load_profile("initscope")


def _reachable(url: str, default_port: int) -> tuple[bool, str]:
    parsed = urlparse(url)
    host, port = parsed.hostname or "127.0.0.1", parsed.port or default_port
    try:
        with socket.create_connection((host, port), timeout=3):
            return True, f"{host}:{port}"
    except OSError as exc:
        return False, f"{host}:{port} ({exc.strerror or exc})"


def _needs_db(item: pytest.Item) -> bool:
    fixtures = getattr(item, "fixturenames", ())
    return (
        item.get_closest_marker("django_db") is not None or "db" in fixtures or "transactional_db" in fixtures
    )


def _xdist_group(item: pytest.Item) -> str:
    """The xdist group of a test (`make test` runs `--dist loadgroup`): its module, so that module-scoped
    fixtures are set up once; the browser tests are one group, so their package's server starts once."""
    path = item.nodeid.split("::", 1)[0]
    return "tests/browser" if path.startswith("tests/browser/") else path


@pytest.hookimpl(tryfirst=True)  # before xdist's own, which adds each test's group to its node id
def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    if hasattr(config, "workerinput"):
        for item in items:
            if item.get_closest_marker("xdist_group") is None:
                item.add_marker(pytest.mark.xdist_group(_xdist_group(item)))
        return  # xdist's controller checked the services before it started the workers (pytest_sessionstart)
    _check_services(
        postgres=any(_needs_db(item) for item in items),
        redis=any(item.get_closest_marker("redis") for item in items),
    )


def _check_services(*, postgres: bool, redis: bool) -> None:
    """Stop the run at once, with what to do, when a service its tests need is down."""
    if postgres:
        url = os.environ.get("DATABASE_URL", "")
        if url.startswith("postgres"):
            ok, where = _reachable(url, 5432)
            if not ok:
                pytest.exit(
                    f"PostgreSQL is not reachable at {where}. The integration tests need it: start it "
                    "(e.g. `pg_ctlcluster 15 main start`) or set DATABASE_URL.",
                    returncode=3,
                )
    if redis:
        ok, where = _reachable(redis_url(), 6379)
        if not ok:
            pytest.exit(
                f"Redis is not reachable at {where}. Start redis-server or set REDIS_URL.", returncode=3
            )


def _is_xdist_controller(config: pytest.Config) -> bool:
    """This process runs xdist's workers (`make test`: `-n 2`), not tests."""
    return bool(getattr(config.option, "numprocesses", None)) and not hasattr(config, "workerinput")


def pytest_sessionstart(session: pytest.Session) -> None:
    """xdist's controller (`make test`): check PostgreSQL and Redis before starting the workers (it does
    not collect, so it checks both whenever the run is given them); a worker stopping the run would end
    in an internal error instead of this message."""
    config = session.config
    if _is_xdist_controller(config):
        _check_services(postgres=True, redis=bool(os.environ.get("REDIS_URL")))


def _soak_is_beside_others(nodeids: list[str]) -> bool:
    soak = [i for i in nodeids if i.startswith("tests/soak/test_soak_short.py")]
    return bool(soak) and len(soak) < len(nodeids)


def pytest_configure(config: pytest.Config) -> None:
    """In the controller of an xdist run (`make test`): the folder the background soak will use, in the
    environment the workers inherit, so that whichever worker runs the soak's test finds its result."""
    from tests.soak import test_soak_short

    if _is_xdist_controller(config):
        import tempfile

        os.environ[test_soak_short.DIR_ENV] = tempfile.mkdtemp(prefix="initscope-soak-short-")


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_node_collection_finished(node, ids: list[str]) -> None:
    """xdist's controller, once a worker has collected: start the 5-minute soak
    (tests/soak/test_soak_short.py) in the background when it is selected and other tests are too, once."""
    from pathlib import Path

    from tests.soak import test_soak_short

    config = node.config
    if config.stash.get(test_soak_short.STARTED, None) is not None or not _soak_is_beside_others(ids):
        return
    tmp_dir = Path(os.environ[test_soak_short.DIR_ENV])
    config.stash[test_soak_short.STARTED] = (test_soak_short.start(tmp_dir, announce=True), tmp_dir)


def pytest_collection_finish(session: pytest.Session) -> None:
    """Without xdist: start the 5-minute soak (tests/soak/test_soak_short.py) in the background when it is
    selected and other tests are too, so that it runs beside them; its test collects the result. (Under
    xdist the controller starts it: pytest_xdist_node_collection_finished.)"""
    if hasattr(session.config, "workerinput") or session.config.option.collectonly:
        return
    if not _soak_is_beside_others([i.nodeid for i in session.items]):
        return
    import tempfile
    from pathlib import Path

    from tests.soak import test_soak_short

    tmp_dir = Path(tempfile.mkdtemp(prefix="initscope-soak-short-"))
    session.config.stash[test_soak_short.STARTED] = (test_soak_short.start(tmp_dir), tmp_dir)


def pytest_unconfigure(config: pytest.Config) -> None:
    """A run stopped early (Ctrl-C, -x) must not leave the background soak behind. (Under xdist this is the
    controller, which unconfigures after every worker has finished.)"""
    from tests.soak import test_soak_short

    started = config.stash.get(test_soak_short.STARTED, None)
    if started is not None and started[0].poll() is None:
        started[0].terminate()
        try:
            started[0].wait(timeout=60)
        except Exception:
            started[0].kill()


@pytest.fixture
def cluster(db):
    from pods.models import Cluster

    return Cluster.objects.create(name="test")


@pytest.fixture
def user(db, django_user_model):
    """A signed-in user with a grant of every cluster, logs included (docs/operations.md "Access control")."""
    from access.models import Grant

    sre = django_user_model.objects.create_user(username="sre", password="correct-horse-battery")
    Grant.objects.create(user=sre, cluster="*", logs=True)
    return sre


@pytest.fixture
def logged_in_client(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def imported_samples(db):
    """All bundled sample recordings imported into cluster `samples`."""
    paths = sorted(SAMPLES.glob("*.json")) + sorted(SAMPLES.glob("*.jsonl"))
    import_files("samples", *paths)
    return paths
