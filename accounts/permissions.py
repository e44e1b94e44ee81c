from __future__ import annotations

from typing import Any

from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request

from accounts.models import ApiToken


class TokenIsReadOnly(BasePermission):
    """A request authenticated by an API token may only read (GET, HEAD, OPTIONS), whatever the view
    allows a session."""

    message = "API tokens are read-only: only GET, HEAD and OPTIONS are allowed."

    def has_permission(self, request: Request, view: Any) -> bool:
        return not isinstance(request.auth, ApiToken) or request.method in SAFE_METHODS
