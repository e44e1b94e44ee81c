"""What each pytest-xdist worker of `make test` owns: its own PostgreSQL database names and Redis database.

`make test` runs the suite in two worker processes (`-n 2`, `pyproject.toml`). The tests start servers,
Celery workers and kubesims of their own on free ports, but they derive database names from DATABASE_URL
(pytest-django's `test_<name>`, the browser server's `test_<name>_browser`, ...) and clear Redis keys in
REDIS_URL's database. This plugin, loaded before Django's settings are read (`-p tests.xdist_worker`),
gives worker N the database name `<name>_gwN` and the Redis database 15 - N (or REDIS_URL's minus N), so two
workers never share either. Outside xdist it changes nothing.
"""

from __future__ import annotations

import os
from urllib.parse import urlparse, urlunparse

from tests.services import redis_url


def worker_number() -> int | None:
    """0, 1, ... in an xdist worker (PYTEST_XDIST_WORKER is `gw0`, `gw1`, ...); None otherwise."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    return int(worker.removeprefix("gw")) if worker.startswith("gw") else None


def _own_urls(number: int) -> None:
    database = os.environ.get("DATABASE_URL", "")
    if database.startswith("postgres"):
        url = urlparse(database)
        name = url.path.lstrip("/") or "initscope"
        os.environ["DATABASE_URL"] = urlunparse(url._replace(path=f"/{name}_gw{number}"))
    redis = urlparse(redis_url())
    base = int(redis.path.lstrip("/") or 0)
    if base - number < 0:
        raise RuntimeError(f"REDIS_URL's database {base} leaves no database for xdist worker gw{number}")
    os.environ["REDIS_URL"] = urlunparse(redis._replace(path=f"/{base - number}"))


_number = worker_number()
if _number is not None:
    _own_urls(_number)
