"""The configuration surface: every variable the settings read is documented (the compose file is checked
against the same settings in tests/unit/test_compose.py)."""

from __future__ import annotations

import re
from pathlib import Path

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
