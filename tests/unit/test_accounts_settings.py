"""The accounts settings (docs/operations.md "Limits", "Single sign-on"): a clear refusal of values that
cannot work, and single sign-on wired only when configured."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
_READ = (
    "import os; os.environ['DJANGO_SETTINGS_MODULE'] = 'dashboard.settings'; "
    "from django.conf import settings; print(' '.join(settings.AUTHENTICATION_BACKENDS))"
)
OIDC = {
    "INITSCOPE_OIDC_CLIENT_ID": "initscope",
    "INITSCOPE_OIDC_CLIENT_SECRET": "s",
    "INITSCOPE_OIDC_AUTHORIZATION_ENDPOINT": "https://id.example.com/auth",
    "INITSCOPE_OIDC_TOKEN_ENDPOINT": "https://id.example.com/token",
    "INITSCOPE_OIDC_USERINFO_ENDPOINT": "https://id.example.com/me",
    "INITSCOPE_OIDC_JWKS_ENDPOINT": "https://id.example.com/jwks",
}


def _settings(**env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("INITSCOPE_OIDC_", "INITSCOPE_API_"))}
    clean.pop("INITSCOPE_LOCAL_PASSWORDS", None)
    return subprocess.run(
        [sys.executable, "-c", _READ], cwd=ROOT, env={**clean, "DEBUG": "1", **env},
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def test_by_default_passwords_with_the_lockout_and_no_single_sign_on():
    out = _settings()
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == [
        "accounts.backends.LockoutBackend",
        "django.contrib.auth.backends.ModelBackend",
    ]


def test_single_sign_on_alone_when_passwords_are_off():
    out = _settings(**OIDC, INITSCOPE_LOCAL_PASSWORDS="0")
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["accounts.oidc.GroupsBackend"]


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"INITSCOPE_LOCAL_PASSWORDS": "0"}, "INITSCOPE_LOCAL_PASSWORDS=0 needs single sign-on"),
        ({**OIDC, "INITSCOPE_OIDC_JWKS_ENDPOINT": ""}, "INITSCOPE_OIDC_JWKS_ENDPOINT"),
        ({"INITSCOPE_API_RATE_USER": "10 per minute"}, "API rate '10 per minute'"),
    ],
)
def test_settings_that_cannot_work_are_refused_by_name(env, named):
    out = _settings(**env)
    assert out.returncode != 0 and "ImproperlyConfigured" in out.stderr and named in out.stderr
