"""The table the JS unit tests check frontend/js/time.js against is what the Python formatters answer."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_committed_duration_table_is_what_python_answers_today():
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "js_tables.py"), "--check"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
