"""Reads about clusters and their watches: the watcher's queries (cursors, failures, back-off, attempts
still missing a log tail) and the health read model (`cluster_health`) of the API, the page and the CLI.
"""

from __future__ import annotations

from collections.abc import Container, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.db.models import Count, Exists, Max, OuterRef

from access.scope import EVERYTHING, Scope
from pods import kube
from pods.models import Attempt, Cluster, Pod, WatchCursor, WatchGroup
from pods.timeline.times import format_duration

# How often a running watch proves itself alive (its heartbeat on the Cluster row); a heartbeat older than
# three of these (or the lock's time to live, if longer) belongs to a watch that stopped.
HEARTBEAT_SECONDS = 5.0

# Freshness of a cluster's data, as the pages show it (`cluster_freshness`, the one home of the rule):
FRESH_LIVE = "live"  # a watched cluster whose data is current
FRESH_STALE = "stale"  # a watched cluster whose data is not current (watch down, failing, lagging, …)
FRESH_RECORDED = "recorded"  # an imported recording: data up to `observed_until`


def watch_cursors(*, cluster: Cluster) -> dict[tuple[str, str], str]:
    """The saved resourceVersion of each of a cluster's streams, by (resource, namespace)."""
    rows = WatchCursor.objects.filter(cluster=cluster).values_list(
        "resource", "namespace", "resource_version"
    )
    return {(resource, namespace): rv for resource, namespace, rv in rows}


def stream_listed_at(*, cluster: Cluster, resource: str, namespace: str = "") -> datetime | None:
    """When the newest complete list of one of a cluster's streams was taken (None: never)."""
    rows = WatchCursor.objects.filter(cluster=cluster, resource=resource, namespace=namespace)
    return rows.values_list("listed_at", flat=True).first()


def cluster_watch_failures(*, name: str, group: str = "") -> int:
    """How many watch runs of cluster `name` (of its namespace group `group`, if given) failed in a row
    (0 for an unknown cluster or group)."""
    if group:
        qs = WatchGroup.objects.filter(cluster__name=name, name=group)
        return qs.values_list("watch_failures", flat=True).first() or 0
    return Cluster.objects.filter(name=name).values_list("watch_failures", flat=True).first() or 0


def clusters_backing_off(*, names: Iterable[str], now: datetime) -> set[str]:
    """Those of `names` whose watch waits out a back-off at `now`."""
    qs = Cluster.objects.filter(name__in=list(names), watch_retry_at__gt=now)
    return set(qs.values_list("name", flat=True))


def units_backing_off(*, units: Iterable[tuple[str, str]], now: datetime) -> set[tuple[str, str]]:
    """Those of the watch units `(cluster, group)` (group "": the whole cluster) waiting out a back-off."""
    units = list(units)
    waiting = {(name, "") for name in clusters_backing_off(names={c for c, g in units if not g}, now=now)}
    waiting |= set(
        WatchGroup.objects.filter(
            cluster__name__in={c for c, g in units if g}, watch_retry_at__gt=now
        ).values_list("cluster__name", "name")
    )
    return {unit for unit in units if unit in waiting}


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


def cluster_health(*, now: datetime | None = None, scope: Scope = EVERYTHING) -> list[dict[str, Any]]:
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
    count its Pods that are not deleted, and the stuck ones among them (`_pod_counts`; recordings
    are `recorded_clusters`, not these rows). `stale`,
    `stale_reason` and `known_at` are the staleness rule's verdict (`_freshness`), the pages' too.
    `groups`: a cluster split into namespace groups (INITSCOPE_CLUSTER_NAMESPACE_GROUPS) has one row per
    group with the same watch fields (state, holder, heartbeat, failures, back-off, streams, staleness),
    and its own row sums them up (`_split_row`); empty for a cluster watched whole.
    `scope`: only the clusters it has a grant on, their Pods counted in its namespaces only.
    """
    now = now or datetime.now(UTC)
    rows = [r for r in _health_rows(now=now) if scope.allows_cluster(r["name"])]
    counts = _pod_counts([r["name"] for r in rows], now=now, scope=scope)
    for row in rows:
        row["pods"], row["stuck"] = counts.get(row["name"], (0, 0))
        if not scope.everything:  # the namespaces watched one by one: only those in scope are named
            for part in (row, *row["groups"]):
                part["namespaces"] = [n for n in part["namespaces"] if scope.allows(row["name"], n)]
                part["streams"] = [
                    s
                    for s in part["streams"]
                    if not s["namespace"] or scope.allows(row["name"], s["namespace"])
                ]
    return rows


def recorded_clusters(*, now: datetime | None = None, scope: Scope = EVERYTHING) -> list[dict[str, Any]]:
    """The recordings (clusters with Pods that no one watches: `cluster_freshness`'s `recorded`), for the
    clusters page and `manage.py clusters` beside `cluster_health`'s rows: `name`, `state` (`recorded`),
    `observed_until` (the end of its data) and, counted as in `cluster_health`, `pods` and `stuck` (stuck
    judged at the end of the recording, `stuck_q`)."""
    now = now or datetime.now(UTC)
    entries = [
        e
        for e in cluster_freshness(now=now)
        if e["state"] == FRESH_RECORDED and scope.allows_cluster(e["name"])
    ]
    counts = _pod_counts([e["name"] for e in entries], now=now, scope=scope)
    return [
        {"name": e["name"], "state": FRESH_RECORDED, "observed_until": e["known_at"],
         "pods": counts.get(e["name"], (0, 0))[0], "stuck": counts.get(e["name"], (0, 0))[1]}
        for e in entries
    ]  # fmt: skip


def _pod_counts(names: list[str], *, now: datetime, scope: Scope) -> dict[str, tuple[int, int]]:
    """Per cluster of `names`: its Pods (in `scope`) that are not deleted, and the stuck ones among them
    (`stuck_q`)."""
    from pods.selectors.pods import stuck_q, stuck_threshold

    return {
        row["cluster__name"]: (row["pods"], row["stuck"])
        for row in Pod.objects.filter(scope.q(), cluster__name__in=names, seen=True, deleted_at__isnull=True)
        .values("cluster__name")
        .annotate(pods=Count("id"), stuck=Count("id", filter=stuck_q(now=now, threshold=stuck_threshold())))
        .order_by()
    }


def stale_after_seconds() -> float:
    """How long every stream of a watched cluster may go without hearing from the API server before the
    cluster's data counts as stale (INITSCOPE_STALE_AFTER_SECONDS). A quiet but healthy watch still hears
    a bookmark about once a minute, and a quiet but healthy stream's `last_ok_at` is saved within 5 s."""
    return float(settings.INITSCOPE_STALE_AFTER_SECONDS)


def cluster_freshness(
    *, names: Iterable[str] | None = None, now: datetime | None = None
) -> list[dict[str, Any]]:
    """Whether the data of each cluster that holds Pods (or only of `names`) is current, for the pages.

    Each entry: `name`, `state` (`live`, `stale` or `recorded`), `reason` (why it is stale), `error` (the
    newest stream error, untrusted text) and `known_at`: for a stale cluster the time up to which its data
    is known (None when a stream never succeeded), for a recording the end of its data (`observed_until`).
    `groups`: for a cluster split into namespace groups, each group's `name`, `state` (`live` or `stale`),
    `reason` and `known_at`; the cluster is stale as soon as one group is (part of its data is not
    current), and known up to its stalest group's time.
    The rule itself is `_freshness` (through `cluster_health`'s rows); a cluster that is neither watched
    nor configured is a recording.
    """
    now = now or datetime.now(UTC)
    wanted = None if names is None else set(names)
    health = {row["name"]: row for row in _health_rows(now=now, names=wanted)}
    # A semi-join (one index probe per cluster), not a join of every Pod made distinct.
    clusters = Cluster.objects.filter(Exists(Pod.objects.filter(cluster=OuterRef("pk"))))
    if wanted is not None:
        clusters = clusters.filter(name__in=wanted)
    recorded = {c.name: c for c in clusters if c.name not in health}
    entries = []
    for name in sorted(set(health) | set(recorded)):
        if name in health:
            row = health[name]
            state = FRESH_STALE if row["stale"] else FRESH_LIVE
            groups = [
                {"name": g["name"], "state": FRESH_STALE if g["stale"] else FRESH_LIVE,
                 "reason": g["stale_reason"], "known_at": g["known_at"]}
                for g in row["groups"]
            ]  # fmt: skip
            entries.append(
                {"name": name, "state": state, "reason": row["stale_reason"],
                 "error": row["last_error"] if row["stale"] else "", "known_at": row["known_at"],
                 "groups": groups}
            )  # fmt: skip
        else:
            entries.append(
                {"name": name, "state": FRESH_RECORDED, "reason": "", "error": "",
                 "known_at": recorded[name].observed_until, "groups": []}
            )  # fmt: skip
    return entries


def page_freshness(*, names: Iterable[str] | None = None, now: datetime | None = None) -> dict[str, Any]:
    """The freshness of a page showing the Pods of `names` (None: of every cluster): `state` is `stale` when
    any of them is stale, `recorded` when all are recordings, else `live`; `clusters` are the entries of
    `cluster_freshness`, `stale` and `recorded` the ones in those states, `names` the clusters asked for."""
    entries = cluster_freshness(names=names, now=now)
    stale = [e for e in entries if e["state"] == FRESH_STALE]
    recorded = [e for e in entries if e["state"] == FRESH_RECORDED]
    state = FRESH_LIVE
    if stale:
        state = FRESH_STALE
    elif entries and len(recorded) == len(entries):
        state = FRESH_RECORDED
    wanted = sorted(set(names)) if names is not None else []
    return {"state": state, "clusters": entries, "stale": stale, "recorded": recorded, "names": wanted}


def _health_rows(*, now: datetime, names: set[str] | None = None) -> list[dict[str, Any]]:
    """`cluster_health`'s rows without the Pod counts (cheap: the pages ask for them every few seconds)."""
    configured = {c.name: c for c in kube.configured_clusters()}
    clusters = {c.name: c for c in Cluster.objects.filter(watched=True)}
    for name in configured:
        clusters.setdefault(name, Cluster(name=name))
    if names is not None:
        clusters = {name: c for name, c in clusters.items() if name in names}
    cursors: dict[str, list[WatchCursor]] = {}
    for cursor in WatchCursor.objects.filter(cluster__name__in=list(clusters)).select_related("cluster"):
        cursors.setdefault(cursor.cluster.name, []).append(cursor)
    split = [name for name, config in configured.items() if config.groups and name in clusters]
    groups: dict[str, dict[str, WatchGroup]] = {}
    for group in WatchGroup.objects.filter(cluster__name__in=split).select_related("cluster"):
        groups.setdefault(group.cluster.name, {})[group.name] = group
    fresh = max(float(settings.INITSCOPE_WATCH_LOCK_SECONDS), 3 * HEARTBEAT_SECONDS)
    stale_after = stale_after_seconds()
    rows = []
    for name in sorted(clusters):
        config = configured.get(name)
        if config is not None and config.groups:
            row = _split_row(
                clusters[name], config, cursors.get(name, []), groups.get(name, {}),
                now=now, fresh=fresh, stale_after=stale_after,
            )  # fmt: skip
        else:
            namespaces = config.namespaces if config is not None else None
            row = _health_row(clusters[name], namespaces, cursors.get(name, []), now=now, fresh=fresh)
            row |= _freshness(row, alive=bool(row.pop("_alive")), stale_after=stale_after)
            row["groups"] = []
        rows.append(row)
    return rows


# A split cluster's state when its groups' states differ: the worst one, unless some group is watched
# (then `degraded`: part of the cluster is watched, part is not).
_STATE_ORDER = ["error", "backing-off", "stopped", "degraded", "watching"]


def _split_row(
    cluster: Cluster,
    config: kube.ClusterConfig,
    cursors: list[WatchCursor],
    groups: Mapping[str, WatchGroup],
    *,
    now: datetime,
    fresh: float,
    stale_after: float,
) -> dict[str, Any]:
    """The health of a cluster split into namespace groups: one row per group (its own heartbeat, holder,
    back-off and the streams of its namespaces, judged by `_health_row` and `_freshness` as a whole
    cluster is), and the cluster's row over every stream with the groups' watch fields summed up: the
    state (`_STATE_ORDER`), every holder, the oldest heartbeat, the most failures, the latest retry; stale
    when any group is (the reasons name the groups), known up to the stalest group's time."""
    group_rows = []
    for group in config.groups:
        watch = groups.get(group.name) or WatchGroup(name=group.name)
        part = _health_row(watch, group.namespaces, cursors, now=now, fresh=fresh, name=group.name)
        part |= _freshness(part, alive=bool(part.pop("_alive")), stale_after=stale_after)
        del part["configured"]
        group_rows.append(part)
    row = _health_row(cluster, config.namespaces, cursors, now=now, fresh=fresh)
    del row["_alive"]
    states = {part["state"] for part in group_rows}
    worst = min(states, key=_STATE_ORDER.index)
    if len(states) > 1 and states & {"watching", "degraded"}:
        worst = "degraded"
    heartbeats = [part["heartbeat_at"] for part in group_rows]
    known = [part["known_at"] for part in group_rows]
    stale = [part for part in group_rows if part["stale"]]
    row |= {
        "state": worst,
        "holder": ", ".join(part["holder"] for part in group_rows if part["holder"]),
        "heartbeat_at": min(heartbeats) if all(heartbeats) else None,
        "failures": max(part["failures"] for part in group_rows),
        "retry_at": max((part["retry_at"] for part in group_rows if part["retry_at"]), default=None),
        "stale": bool(stale),
        "stale_reason": "; ".join(f"group {part['name']}: {part['stale_reason']}" for part in stale),
        "known_at": min(known) if all(known) else None,
        "groups": group_rows,
    }
    return row


def _freshness(row: Mapping[str, Any], *, alive: bool, stale_after: float) -> dict[str, Any]:
    """THE staleness rule of a watched cluster's data (the pages' `stale`, the API's `stale`).

    Current while its watch runs (a heartbeat within the lock's time, no back-off), no stream's newest error
    is newer than its last success, every stream has succeeded at least once, and the stalest stream heard
    from the API server (a list page, a watch line, a bookmark, a clean end) within `stale_after` seconds.
    Otherwise stale, with the first reason that holds: a failing stream, the watch not running, a stream
    never connected, lagging. `known_at` is the stalest stream's last success: the data is known up to it.
    """
    streams = row["streams"]
    oks = [s["last_ok_at"] for s in streams]
    known_at = min(oks) if streams and all(oks) else None
    failing = [s for s in streams if s["state"] == "error"]
    reason = ""
    if failing:
        names = ", ".join(_stream_name(s) for s in failing)
        reason = f"watch failing ({names})"
    elif not alive or row["state"] in ("stopped", "backing-off", "not-configured", "error"):
        reason = "watch not running" + (" (backing off)" if row["state"] == "backing-off" else "")
    elif not streams or not all(oks):
        reason = "never connected" if not any(oks) else "not every stream connected yet"
    elif row["lag_seconds"] is not None and row["lag_seconds"] > stale_after:
        reason = f"lagging: no word from the API server for {format_duration(row['lag_seconds'])}"
    return {"stale": bool(reason), "stale_reason": reason, "known_at": known_at}


def _stream_name(stream: Mapping[str, Any]) -> str:
    return f"{stream['resource']} in {stream['namespace']}" if stream["namespace"] else stream["resource"]


def _health_row(
    watch: Cluster | WatchGroup,
    namespaces: tuple[str, ...] | None,
    cursors: list[WatchCursor],
    *,
    now: datetime,
    fresh: float,
    name: str = "",
) -> dict[str, Any]:
    """The health of one watch unit: a cluster watched whole (`watch` its Cluster row) or a namespace
    group (its WatchGroup row), over the cursors of `namespaces` (() = all; None: not configured)."""
    if namespaces is not None:  # streams of an older namespace filter are no longer this unit's health
        scopes = set(namespaces) or {""}
        cursors = [c for c in cursors if c.namespace in scopes]
    streams = [_stream_row(c, now) for c in sorted(cursors, key=lambda c: (c.resource, c.namespace))]
    errors = [c for c in cursors if _failing(c)]
    with_error = [c for c in cursors if c.last_error_at]
    newest_error = max(with_error, key=lambda c: c.last_error_at or now, default=None)
    heartbeat = watch.watch_heartbeat_at
    alive = heartbeat is not None and (now - heartbeat).total_seconds() < fresh
    oks = [c.last_ok_at for c in cursors if c.last_ok_at]
    events = [c.last_event_at for c in cursors if c.last_event_at]
    state = "stopped"
    if namespaces is None and not alive:
        state = "not-configured"  # no one watches it: errors of an earlier configuration are history
    elif errors and alive and len(errors) < len(cursors):
        state = "degraded"  # one namespace (or stream) fails; the others are watched
    elif errors:
        state = "error"
    elif alive:
        state = "watching"
    if state != "not-configured" and watch.watch_retry_at and watch.watch_retry_at > now:
        state = "backing-off" if not errors else "error"
    return {
        "name": name or watch.name,
        "configured": namespaces is not None,
        "namespaces": list(namespaces or ()),
        "state": state,
        "holder": watch.watch_holder if alive else "",
        "heartbeat_at": heartbeat,
        "last_event_at": max(events, default=None),
        "last_ok_at": max(oks, default=None),
        "lag_seconds": round((now - min(oks)).total_seconds(), 1) if oks else None,
        "last_error": newest_error.last_error if newest_error else "",
        "last_error_at": newest_error.last_error_at if newest_error else None,
        "failures": watch.watch_failures,
        "retry_at": watch.watch_retry_at,
        "streams": streams,
        "_alive": alive,
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
