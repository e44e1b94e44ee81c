"""The server-rendered pages: the Pod list and the Pod page, and their live fragments.

Thin: read the request, call `pods.selectors` (every query is there) and the pure `pods.web.waterfall`
layout, render. Every page needs a logged-in user (LoginRequiredMiddleware). Markup carries stable ids and
`data-uid` / `data-field` attributes so list.js / pod.js patch rows in place from live updates; the
`*_fragment` views render the live part of each page alone, for the scripts to swap in (no JSON-to-HTML in
the browser).
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.views.decorators.http import require_GET

from access.grants import scope_of
from access.scope import Scope
from pods import selectors
from pods.kube.workloads import with_live_workload
from pods.live.subscriptions import MAX_UIDS
from pods.web.waterfall import Layout, waterfall_layout

PAGE_SIZE = 50
# `?size=N` shows up to this many Pods a page: the most a live overview socket may subscribe to.
MAX_PAGE_SIZE = MAX_UIDS
MAX_PARAM = 253  # the longest Kubernetes name; longer filter values cannot match anything
TRUE_WORDS = ("1", "true", "on", "yes")


def filters_from_query(query: QueryDict, scope: Scope) -> selectors.PodFilters:
    """PodFilters from the list page's GET parameters: cluster, namespace, workload, status, stuck,
    failed, q; narrowed to what the reader may see (`scope`)."""

    def text(name: str) -> str:
        return (query.get(name) or "").strip()[:MAX_PARAM]

    return selectors.PodFilters(
        cluster=text("cluster"),
        namespace=text("namespace"),
        workload=text("workload"),
        status=text("status"),
        stuck=True if text("stuck").lower() in TRUE_WORDS else None,
        failed=True if text("failed").lower() in TRUE_WORDS else None,
        search=text("q"),
        scope=scope,
    )


def page_size(query: QueryDict) -> int:
    """The list's rows per page: `?size=N` (1 to MAX_PAGE_SIZE), else PAGE_SIZE."""
    try:
        size = int(query.get("size") or PAGE_SIZE)
    except ValueError:
        return PAGE_SIZE
    return min(max(size, 1), MAX_PAGE_SIZE)


def _active(filters: selectors.PodFilters) -> bool:
    return any(
        (
            filters.cluster,
            filters.namespace,
            filters.workload,
            filters.status,
            filters.stuck,
            filters.failed,
            filters.search,
        )
    )


def _list_context(request: HttpRequest, *, with_rows: bool = True) -> dict:
    """What the Pod list and its live fragment render: one page of rows (none without `with_rows`),
    counts per status."""
    now = datetime.now(UTC)
    scope = scope_of(request)
    filters = filters_from_query(request.GET, scope)
    listed = selectors.pod_list_page(
        filters=filters,
        page=request.GET.get("page"),
        size=page_size(request.GET),
        now=now,
        with_rows=with_rows,
    )
    clusters = selectors.cluster_names(scope=scope)
    return {
        "nav": "pods",
        "now": now,
        "filters": filters,
        "filtered": _active(filters),
        "page": listed.page,
        "rows": with_digests(listed.rows, clusters),
        "order": listed.uids,
        "counts": listed.counts,
        "stuck_count": listed.stuck_count,
        "failed_count": listed.failed_count,
        "clusters": clusters,
        "workloads": _stuck_workloads(filters, now),
        # Which clusters' data is not current (or recorded): the banner and the live indicator's state.
        "freshness": selectors.page_freshness(
            names=freshness_names(filters.cluster, clusters, scope), now=now
        ),
        "no_access": scope.empty,
    }


def freshness_names(cluster: str, clusters: list[str], scope: Scope) -> list[str] | None:
    """The clusters a page's freshness is about: the one filtered on, else every cluster (None) for a
    reader who sees everything, else the ones they have a grant on."""
    if cluster:
        return [cluster] if scope.allows_cluster(cluster) else []
    return None if scope.everything else clusters


STUCK_WORKLOADS_SHOWN = 20


def _stuck_workloads(filters: selectors.PodFilters, now: datetime) -> list[dict]:
    """Workloads that cannot create their Pods (create-failed) under the list's cluster and namespace
    filters: shown above the Pods, since they have no Pod row of their own."""
    wanted = selectors.WorkloadFilters(
        cluster=filters.cluster, namespace=filters.namespace, stuck=True, scope=filters.scope
    )
    found = selectors.workload_queryset(filters=wanted, now=now)[:STUCK_WORKLOADS_SHOWN]
    return selectors.workload_summaries(found, now=now)


@require_GET
def pod_list(request: HttpRequest) -> HttpResponse:
    """Pods matching the filters, stuck first, 50 a page, with counts per status; list.js makes it live."""
    context = _list_context(request)
    context["namespaces"] = selectors.namespaces(cluster=context["filters"].cluster, scope=scope_of(request))
    return render(request, "pods/pod_list.html", context)


LIST_PARTS = ("head", "order", "digests", "rows")
# The most rows `?part=rows&uid=...` re-renders (list-live.js MAX_ROW_UIDS asks for at most as many).
MAX_ROW_UIDS = 100


@require_GET
def pod_list_fragment(request: HttpRequest) -> HttpResponse:
    """The live part of the Pod list (counts, rows, pager) for the same query string, as an HTML
    fragment: list.js swaps it in when the list turns empty or stops being empty. `?part=head` (the
    counts and the pager), `?part=order` (the uids of the page's rows, in order), `?part=digests` (the
    same, with each row's digest: what list.js checks its rows against) and `?part=rows` (the page's
    rows, in order) render only those parts, for list.js to replace and morph;
    `?part=rows&uid=U&uid=...` only the rows of those Pods that match the filters, the rows whose change
    a message could not patch whole."""
    parts = [part for part in LIST_PARTS if part in request.GET.getlist("part")]
    if not parts:
        return _no_store(render(request, "pods/_list_live.html", _list_context(request)))
    uids = [uid[:MAX_PARAM] for uid in request.GET.getlist("uid")[:MAX_ROW_UIDS]]
    page_rows = "rows" in parts and not uids
    whole = "head" in parts or "order" in parts or "digests" in parts or page_rows
    context = _list_context(request, with_rows=page_rows or "digests" in parts) if whole else {}
    if "digests" in parts:
        context["digests"] = [row["digest"] for row in context["rows"]]
    if "rows" in parts and uids:
        context.update(_rows_context(request, uids))
    return _no_store(render(request, "pods/_list_parts.html", {**context, "parts": parts}))


def _rows_context(request: HttpRequest, uids: list[str]) -> dict:
    """What the rows of `uids` render (no page, no counts): those that match the list's filters."""
    now = datetime.now(UTC)
    scope = scope_of(request)
    filters = filters_from_query(request.GET, scope)
    clusters = selectors.cluster_names(scope=scope)
    return {
        "now": now,
        "rows": with_digests(selectors.pod_list_rows(filters=filters, uids=uids, now=now), clusters),
        "clusters": clusters,
    }


def with_digests(rows: list[dict], clusters: list[str]) -> list[dict]:
    """`rows` (the list's row summaries), each with its `digest`: a hash of everything its rendering
    (pods/_list_rows.html) is made of but the time it ticks from (`as_of` of a watched cluster's row), so
    a row the page shows with another digest is not the server's rendering of it now (`?part=digests`)."""
    tagged = len(clusters) > 1  # a row shows its cluster's name when there are several
    for row in rows:
        rendered = {key: value for key, value in row.items() if key != "digest"}
        if row.get("live"):
            rendered.pop("as_of", None)
        text = json.dumps([rendered, tagged], sort_keys=True, default=str)
        row["digest"] = hashlib.blake2b(text.encode(), digest_size=8).hexdigest()
    return rows


def _detail_context(request: HttpRequest, uid: str) -> dict:
    scope = scope_of(request)
    # Out of the reader's scope reads as unknown: 404, never a 403 that tells the Pod exists.
    pod = selectors.pod_get(
        uid=uid, cluster=(request.GET.get("cluster") or "").strip()[:MAX_PARAM], scope=scope
    )
    if pod is None:
        raise Http404("No Pod with this uid has been seen.")
    # A recording is drawn as it stood when it ended, and nothing on the page ticks; a watched cluster
    # whose data is stale is drawn as it stood when last known (its stalest stream's last success).
    now = selectors.cluster_now(pod.cluster)
    freshness = selectors.page_freshness(names=[pod.cluster.name], now=now)
    known_at = freshness["stale"][0]["known_at"] if freshness["stale"] else None
    if known_at is not None:  # never before this Pod's own newest news (other streams may be the stale ones)
        now = min(now, max(known_at, pod.observed_at or known_at))
    document = with_live_workload(selectors.pod_document(pod, now=now, scope=scope))
    layout = waterfall_layout(document, now=now)
    return {
        "nav": "pods",
        "now": now,
        "stale_clock": now if known_at is not None else None,  # the clock pod.js ticks to while stale
        "doc": document,
        "layout": layout,
        "open_attempts": _open_attempts(layout, document, request.GET.getlist("open")),
        "watched": pod.cluster.watched,
        "freshness": freshness,
        "logs_allowed": scope.allows_logs(pod.cluster.name, pod.namespace),
    }


@require_GET
def pod_detail(request: HttpRequest, uid: str) -> HttpResponse:
    """One Pod: header, diagnosis, startup waterfall, containers, attempts, Events and logs. 404 if
    unknown."""
    return render(request, "pods/pod_detail.html", _detail_context(request, uid))


@require_GET
def pod_detail_fragment(request: HttpRequest, uid: str) -> HttpResponse:
    """The live part of the Pod page (header, diagnosis, waterfall, tables) as an HTML fragment: pod.js
    swaps it in when this Pod changes and on resynchronisation, with `?open=LANE...` the lanes whose
    attempts the reader has open (written out like the ones open at first). `?part=attempts&lane=LANE`
    renders one container's attempts table alone: pod.js fetches it when a lane's attempts, left out of
    the page, are opened. 404 for a lane the Pod does not have."""
    context = _detail_context(request, uid)
    if request.GET.get("part") == "attempts":
        wanted = (request.GET.get("lane") or "")[:MAX_PARAM]
        lane = next((ln for ln in context["layout"].lanes if ln.container and ln.id == wanted), None)
        if lane is None:
            raise Http404("This Pod has no such container.")
        return _no_store(render(request, "pods/_attempts_table.html", {**context, "lane": lane}))
    return _no_store(render(request, "pods/_pod_live.html", context))


# A container's attempts are written into the Pod page when they are few (its <details> open) or when it is
# the one the diagnosis names; the others' tables (hundreds of rows each, most of a 20 x 50 Pod's page) are
# fetched when opened (`?part=attempts`).
ATTEMPTS_SHOWN_OPEN = 12


def _open_attempts(layout: Layout, document: dict, requested: list[str]) -> set[str]:
    """The ids of the lanes whose attempts the page shows open and written out: few attempts, the
    diagnosis's container, or `requested` (the ones the reader has open, on a live update)."""
    named = (document.get("diagnosis") or {}).get("container")
    asked = set(requested[: len(layout.lanes)])
    return {
        lane.id
        for lane in layout.lanes
        if lane.container
        and (len(lane.attempts) < ATTEMPTS_SHOWN_OPEN or lane.name == named or lane.id in asked)
    }


def _no_store(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    return response
