"""The clusters page: every configured cluster and the health of its watch."""

from __future__ import annotations

from datetime import UTC, datetime

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from pods import selectors


@require_GET
def cluster_list(request: HttpRequest) -> HttpResponse:
    """Configured clusters with state, holder, last event, lag and the newest error, per stream too."""
    now = datetime.now(UTC)
    return render(
        request,
        "pods/clusters.html",
        {"nav": "clusters", "now": now, "clusters": selectors.cluster_health(now=now)},
    )
