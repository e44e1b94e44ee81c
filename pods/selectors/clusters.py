"""Reads about clusters and their watches: the watcher's queries (cursors, failures, back-off, attempts
still missing a log tail) and the health read model (`cluster_health`) of the API, the page and the CLI.
"""

from __future__ import annotations

from collections.abc import Container, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.db.models import Count, Max

from pods import kube
from pods.models import Attempt, Cluster, Pod, WatchCursor

# How often a running watch proves itself alive (its heartbeat on the Cluster row); a heartbeat older than
# three of these (or the lock's time to live, if longer) belongs to a watch that stopped.
HEARTBEAT_SECONDS = 5.0


def watch_cursors(*, cluster: Cluster) -> dict[tuple[str, str], str]:
    """The saved resourceVersion of each of a cluster's streams, by (resource, namespace)."""
    rows = WatchCursor.objects.filter(cluster=cluster).values_list(
        "resource", "namespace", "resource_version"
    )
    return {(resource, namespace): rv for resource, namespace, rv in rows}


def cluster_watch_failures(*, name: str) -> int:
    """How many watch runs of cluster `name` failed in a row (0 for an unknown cluster)."""
    return Cluster.objects.filter(name=name).values_list("watch_failures", flat=True).first() or 0


def clusters_backing_off(*, names: Iterable[str], now: datetime) -> set[str]:
    """Those of `names` whose watch waits out a back-off at `now`."""
    qs = Cluster.objects.filter(name__in=list(names), watch_retry_at__gt=now)
    return set(qs.values_list("name", flat=True))


def attempts_missing_log_tail(
    *, cluster: Cluster, uids: Iterable[str], skip: Container[tuple[str, str, int, int]] = ()
) -> list[Mapping[str, Any]]:
    """Failed init container attempts of these live Pods without a log tail, whose log the kubelet still
    keeps: the newest generation's current attempt (`number == restart_count`) or the one before. `skip`
    holds (pod uid, container, generation, number) keys already tried."""
    rows = list(
        Attempt.objects.filter(
            pod__cluster=cluster,
            pod__uid__in=list(uids),
            pod__deleted_at__isnull=True,
            container__kind="init",
            known=True,
            finished_at__isnull=False,
            log_tail="",
        )
        .exclude(exit_code=0)
        .values(
            "container_id", "generation", "number", "pod__uid", "pod__namespace", "pod__name",
            "container__name", "container__restart_count",
        )
    )  # fmt: skip
    newest = dict(
        Attempt.objects.filter(container_id__in={r["container_id"] for r in rows})
        .values("container_id")
        .annotate(g=Max("generation"))
        .values_list("container_id", "g")
    )
    return [
        r
        for r in rows
        if r["generation"] == newest.get(r["container_id"])
        and r["container__restart_count"] - 1 <= r["number"] <= r["container__restart_count"]
        and (r["pod__uid"], r["container__name"], r["generation"], r["number"]) not in skip
    ]


def cluster_health(*, now: datetime | None = None) -> list[dict[str, Any]]:
    """Every configured or watched cluster with its watch health, for the API, the page and the CLI.

    `state` is watching (a holder renewed within the lock's time), degraded (watching, but some streams
    fail: e.g. a namespace whose RBAC refuses the watch, while the others are watched), backing-off,
    error (every stream's newest error is newer than its last success, or the watch is not running and
    some stream's is), stopped, or not-configured. Each stream has its own `state`: ok, error, pending.

    The state is read from what the watcher stored (heartbeat, cursors, back-off), the same in every
    process: a cluster that a running watcher heartbeats is judged like a configured one even where this
    process's INITSCOPE_CLUSTERS lacks it (`manage.py clusters` beside `serve --demo`, whose `demo`
    cluster only that process configures); `not-configured` is a cluster no one configures here and no
    watcher keeps alive. `configured` says whether this process's settings name it. `pods` and `stuck`
    count its Pods that are not deleted, and the stuck ones among them (`stuck_q`).
    """
    from pods.selectors.pods import stuck_q, stuck_threshold

    now = now or datetime.now(UTC)
    configured = {c.name: c for c in kube.configured_clusters()}
    clusters = {c.name: c for c in Cluster.objects.filter(watched=True)}
    for name in configured:
        clusters.setdefault(name, Cluster(name=name))
    cursors: dict[str, list[WatchCursor]] = {}
    for cursor in WatchCursor.objects.filter(cluster__name__in=list(clusters)).select_related("cluster"):
        cursors.setdefault(cursor.cluster.name, []).append(cursor)
    fresh = max(float(settings.INITSCOPE_WATCH_LOCK_SECONDS), 3 * HEARTBEAT_SECONDS)
    counts = {
        row["cluster__name"]: (row["pods"], row["stuck"])
        for row in Pod.objects.filter(cluster__name__in=list(clusters), seen=True, deleted_at__isnull=True)
        .values("cluster__name")
        .annotate(pods=Count("id"), stuck=Count("id", filter=stuck_q(now=now, threshold=stuck_threshold())))
        .order_by()
    }
    rows = []
    for name in sorted(clusters):
        row = _health_row(clusters[name], configured.get(name), cursors.get(name, []), now=now, fresh=fresh)
        row["pods"], row["stuck"] = counts.get(name, (0, 0))
        rows.append(row)
    return rows


def _health_row(
    cluster: Cluster,
    config: kube.ClusterConfig | None,
    cursors: list[WatchCursor],
    *,
    now: datetime,
    fresh: float,
) -> dict[str, Any]:
    if config is not None:  # streams of an older namespace filter are no longer this cluster's health
        scopes = set(config.namespaces) or {""}
        cursors = [c for c in cursors if c.namespace in scopes]
    streams = [_stream_row(c, now) for c in sorted(cursors, key=lambda c: (c.resource, c.namespace))]
    errors = [c for c in cursors if _failing(c)]
    with_error = [c for c in cursors if c.last_error_at]
    newest_error = max(with_error, key=lambda c: c.last_error_at or now, default=None)
    heartbeat = cluster.watch_heartbeat_at
    alive = heartbeat is not None and (now - heartbeat).total_seconds() < fresh
    oks = [c.last_ok_at for c in cursors if c.last_ok_at]
    events = [c.last_event_at for c in cursors if c.last_event_at]
    state = "stopped"
    if config is None and not alive:
        state = "not-configured"  # no one watches it: errors of an earlier configuration are history
    elif errors and alive and len(errors) < len(cursors):
        state = "degraded"  # one namespace (or stream) fails; the others are watched
    elif errors:
        state = "error"
    elif alive:
        state = "watching"
    if state != "not-configured" and cluster.watch_retry_at and cluster.watch_retry_at > now:
        state = "backing-off" if not errors else "error"
    return {
        "name": cluster.name,
        "configured": config is not None,
        "namespaces": list(config.namespaces) if config else [],
        "state": state,
        "holder": cluster.watch_holder if alive else "",
        "heartbeat_at": heartbeat,
        "last_event_at": max(events, default=None),
        "last_ok_at": max(oks, default=None),
        "lag_seconds": round((now - min(oks)).total_seconds(), 1) if oks else None,
        "last_error": newest_error.last_error if newest_error else "",
        "last_error_at": newest_error.last_error_at if newest_error else None,
        "failures": cluster.watch_failures,
        "retry_at": cluster.watch_retry_at,
        "streams": streams,
    }


def _failing(c: WatchCursor) -> bool:
    """The stream's newest error is newer than its last success."""
    return bool(c.last_error_at and (not c.last_ok_at or c.last_error_at > c.last_ok_at))


def _stream_row(c: WatchCursor, now: datetime) -> dict[str, Any]:
    return {
        "resource": c.resource,
        "namespace": c.namespace,
        "state": "error" if _failing(c) else "ok" if c.last_ok_at else "pending",
        "resource_version": c.resource_version,
        "listed_at": c.listed_at,
        "last_event_at": c.last_event_at,
        "last_ok_at": c.last_ok_at,
        "lag_seconds": round((now - c.last_ok_at).total_seconds(), 1) if c.last_ok_at else None,
        "last_error": c.last_error,
        "last_error_at": c.last_error_at,
    }
