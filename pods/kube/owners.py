"""Owner resolution: a Pod's workload through the API (ReplicaSet -> Deployment, Job -> CronJob), and the
workload an Event about a controller belongs to (`resolve_event`: a ReplicaSet's Events are its Deployment's).

docs/kubernetes.md §7: follow the `ownerReferences` entry with `controller: true`. One GET per ReplicaSet or
Job, cached (bounded, with a time to live; a failed lookup for a shorter one); anything the API will
not tell (404, 403, a broken connection) returns None and the engine's guess from names and labels stands.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

from cachetools import TTLCache

from .errors import ApiError, KubeError

log = logging.getLogger(__name__)

Key = tuple[str, str, str]  # (namespace, kind, name) of a Pod's controller

# The kinds whose own controller is the workload people think of.
PARENT_RESOURCE = {"ReplicaSet": "replicasets", "Job": "jobs"}
# Workloads that are their own workload (nobody's controller but the user's).
TOP_WORKLOADS = frozenset({"Deployment", "StatefulSet", "DaemonSet", "CronJob"})
# The API group of each workload kind: an Event about another group's kind of the same name is not ours.
WORKLOAD_GROUPS = {
    "ReplicaSet": "apps",
    "Deployment": "apps",
    "StatefulSet": "apps",
    "DaemonSet": "apps",
    "Job": "batch",
    "CronJob": "batch",
}


def involved_object(event: Mapping[str, Any]) -> Mapping[str, Any]:
    """What a raw Event is about: core/v1 `involvedObject`, events.k8s.io `regarding` (`{}` if neither)."""
    for key in ("involvedObject", "regarding"):
        ref = event.get(key)
        if isinstance(ref, dict):
            return ref
    return {}


def controller_of(obj: Mapping[str, Any]) -> tuple[str, str] | None:
    """(kind, name) of the `controller: true` ownerReference of a raw object (`RawObject`), or None."""
    refs = (obj.get("metadata") or {}).get("ownerReferences") or ()
    for ref in refs:
        if isinstance(ref, dict) and ref.get("controller") is True and ref.get("kind") and ref.get("name"):
            return str(ref["kind"]), str(ref["name"])
    return None


class OwnerResolver:
    """`resolve(raw_pod)` -> (kind, name) of the Pod's workload, `resolve_event(raw_event)` -> the workload
    an Event is about; None to keep the engine's guess."""

    def __init__(
        self,
        kube: Any,
        *,
        ttl: float = 600.0,
        failure_ttl: float = 60.0,
        size: int = 10_000,
        timer: Callable[[], float] = time.monotonic,
    ) -> None:
        self.kube = kube
        self.enabled = True
        # What the API answered (an owner, or None for a 404), and for a shorter while the lookups that
        # failed: both bounded, least recently used first out.
        self._found: TTLCache[Key, tuple[str, str] | None] = TTLCache(size, ttl, timer)
        self._failed: TTLCache[Key, None] = TTLCache(size, failure_ttl, timer)

    def resolve(self, pod: Mapping[str, Any]) -> tuple[str, str] | None:
        controller = controller_of(pod)
        if controller is None or controller[0] not in PARENT_RESOURCE or not self.enabled:
            return None
        namespace = str((pod.get("metadata") or {}).get("namespace") or "")
        return self.resolve_controller(namespace, *controller)

    def resolve_event(self, event: Mapping[str, Any]) -> tuple[str, str] | None:
        """(kind, name) of the workload a raw Event is about: a ReplicaSet's Deployment or a Job's CronJob
        through the API (the ReplicaSet or Job itself when it has no controller), a Deployment,
        StatefulSet, DaemonSet or CronJob itself. None for Events about Pods (their Pod's owner is
        resolved from the Pod), Nodes, PersistentVolumeClaims and anything else, and when the API will
        not tell (the engine then guesses from the name)."""
        ref = involved_object(event)
        kind, name = ref.get("kind"), ref.get("name")
        if not isinstance(kind, str) or kind not in WORKLOAD_GROUPS or not isinstance(name, str) or not name:
            return None
        group, slash, _ = str(ref.get("apiVersion") or "").partition("/")
        if slash and group != WORKLOAD_GROUPS[kind]:  # e.g. another project's own "Deployment" kind
            return None
        if kind in TOP_WORKLOADS:
            return kind, name
        meta = event.get("metadata") or {}
        namespace = str(ref.get("namespace") or meta.get("namespace") or "")
        return self.resolve_controller(namespace, kind, name)

    def resolve_controller(self, namespace: str, kind: str, name: str) -> tuple[str, str] | None:
        """The workload above the ReplicaSet or Job `name` (its controller; itself when it has none), or
        None when the API will not tell. Cached, failures for a shorter while."""
        if kind not in PARENT_RESOURCE or not self.enabled:
            return None
        key: Key = (namespace, kind, name)
        if key in self._found:
            return self._found[key]
        if key in self._failed:
            return None
        try:
            owner = self._lookup(namespace, kind, name)
        except KubeError as exc:
            self._on_error(exc, key)
            # Not asked again for every Pod of every batch: the guess stands for a short while.
            self._failed[key] = None
            return None
        self._found[key] = owner
        return owner

    def _lookup(self, namespace: str, kind: str, name: str) -> tuple[str, str] | None:
        try:
            parent = self.kube.get(PARENT_RESOURCE[kind], namespace=namespace, name=name)
        except ApiError as exc:
            if exc.code == 404:  # gone (e.g. an old ReplicaSet): its own name is the best we know
                return None
            raise
        return controller_of(parent) or (kind, name)

    def _on_error(self, exc: KubeError, key: Key) -> None:
        if isinstance(exc, ApiError) and exc.denied:
            log.warning("owner resolution switched off: %s (grant get on replicasets and jobs)", exc)
            self.enabled = False
            return
        log.info("could not resolve the owner %s/%s %s: %s", *key, exc)
