"""Making and revoking API tokens: the one home for both (the Tokens page and `manage.py tokens`)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from accounts import audit, tokens
from accounts.models import ApiToken, AuditEvent


class TokenError(ValueError):
    pass


def lifetime_limit() -> timedelta:
    return timedelta(days=settings.INITSCOPE_TOKEN_MAX_DAYS)


def create(user: Any, name: str, expires_at: datetime, *, request: Any = None) -> tuple[ApiToken, str]:
    """A new token for `user` and its key (to show once: only its hash is kept)."""
    name = name.strip()
    now = timezone.now()
    if not name:
        raise TokenError("give the token a name")
    if expires_at <= now:
        raise TokenError("the expiry must be in the future")
    if expires_at > now + lifetime_limit():
        raise TokenError(f"a token lives at most {settings.INITSCOPE_TOKEN_MAX_DAYS} days")
    made = tokens.new_key()
    token = ApiToken.objects.create(
        user=user,
        name=name[:100],
        lookup=made.lookup,
        digest=made.digest,
        created_at=now,
        expires_at=expires_at,
    )
    audit.record(
        getattr(request, "user", None) or user,
        AuditEvent.TOKEN_CREATED,
        _target(token),
        {"expires_at": expires_at.isoformat(), "for": user.get_username()},
        request=request,
    )
    return token, made.key


def revoke(token: ApiToken, *, actor: Any = None, request: Any = None) -> bool:
    """Revoke `token` (False when it already was)."""
    if token.revoked_at is not None:
        return False
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    audit.record(actor or token.user, AuditEvent.TOKEN_REVOKED, _target(token), {}, request=request)
    return True


def _target(token: ApiToken) -> str:
    return f"token {token.name} (isc_{token.lookup}) of {token.user.get_username()}"
