"""The API's rate limits (DRF throttling; a 429 with `Retry-After`): per user, whatever authenticates
them, and per API token. Rates (`N/s|min|hour|day`) from INITSCOPE_API_RATE_USER and
INITSCOPE_API_RATE_TOKEN, read at each request; counted in the `throttle` cache (Redis when REDIS_URL is
set, so every web process shares the counts)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.cache import caches
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from accounts.models import ApiToken


class _Throttle(SimpleRateThrottle):
    setting = ""

    def __init__(self) -> None:
        self.cache = caches["throttle"]
        super().__init__()

    def get_rate(self) -> str | None:
        return getattr(settings, self.setting) or None


class UserThrottle(_Throttle):
    scope = "user"
    setting = "INITSCOPE_API_RATE_USER"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        user = request.user
        if user is None or not user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": user.pk}


class TokenThrottle(_Throttle):
    scope = "token"
    setting = "INITSCOPE_API_RATE_TOKEN"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        if not isinstance(request.auth, ApiToken):
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.auth.pk}
