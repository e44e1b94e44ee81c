"""The incident report page (`/reports/incident/`): one workload over a period, printable (a print
stylesheet, `incident.css`; "Print / Save as PDF" is the browser's print) and downloadable as the API's
JSON.

Thin: the parameters are the API's (`pods.api.incident.IncidentQuerySerializer`), the content
`pods.reports.incident.incident_report` (what the API answers), and each of the slowest Pods is drawn with
the Pod page's waterfall (`pods.web.waterfall` over `selectors.pod_document`, the `_waterfall.html`
partial with ids prefixed per Pod), its title linking to the Pod page.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_GET

from access.grants import scope_of
from access.scope import Scope
from pods import selectors
from pods.api.incident import IncidentQuerySerializer
from pods.reports import incident
from pods.reports.period import PeriodError
from pods.web.reports import cell_text
from pods.web.views import MAX_PARAM
from pods.web.waterfall import waterfall_layout

TEXT = ("cluster", "namespace", "workload", "since", "until", "slowest")
BAR_HEIGHT = 24  # the failures timeline's bars, in SVG units


def _params(query: QueryDict) -> dict[str, str]:
    return {name: (query.get(name) or "").strip()[:MAX_PARAM] for name in TEXT}


def _waterfalls(document: dict[str, Any], scope: Scope) -> list[dict[str, Any]]:
    """The slowest Pods drawn as on their Pod page, at their cluster's "now"."""
    out = []
    pods = {p["uid"]: p for p in document["pods"]}
    for n, uid in enumerate(document["slowest"]):
        pod = selectors.pod_get(uid=uid, cluster=document["cluster"], scope=scope)
        if pod is None:
            continue
        now = selectors.cluster_now(pod.cluster)
        doc = selectors.pod_document(pod, now=now, scope=scope)
        out.append(
            {
                "pod": pods[uid],
                "doc": doc,
                "layout": waterfall_layout(doc, now=now),
                "prefix": f"p{n}-",
                "href": reverse("pods:detail", args=[uid])
                + "?"
                + urlencode({"cluster": document["cluster"]}),
            }
        )
    return out


def _timeline(document: dict[str, Any]) -> list[dict[str, Any]]:
    """Per container, one bar per bucket: failed attempts over attempts (heights scaled to the busiest
    bucket of the report), with a text for each bucket that had any."""
    rows = document["containers"]
    top = max((n for r in rows for n in r["attempts_per_bucket"]), default=0) or 1
    buckets = document["buckets"]
    out = []
    for r in rows:
        bars = []
        for i, (attempts, failed) in enumerate(
            zip(r["attempts_per_bucket"], r["failed_per_bucket"], strict=True)
        ):
            if not attempts:
                continue
            bars.append(
                {
                    "x": i,
                    "start": buckets[i],
                    "attempts": attempts,
                    "failed": failed,
                    "h": (h := round(BAR_HEIGHT * attempts / top, 2)),
                    "y": round(BAR_HEIGHT - h, 2),
                    "fh": (fh := round(BAR_HEIGHT * failed / top, 2)),
                    "fy": round(BAR_HEIGHT - fh, 2),
                }
            )
        out.append({"row": r, "bars": bars, "width": len(buckets), "height": BAR_HEIGHT})
    return out


@require_GET
def incident_page(request: HttpRequest) -> HttpResponse:
    """The incident report of one workload (cluster, namespace, workload) over a period."""
    params = _params(request.GET)
    scope = scope_of(request)
    asked = {k: v for k, v in params.items() if v}
    document, errors = None, {}
    if {"cluster", "namespace", "workload"} <= set(asked):
        query = IncidentQuerySerializer(data=asked)
        if query.is_valid():
            try:
                document = incident.incident_report(
                    {**query.validated_data, "scope": scope}, datetime.now(UTC)
                )
            except PeriodError as exc:
                errors = {exc.field: [str(exc)]}
        else:
            errors = query.errors
    summary = document["summary"] if document else {}
    context = {
        "nav": "reports",
        "params": params,
        "document": document,
        "errors": [(field, message) for field, messages in errors.items() for message in messages],
        "clusters": selectors.cluster_names(scope=scope),
        "rate": cell_text("rate", summary.get("failure_rate")),
        "timeline": _timeline(document) if document else [],
        "waterfalls": _waterfalls(document, scope) if document else [],
        "json_query": urlencode({**asked, "format": "json"}),
        "compare_query": urlencode(
            {k: asked[k] for k in ("cluster", "namespace", "workload") if k in asked}
            | ({"at": document["since"]} if document else {})
        ),
    }
    return render(request, "pods/incident.html", context)
