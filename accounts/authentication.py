"""DRF authentication by API token: `Authorization: Bearer <key>` or `Authorization: Token <key>` (the
keyword clients used before tokens were per user and hashed; both work).

A bad, expired or revoked key is a 401 (the `WWW-Authenticate` header says Bearer), never an anonymous
request. `last_used_at` moves at most once a minute, by one conditional UPDATE; the request that moves
it writes the audit line `token.used`, so the log holds the first use of a token in each minute.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db.models import Q
from django.utils import timezone
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request

from accounts import audit, tokens
from accounts.models import ApiToken, AuditEvent

KEYWORDS = (b"bearer", b"token")
TOUCH_EVERY = timedelta(minutes=1)


class ApiTokenAuthentication(BaseAuthentication):
    def authenticate(self, request: Request) -> tuple[Any, ApiToken] | None:
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() not in KEYWORDS:
            return None
        if len(parts) != 2:
            raise AuthenticationFailed("Invalid Authorization header: give one token after the keyword.")
        try:
            key = parts[1].decode()
        except UnicodeDecodeError:
            raise AuthenticationFailed("Invalid token.")
        token = authenticate_key(key)
        touch(token, request)
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'


def authenticate_key(key: str) -> ApiToken:
    """The active token of `key`, or AuthenticationFailed saying why."""
    lookup = tokens.lookup_of(key)
    token = ApiToken.objects.select_related("user").filter(lookup=lookup).first() if lookup else None
    if token is None or not tokens.matches(key, token.digest):
        raise AuthenticationFailed("Invalid token.")
    state = token.state()
    if state != "active":
        raise AuthenticationFailed(f"Token {state}.")
    if not token.user.is_active:
        raise AuthenticationFailed("User inactive or deleted.")
    return token


def touch(token: ApiToken, request: Request) -> None:
    now = timezone.now()
    moved = ApiToken.objects.filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lte=now - TOUCH_EVERY), pk=token.pk
    ).update(last_used_at=now)
    if moved:
        token.last_used_at = now
        audit.record(
            token.user,
            AuditEvent.TOKEN_USED,
            f"token {token.name} (isc_{token.lookup})",
            {"path": request.path, "method": request.method},
            request=request,
        )
