"""The retention settings (pods.history): defaults, and a clear refusal of values that cannot hold."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
_READ = (
    "import django, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'dashboard.settings'; "
    "from django.conf import settings; "
    "print(settings.INITSCOPE_RETAIN_EVENTS_DAYS, settings.INITSCOPE_RETAIN_ATTEMPTS_DAYS, "
    "settings.INITSCOPE_RETAIN_ROLLUPS_DAYS)"
)


def _settings(**env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("INITSCOPE_RETAIN_")}
    return subprocess.run(
        [sys.executable, "-c", _READ],
        cwd=ROOT,
        env={**clean, "DEBUG": "1", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_defaults_keep_events_two_weeks_attempts_three_months_rollups_a_year():
    out = _settings()
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["14", "90", "400"]


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"INITSCOPE_RETAIN_EVENTS_DAYS": "100"}, "must not exceed INITSCOPE_RETAIN_ATTEMPTS_DAYS=90"),
        ({"INITSCOPE_RETAIN_ATTEMPTS_DAYS": "7"}, "INITSCOPE_RETAIN_EVENTS_DAYS=14 must not exceed"),
        ({"INITSCOPE_RETAIN_ROLLUPS_DAYS": "0"}, "INITSCOPE_RETAIN_ROLLUPS_DAYS=0 is below the minimum of 1"),
        ({"INITSCOPE_RETAIN_EVENTS_DAYS": "two weeks"}, "is not a whole number"),
    ],
)
def test_values_that_cannot_hold_are_refused_with_a_clear_error(env, named):
    out = _settings(**env)
    assert out.returncode != 0
    assert "ImproperlyConfigured" in out.stderr and named in out.stderr


def test_equal_retentions_are_accepted():
    out = _settings(INITSCOPE_RETAIN_EVENTS_DAYS="30", INITSCOPE_RETAIN_ATTEMPTS_DAYS="30")
    assert out.returncode == 0, out.stderr
    assert out.stdout.split()[:2] == ["30", "30"]
