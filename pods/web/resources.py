"""The resources page (`/reports/resources/`): per workload × init container, requests and limits, the Pod's
effective request and the init container that sets it, OOM kills against the memory limit
(`pods.reports.resources`, docs/reports.md "Resources"). Thin: the same document the API serves, rendered;
every cluster string is autoescaped by the template. Needs a logged-in user (LoginRequiredMiddleware).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from access.grants import scope_of
from pods import selectors
from pods.reports import PeriodError
from pods.reports.resources import resources_document

MAX_PARAM = 253
PARAMS = ("cluster", "namespace", "workload", "container", "since", "until")
SET_BY = {"app": "apps", "init": "init", "pod": "pod-level"}


def _shown(row: dict[str, Any]) -> dict[str, Any]:
    """A row with its effective request as a list the template reads: resource, quantity, what sets it."""
    effective = [
        {"resource": name, "quantity": quantity, "by": SET_BY.get(row["set_by"].get(name, ""), "")}
        for name, quantity in row["effective_requests"].items()
    ]
    return {**row, "effective": effective}


@require_GET
def resources_report(request: HttpRequest) -> HttpResponse:
    """The report for the page's filters; a bad period answers 400 with the form and what is wrong."""
    params = {name: (request.GET.get(name) or "").strip()[:MAX_PARAM] for name in PARAMS}
    scope = scope_of(request)
    context: dict[str, Any] = {
        "nav": "resources",
        "params": params,
        "clusters": selectors.cluster_names(scope=scope),
        "error": "",
    }
    try:
        context["document"] = document = resources_document({**params, "scope": scope})
        context["rows"] = [_shown(row) for row in document["rows"]]
    except PeriodError as exc:
        context["error"] = f"{exc.field}: {exc}"
        return render(request, "pods/resources_report.html", context, status=400)
    return render(request, "pods/resources_report.html", context)
