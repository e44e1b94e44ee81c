"""The soak (tests/soak/runner.py) runs the product as in production: its workers, beat and Daphne with
DEBUG off, so Django keeps no query log whose growth the soak would take for a leak."""

from __future__ import annotations

import subprocess
import sys

from tests.soak.runner import ROOT, product_env

SHOW = (
    "import django; django.setup(); from django.conf import settings; from django.db import connection; "
    "print(settings.DEBUG, connection.queries_logged)"
)


def test_the_soaks_processes_keep_no_query_log(monkeypatch, tmp_path):
    monkeypatch.setenv("SECRET_KEY", "soak-" * 10)
    env = product_env(str(tmp_path / "kubeconfig"))
    shown = subprocess.run([sys.executable, "-c", SHOW], env=env, cwd=ROOT, capture_output=True, text=True,
                           timeout=120)  # fmt: skip
    assert shown.stdout.split() == ["False", "False"], shown.stderr[-2000:]
