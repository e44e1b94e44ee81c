"""What the browser benchmarks (B3, B5) and the browser tests share to run the product for a browser: a free
port, a PostgreSQL database of their own, `manage.py` commands, processes started in sessions of their own
(`manage.py serve`, workers) with their output in a log, waited for and stopped, chromium's options."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse, urlunparse

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")  # Debian's; Playwright's own download is not used
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SERVER_START_TIMEOUT = 60
ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def own_database(database_url: str, name: str) -> Iterator[str]:
    """A PostgreSQL database `name` on the server of `database_url`, created empty and dropped afterwards;
    yields its URL."""
    import psycopg

    url = urlparse(database_url)
    admin = urlunparse(url._replace(scheme="postgresql", path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlunparse(url._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def manage(env: dict[str, str], *args: str) -> None:
    """`python manage.py ARGS` in the repository with `env`; RuntimeError with its output when it fails."""
    out = subprocess.run(
        [sys.executable, "manage.py", *args], env=env, cwd=ROOT, capture_output=True, text=True
    )
    if out.returncode != 0:
        raise RuntimeError(f"manage.py {args[0]} failed:\n{out.stdout[-2000:]}{out.stderr[-3000:]}")


def start(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    """`command` in the repository, in a session of its own (`stop` ends its whole group), its output in
    `log`."""
    with log.open("w") as out:
        return subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )


def answers(url: str) -> bool:
    """Whether `url` answers 200 now."""
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def wait_until_serving(process: subprocess.Popen, url: str, log: Path, timeout: float = SERVER_START_TIMEOUT):
    """Until `manage.py serve` answers its login page; RuntimeError (with the log's end) when it exits or
    does not answer in time."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"manage.py serve exited with {process.returncode}:\n{log.read_text()[-3000:]}"
            )
        if answers(f"{url}/login/"):
            return
        time.sleep(0.2)
    raise RuntimeError(f"manage.py serve did not answer within {timeout:.0f}s:\n{log.read_text()[-3000:]}")


def stop(process: subprocess.Popen, sig: int = signal.SIGINT, timeout: float = 20) -> None:
    """Stop a process started with `start_new_session=True`: `sig` to its group (Ctrl-C by default, as a
    user would), SIGKILL only if it does not stop in time."""
    if process.poll() is None:
        os.killpg(process.pid, sig)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
