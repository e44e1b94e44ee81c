"""The configuration surface: every variable the settings read is documented, and the compose file is
valid for `docker compose config` (no Docker engine runs here, so validation is the check)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
READERS = re.compile(r"env_(?:str|bool|int|float|list)\(\s*\"([A-Z0-9_]+)\"")
RAW_READS = re.compile(r"os\.(?:environ|getenv)\b[^\n]*\"((?:INITSCOPE|DATABASE|REDIS|CELERY)_[A-Z0-9_]*)\"")


def _documented() -> set[str]:
    text = (ROOT / ".env.example").read_text()
    return set(re.findall(r"^([A-Z0-9_]+)=", text, re.M))


def _read_by_settings() -> set[str]:
    read = set()
    for path in (ROOT / "dashboard").glob("*.py"):
        read |= set(READERS.findall(path.read_text()))
    return read


def test_every_setting_read_from_the_environment_is_in_env_example():
    read = _read_by_settings()
    assert read, "the settings read variables through dashboard.env"
    assert read - _documented() == set(), "add these to .env.example"


def test_env_example_lists_only_variables_that_something_reads():
    assert _documented() - _read_by_settings() == set(), "stale entries in .env.example"


def test_product_code_reads_its_variables_through_the_settings_only():
    offenders = [
        f"{path.relative_to(ROOT)}: {name}"
        for package in ("pods", "dashboard")
        for path in (ROOT / package).rglob("*.py")
        for name in RAW_READS.findall(path.read_text())
    ]
    assert offenders == []


def _compose() -> list[str] | None:
    if (
        shutil.which("docker")
        and subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0
    ):
        return ["docker", "compose"]
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    return None


@pytest.mark.skipif(_compose() is None, reason="neither `docker compose` nor `docker-compose` is installed")
def test_docker_compose_accepts_the_compose_file():
    env = dict(os.environ, SECRET_KEY="check-only")
    out = subprocess.run([*_compose(), "config", "-q"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    missing = subprocess.run([*_compose(), "config", "-q"], cwd=ROOT, env={"PATH": os.environ["PATH"]},
                             capture_output=True, text=True)  # fmt: skip
    assert missing.returncode != 0 and "SECRET_KEY" in missing.stderr, "a missing SECRET_KEY is named"
