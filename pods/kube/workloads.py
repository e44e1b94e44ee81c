"""What a Pod's controller says now, fetched on demand for the Pod page, `GET /api/v1/pods/{uid}` and
`manage.py pods show` (like live logs): a Job's backoffLimit and failed count, a ReplicaSet's rollout
revision against its Deployment's (docs/kubernetes.md §7).

Not carried by the watcher: the owner lookup caches a Job for minutes, while its failed count moves with
every failed Pod. One GET per object with a short timeout, cached briefly (fragment refreshes of a busy
Pod cost at most one request per object and `TTL` seconds); a recording, an unconfigured cluster, a
denied or failed request leave the stored facts alone and say why (`source: "none"`, `reason`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any

from cachetools import TTLCache

from .config import cluster_config
from .errors import ApiError, KubeError
from .owners import controller_of

TTL = 15.0
FAILURE_TTL = 30.0
TIMEOUT = 3.0
REVISION = "deployment.kubernetes.io/revision"

Fetch = Callable[[str, str, str], Mapping[str, Any]]  # (resource, namespace, name) -> raw object

_lock = threading.Lock()
_cache: TTLCache[tuple[str, str, str, str], tuple[Mapping[str, Any] | None, str]] = TTLCache(2048, TTL)
_failed: TTLCache[tuple[str, str, str, str], str] = TTLCache(2048, FAILURE_TTL)


def _int(value: object) -> int | None:
    return value if type(value) is int else None


def _text(value: object, limit: int = 253) -> str:
    return value[:limit] if type(value) is str else ""


def job_facts(job: Mapping[str, Any]) -> dict[str, Any]:
    """backoffLimit, completions, parallelism and the status counts of a raw Job, and its finishing
    conditions (`Failed: BackoffLimitExceeded`)."""
    spec, status = job.get("spec") or {}, job.get("status") or {}
    conditions = [
        f"{_text(c.get('type'), 63)}: {_text(c.get('reason'), 128)}".rstrip(": ")
        for c in status.get("conditions") or ()
        if isinstance(c, dict) and c.get("status") == "True"
    ]
    return {
        "backoff_limit": _int(spec.get("backoffLimit")),
        "completions": _int(spec.get("completions")),
        "parallelism": _int(spec.get("parallelism")),
        "active": _int(status.get("active")) or 0,
        "succeeded": _int(status.get("succeeded")) or 0,
        "failed": _int(status.get("failed")) or 0,
        "conditions": conditions[:16],
    }


def _revision(obj: Mapping[str, Any]) -> str:
    return _text(((obj.get("metadata") or {}).get("annotations") or {}).get(REVISION), 32)


def _get(fetch: Fetch, cluster: str, resource: str, namespace: str, name: str) -> tuple[Any, str]:
    """(object, "") or (None, why not); cached per object, failures for longer."""
    key = (cluster, resource, namespace, name)
    with _lock:
        if key in _cache:
            return _cache[key]
        if key in _failed:
            return None, _failed[key]
    try:
        found: tuple[Any, str] = (fetch(resource, namespace, name), "")
    except ApiError as exc:
        if exc.code == 404:
            found = (None, f"the {resource[:-1]} {name} no longer exists")
        else:
            reason = f"{exc.code} {exc.reason}: {exc.message}".strip()[:300]
            with _lock:
                _failed[key] = reason
            return None, reason
    except KubeError as exc:
        with _lock:
            _failed[key] = str(exc)[:300]
        return None, str(exc)[:300]
    with _lock:
        _cache[key] = found
    return found


def _client_fetch(cluster: str) -> Fetch | None:
    if cluster_config(cluster) is None:
        return None
    from . import shared_client  # the package's shared client (imported late: the package imports us)

    def fetch(resource: str, namespace: str, name: str) -> Mapping[str, Any]:
        raw: Mapping[str, Any] = shared_client(cluster).get(
            resource, namespace=namespace, name=name, timeout=TIMEOUT
        )
        return raw

    return fetch


def with_live_workload(document: dict[str, Any], *, fetch: Fetch | None = None) -> dict[str, Any]:
    """Fill the live parts of a Pod document's `workload` (its `job` or `rollout`) from the cluster, when
    it is configured and the objects can be read (as live logs are); otherwise say why in `reason`."""
    workload = document.get("workload")
    if not workload:
        return document
    cluster, namespace = str(document.get("cluster") or ""), str(document.get("namespace") or "")
    why = f"cluster {cluster} is not watched (a recording, or not configured)"
    if fetch is None:
        try:
            fetch = _client_fetch(cluster)
        except KubeError as exc:
            why = str(exc)[:300]
    controller = workload["controller"]
    if fetch is None:
        for part in ("job", "rollout"):
            if workload.get(part) is not None:
                workload[part]["reason"] = why
        return document
    if workload.get("job") is not None:
        job, why = _get(fetch, cluster, "jobs", namespace, controller["name"])
        part = workload["job"]
        if job is not None:
            part.update(job_facts(job), source="live", reason="")
        else:
            part["reason"] = why
    if workload.get("rollout") is not None:
        _live_rollout(workload["rollout"], fetch, cluster, namespace, controller["name"])
    return document


def _live_rollout(part: dict[str, Any], fetch: Fetch, cluster: str, namespace: str, rs_name: str) -> None:
    """The ReplicaSet's revision against its Deployment's: equal means the newest rollout."""
    rs, why = _get(fetch, cluster, "replicasets", namespace, rs_name)
    if rs is None:
        part["reason"] = why
        return
    owner = controller_of(rs)
    if owner is None or owner[0] != "Deployment":
        part["reason"] = "the ReplicaSet has no Deployment"
        return
    deployment, why = _get(fetch, cluster, "deployments", namespace, owner[1])
    if deployment is None:
        part["reason"] = why
        return
    mine, current = _revision(rs), _revision(deployment)
    part.update(revision=mine, deployment_revision=current, source="live", reason="")
    if mine and current:
        newest = mine == current
        if newest:
            part["newest_replica_set"] = rs_name
        elif part.get("newest_replica_set") == rs_name:
            part["newest_replica_set"] = ""  # the stored Pods' guess is wrong; the newest one is not known
        part.update(newest=newest, decided_by="revision")
    else:
        part["reason"] = "no revision annotation to compare"


def clear_cache() -> None:
    """Forget every fetched object (tests)."""
    with _lock:
        _cache.clear()
        _failed.clear()


__all__ = ["clear_cache", "job_facts", "with_live_workload"]
