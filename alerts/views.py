"""The alerts page (`/alerts/`): open alerts, then the recently resolved, each linking to its Pod's
waterfall or its workload's incident report."""

from __future__ import annotations

from datetime import UTC, datetime

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from access.grants import scope_of
from alerts import selectors
from alerts.models import Alert


@require_GET
def alert_page(request: HttpRequest) -> HttpResponse:
    now = datetime.now(UTC)
    scope = scope_of(request)
    alerts = selectors.alert_list(now=now, scope=scope)
    open_count = sum(1 for a in alerts if a.status == Alert.OPEN)
    context = {
        "nav": "alerts",
        "now": now,
        "alerts": alerts,
        "open_count": open_count,
        "no_access": scope.empty,
    }
    return render(request, "alerts/alerts.html", context)
