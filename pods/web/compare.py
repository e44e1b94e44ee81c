"""The compare page (`/reports/compare/`): the init-containers report of two periods side by side (before
and after a deploy), or of the image tags of one period, regressions first and marked in words.

Thin: the parameters are the API's (`pods.api.compare.CompareQuerySerializer`, one description), the rows
`pods.reports.compare.compare_document` (what the API answers), formatted with the Reports page's
`cell_text` (the project's duration formatter, rates in percent). The presets are links: the last day or
week against the one before, or a span before and after a moment (`at`, `span`: `compare.around`).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.utils.http import urlencode
from django.views.decorators.http import require_GET

from access.grants import scope_of
from pods import selectors
from pods.api.compare import CompareQuerySerializer
from pods.reports import compare
from pods.reports.period import PeriodError, parse_moment
from pods.timeline.times import format_time
from pods.web.reports import cell_text
from pods.web.views import MAX_PARAM

TEXT = (
    "cluster", "namespace", "workload", "container", "by", "a_since", "a_until", "b_since", "b_until",
    "since", "until", "threshold_p95", "threshold_failure_rate", "min_attempts", "source",
)  # fmt: skip
SPANS = (("1h", timedelta(hours=1)), ("24h", timedelta(hours=24)), ("7d", timedelta(days=7)))
PRESETS = (
    ("Last 24h vs the 24h before", {"b_since": "-24h"}),
    ("Last 7d vs the 7d before", {"b_since": "-7d"}),
)
DURATION_COLUMNS = (
    ("duration_p50", "p50"),
    ("duration_p95", "p95"),
    ("duration_p99", "p99"),
    ("duration_max", "max"),
)


def _params(query: QueryDict) -> dict[str, str]:
    return {name: (query.get(name) or "").strip()[:MAX_PARAM] for name in (*TEXT, "at", "span")}


def _with_around(params: dict[str, str], now: datetime) -> tuple[dict[str, str], str]:
    """`at` + `span` (the preset "before/after a moment") as the four period parameters; an error text."""
    if not params["at"]:
        return params, ""
    spans = dict(SPANS)
    try:
        at = parse_moment(params["at"], now, "at")
    except PeriodError as exc:
        return params, f"at: {exc}"
    a, b = compare.around(at, spans.get(params["span"], spans["24h"]))
    return {
        **params,
        "a_since": format_time(a.since) or "",
        "a_until": format_time(a.until) or "",
        "b_since": format_time(b.since) or "",
        "b_until": format_time(b.until) or "",
    }, ""


def _sign(value: float | int | None, text: str) -> str:
    if value is None:
        return "—"
    return f"+{text}" if value > 0 else text


def _display(row: dict[str, Any], since: str, until: str) -> dict[str, Any]:
    """The page's words for one compare row: each figure before → after with its change."""
    out: dict[str, Any] = {"row": row, "durations": []}
    for field, label in DURATION_COLUMNS:
        change = row[f"{field}_change"]
        pct = row[f"{field}_change_pct"]
        out["durations"].append(
            {
                "label": label,
                "field": field,
                "a": cell_text("seconds", row[f"a_{field}"]),
                "b": cell_text("seconds", row[f"b_{field}"]),
                "change": _sign(change, cell_text("seconds", abs(change)) if change is not None else ""),
                "negative": change is not None and change < 0,
                "pct": _sign(pct, f"{pct:.1f} %") if pct is not None else "",
            }
        )
    points = row["failure_rate_change_points"]
    out["rate"] = {
        "a": cell_text("rate", row["a_failure_rate"]),
        "b": cell_text("rate", row["b_failure_rate"]),
        "change": _sign(points, f"{points:.1f} points") if points is not None else "—",
    }
    change = row["attempts_change"]
    out["attempts_change"] = _sign(change, str(change)) if change is not None else "—"
    why = []
    if row["regression_p95"]:
        why.append(f"p95 {out['durations'][1]['pct'] or 'up'}")
    if row["regression_failure_rate"]:
        why.append(f"failure rate {out['rate']['change']}")
    out["why"] = ", ".join(why)
    out["incident_query"] = urlencode(
        {
            "cluster": row["cluster"],
            "namespace": row["namespace"],
            "workload": f"{row['workload_kind']}/{row['workload']}",
            "since": since,
            "until": until,
        }
    )
    return out


@require_GET
def compare_page(request: HttpRequest) -> HttpResponse:
    """Two periods (or the images of one) side by side, regressions first, with CSV and JSON links."""
    now = datetime.now(UTC)
    params, error = _with_around(_params(request.GET), now)
    asked = {k: v for k, v in params.items() if v and k in TEXT}
    query = CompareQuerySerializer(data=asked)
    document, errors = None, {}
    if error:
        errors = {"at": [error]}
    elif query.is_valid():
        try:
            document = compare.compare_document(
                {**query.validated_data, "scope": scope_of(request)}, now, thresholds=query.thresholds()
            )
        except PeriodError as exc:
            errors = {exc.field: [str(exc)]}
    else:
        errors = query.errors
    export = urlencode(asked)
    context = {
        "nav": "reports",
        "params": params,
        "by_image": params["by"] == compare.BY_IMAGE,
        "document": document,
        "rows": [_display(r, document["b"]["since"], document["b"]["until"]) for r in document["rows"]]
        if document
        else [],
        "errors": [(field, message) for field, messages in errors.items() for message in messages],
        "clusters": selectors.cluster_names(scope=scope_of(request)),
        "namespaces": selectors.namespaces(cluster=params["cluster"], scope=scope_of(request)),
        "spans": [label for label, _ in SPANS],
        "presets": [(label, urlencode({**_filters(params), **values})) for label, values in PRESETS],
        "json_query": export,
        "csv_query": urlencode({**asked, "format": "csv"}),
        "defaults": compare.Thresholds(),
    }
    return render(request, "pods/compare.html", context)


def _filters(params: dict[str, str]) -> dict[str, str]:
    return {k: params[k] for k in ("cluster", "namespace", "workload", "container", "source") if params[k]}
