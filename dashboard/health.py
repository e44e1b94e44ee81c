"""The probes: `/healthz` (the process answers) and `/readyz` (it can serve: the database and Redis answer and
every migration is applied; 503 otherwise). `/readyz?verbose` adds each watched cluster's freshness, read
from what the watchers stored (`pods.selectors.clusters.cluster_freshness`), and for a cluster split into
namespace groups each group's (the cluster is `stale` as soon as one group is); it never decides
readiness, since a stale watch is no reason to take the pages out of service.

No sign-in, and nothing sensitive: check names, `ok`/`failed`, cluster and group names, `live`/`stale` and
a time; never an error text, a host name or a namespace. `ProbeMiddleware` (near the top of MIDDLEWARE)
answers them before the host check and the HTTPS redirect, because the kubelet calls them by the Pod's IP
over plain HTTP; the URL patterns (dashboard/urls.py, `login_not_required`) keep them reachable for tests
and tools that resolve URLs.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache

log = logging.getLogger("initscope.health")
TIMEOUT_SECONDS = 2.0
_migrated = False  # once every migration is applied it stays so for this process (migrations only add)


def _database() -> bool:
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute("SELECT 1")
        return cursor.fetchone() == (1,)


def _redis() -> bool | None:
    """None: no REDIS_URL (all-in-one: the broker and the channel layer live in this process)."""
    if not settings.REDIS_URL:
        return None
    import redis

    client = redis.Redis.from_url(
        settings.REDIS_URL, socket_timeout=TIMEOUT_SECONDS, socket_connect_timeout=TIMEOUT_SECONDS
    )
    try:
        return bool(client.ping())
    finally:
        client.close()


def _migrations() -> bool:
    global _migrated
    if not _migrated:
        executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
        _migrated = not executor.migration_plan(executor.loader.graph.leaf_nodes())
    return _migrated


CHECKS: dict[str, Callable[[], bool | None]] = {
    "database": _database,
    "redis": _redis,
    "migrations": _migrations,
}


def _run(name: str, check: Callable[[], bool | None]) -> str:
    try:
        result = check()
    except Exception as exc:  # any failure is "not ready"; the reason goes to the log, not the response
        log.warning("readiness check %s failed: %s", name, exc.__class__.__name__)
        return "failed"
    return "skipped" if result is None else ("ok" if result else "failed")


def _freshness() -> list[dict[str, Any]]:
    """Each watched cluster: `live` or `stale` (the pages' rule, `cluster_freshness`) and the time its data
    is known up to, with the same for each of its namespace groups (`groups`, empty when it is watched
    whole); recordings (no watch) are left out, and so are the reasons (they name namespaces)."""
    from pods.selectors.clusters import FRESH_RECORDED, cluster_freshness

    return [
        {
            "name": e["name"],
            "state": e["state"],
            "known_at": e["known_at"],
            "groups": [
                {"name": g["name"], "state": g["state"], "known_at": g["known_at"]} for g in e["groups"]
            ],
        }
        for e in cluster_freshness()
        if e["state"] != FRESH_RECORDED
    ]


@never_cache
@login_not_required
def healthz(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"status": "ok"})


@never_cache
@login_not_required
def readyz(request: HttpRequest) -> HttpResponse:
    checks = {name: _run(name, check) for name, check in CHECKS.items()}
    ready = all(result != "failed" for result in checks.values())
    body: dict[str, Any] = {"status": "ok" if ready else "unavailable", "checks": checks}
    if "verbose" in request.GET:
        try:
            body["clusters"] = _freshness()
        except Exception as exc:
            log.warning("readiness: cluster freshness unavailable: %s", exc.__class__.__name__)
            body["clusters"] = None
    return JsonResponse(body, status=200 if ready else 503)


PROBES: dict[str, Callable[[HttpRequest], HttpResponse]] = {"/healthz": healthz, "/readyz": readyz}


class ProbeMiddleware:
    """Answers GET/HEAD of the probe paths first: before ALLOWED_HOSTS, the HTTPS redirect and the login."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        probe = PROBES.get(request.path_info.rstrip("/") or "/")
        if probe is not None and request.method in ("GET", "HEAD"):
            return probe(request)
        return self.get_response(request)
