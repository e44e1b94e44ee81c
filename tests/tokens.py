"""An API token for tests, made the way the Tokens page and `manage.py tokens create` make one."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone


def api_key(user, name: str = "test", days: int = 30) -> str:
    """A fresh token's key for `user` (send it as `Authorization: Bearer <key>` or `Token <key>`)."""
    from accounts import api_tokens

    _, key = api_tokens.create(user, name, timezone.now() + timedelta(days=days))
    return key
