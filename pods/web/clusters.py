"""The clusters page: every configured cluster and the health of its watch."""

from __future__ import annotations

from datetime import UTC, datetime

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from pods import selectors

MAX_NAME = 253


@require_GET
def cluster_list(request: HttpRequest) -> HttpResponse:
    """Configured clusters with state, holder, last event, lag and the newest error, per stream too; then
    the recordings (imported clusters no one watches) with their Pod and stuck counts."""
    now = datetime.now(UTC)
    context = {
        "nav": "clusters",
        "now": now,
        "clusters": selectors.cluster_health(now=now),
        "recordings": selectors.recorded_clusters(now=now),
    }
    return render(request, "pods/clusters.html", context)


@require_GET
def freshness_fragment(request: HttpRequest) -> HttpResponse:
    """Whether the data of the page's clusters is current (`?cluster=C`, repeatable; none: every cluster),
    as the banner the Pod list and the Pod page show: live.js re-reads it every few seconds and on a
    `clusters.changed` message, and turns the live indicator to `stale` / `recorded` from it."""
    names = [n.strip()[:MAX_NAME] for n in request.GET.getlist("cluster") if n.strip()]
    freshness = selectors.page_freshness(names=names or None)
    response = render(request, "pods/_freshness.html", {"freshness": freshness})
    response["Cache-Control"] = "no-store"
    return response
