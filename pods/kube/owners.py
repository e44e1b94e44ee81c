"""Owner resolution: a Pod's workload through the API (ReplicaSet -> Deployment, Job -> CronJob).

k8s-semantics §7: follow the `ownerReferences` entry with `controller: true`. One GET per ReplicaSet or
Job, cached (bounded, with a time to live; a failed lookup for a shorter one); anything the API will
not tell (404, 403, a broken connection) returns None and the engine's guess from names and labels stands.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict

from .errors import ApiError, KubeError

log = logging.getLogger(__name__)

# The kinds whose own controller is the workload people think of.
PARENT_RESOURCE = {"ReplicaSet": "replicasets", "Job": "jobs"}


def controller_of(obj: dict) -> tuple[str, str] | None:
    """(kind, name) of the `controller: true` ownerReference of a raw object, or None."""
    refs = (obj.get("metadata") or {}).get("ownerReferences") or ()
    for ref in refs:
        if isinstance(ref, dict) and ref.get("controller") is True and ref.get("kind") and ref.get("name"):
            return str(ref["kind"]), str(ref["name"])
    return None


class OwnerResolver:
    """`resolve(raw_pod)` -> (kind, name) of the Pod's workload, or None to keep the engine's guess."""

    def __init__(self, kube, *, ttl: float = 600.0, failure_ttl: float = 60.0, size: int = 10_000) -> None:
        self.kube = kube
        self.ttl = ttl
        self.failure_ttl = failure_ttl
        self.size = size
        self.enabled = True
        self._cache: OrderedDict[tuple[str, str, str], tuple[float, tuple[str, str] | None]] = OrderedDict()

    def resolve(self, pod: dict) -> tuple[str, str] | None:
        controller = controller_of(pod)
        if controller is None or controller[0] not in PARENT_RESOURCE or not self.enabled:
            return None
        namespace = str((pod.get("metadata") or {}).get("namespace") or "")
        key = (namespace, *controller)
        cached = self._cache.get(key)
        if cached is not None and cached[0] > time.monotonic():
            self._cache.move_to_end(key)
            return cached[1]
        try:
            owner = self._lookup(namespace, *controller)
        except KubeError as exc:
            self._on_error(exc, key)
            # Not asked again for every Pod of every batch: the guess stands for a short while.
            self._remember(key, None, ttl=self.failure_ttl)
            return None
        self._remember(key, owner)
        return owner

    def _lookup(self, namespace: str, kind: str, name: str) -> tuple[str, str] | None:
        try:
            parent = self.kube.get(PARENT_RESOURCE[kind], namespace=namespace, name=name)
        except ApiError as exc:
            if exc.code == 404:  # gone (e.g. an old ReplicaSet): its own name is the best we know
                return None
            raise
        return controller_of(parent) or (kind, name)

    def _on_error(self, exc: KubeError, key: tuple[str, str, str]) -> None:
        if isinstance(exc, ApiError) and exc.denied:
            log.warning("owner resolution switched off: %s (grant get on replicasets and jobs)", exc)
            self.enabled = False
            return
        log.info("could not resolve the owner %s/%s %s: %s", *key, exc)

    def _remember(
        self, key: tuple[str, str, str], owner: tuple[str, str] | None, *, ttl: float | None = None
    ) -> None:
        self._cache[key] = (time.monotonic() + (self.ttl if ttl is None else ttl), owner)
        self._cache.move_to_end(key)
        while len(self._cache) > self.size:
            self._cache.popitem(last=False)
