"""The clusters page: every configured cluster and the health of its watch."""

from __future__ import annotations

from datetime import UTC, datetime

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from access.grants import scope_of
from pods import selectors

MAX_NAME = 253


@require_GET
def cluster_list(request: HttpRequest) -> HttpResponse:
    """Configured clusters with state, holder, last event, lag and the newest error, per stream too; then
    the recordings (imported clusters no one watches) with their Pod and stuck counts."""
    now = datetime.now(UTC)
    scope = scope_of(request)
    context = {
        "nav": "clusters",
        "now": now,
        "clusters": selectors.cluster_health(now=now, scope=scope),
        "recordings": selectors.recorded_clusters(now=now, scope=scope),
        "no_access": scope.empty,
    }
    return render(request, "pods/clusters.html", context)


@require_GET
def freshness_fragment(request: HttpRequest) -> HttpResponse:
    """Whether the data of the page's clusters is current (`?cluster=C`, repeatable; none: every cluster),
    as the banner the Pod list and the Pod page show: live.js re-reads it every few seconds and on a
    `clusters.changed` message, and turns the live indicator to `stale` / `recorded` from it."""
    names = [n.strip()[:MAX_NAME] for n in request.GET.getlist("cluster") if n.strip()]
    scope = scope_of(request)
    if not scope.everything:  # only the clusters the reader has a grant on
        names = [n for n in names or selectors.cluster_names(scope=scope) if scope.allows_cluster(n)]
    freshness = selectors.page_freshness(names=names if names or not scope.everything else None)
    response = render(request, "pods/_freshness.html", {"freshness": freshness})
    response["Cache-Control"] = "no-store"
    return response
