"""The sign-in lockout's answer (django-axes counts failures per user name and address, settings
INITSCOPE_LOGIN_FAILURE_LIMIT and INITSCOPE_LOGIN_COOLOFF_MINUTES): a 429 page with `Retry-After`."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string


def lockout_response(
    request: HttpRequest, original_response: Any = None, credentials: dict | None = None
) -> HttpResponse:
    minutes = settings.INITSCOPE_LOGIN_COOLOFF_MINUTES
    body = render_to_string("accounts/locked_out.html", {"minutes": minutes}, request=request)
    response = HttpResponse(body, status=429)
    response["Retry-After"] = str(minutes * 60)
    return response
