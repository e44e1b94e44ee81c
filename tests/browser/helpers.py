"""What the browser tests and their conftest share: the cluster's name, screenshots, polling, and
recordings imported into the server's database."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CLUSTER = "browser"


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def wait_for(predicate, timeout: float = 20.0, interval: float = 0.2, message: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    pytest.fail(f"timed out after {timeout}s waiting for {message}")


def server_database_url() -> str:
    """The database `manage.py serve` of conftest.py uses (`test_<name>_browser`)."""
    url = urlparse(os.environ["DATABASE_URL"])
    return urlunparse(url._replace(path=f"/test_{url.path.lstrip('/') or 'initscope'}_browser"))


def import_recording(cluster: str, *paths: Path) -> None:
    """`manage.py import_watch --cluster CLUSTER PATH...` into the server's database, as an SRE would."""
    env = {**os.environ, "DEBUG": "1", "DATABASE_URL": server_database_url(), "INITSCOPE_CLUSTERS": ""}
    subprocess.run(
        [sys.executable, "manage.py", "import_watch", "--cluster", cluster, *map(str, paths)],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
