"""The only package that imports the `kubernetes` client (an import-linter contract keeps it so).

It hands plain dicts (raw API JSON) and its own error types to the rest of Initscope:
`client_for(name)` -> `KubeClient` (list / watch / get / pod_log), `configured_clusters()`,
`OwnerResolver` (ReplicaSet -> Deployment, Job -> CronJob, cached).
"""

from __future__ import annotations

import os

from django.conf import settings

from .client import KubeClient, OversizedLine, WatchStream, resource_path, split_lines
from .config import (
    IN_CLUSTER,
    ClusterConfig,
    NamespaceGroup,
    api_client,
    check_configuration,
    cluster_config,
    configured_clusters,
    kubeconfig_contexts,
    parse_namespace_groups,
    parse_namespaces,
    watch_key,
    watch_units,
)
from .errors import ApiError, ConnectionFailed, KubeError
from .owners import OwnerResolver

_shared: dict[tuple, KubeClient] = {}


def shared_client(name: str) -> KubeClient:
    """A KubeClient reused across web requests (log fetching), rebuilt when the kubeconfig changes."""
    key = (name, *_kubeconfig_stamp())
    if key not in _shared:
        for old in [k for k in _shared if k[0] == name]:
            del _shared[old]
        _shared[key] = client_for(name)
    return _shared[key]


def _kubeconfig_stamp() -> tuple[str, float]:
    path = os.environ.get("KUBECONFIG", "")
    try:
        mtime = os.stat(path.split(os.pathsep)[0]).st_mtime if path else 0.0
    except OSError:
        mtime = 0.0
    return path, mtime


def client_for(name: str) -> KubeClient:
    """A KubeClient for the configured cluster `name`.

    Raises KubeError when the kubeconfig has no such context or cannot be loaded.
    """
    try:
        return KubeClient(api_client(name), name=name, max_line_bytes=settings.INITSCOPE_MAX_LINE_BYTES)
    except KubeError:
        raise
    except Exception as exc:  # ConfigException, OSError, YAML errors: all mean "cannot reach it"
        raise KubeError(f"cannot load the configuration of cluster {name!r}: {exc}") from exc


__all__ = [
    "IN_CLUSTER",
    "ApiError",
    "ClusterConfig",
    "ConnectionFailed",
    "KubeClient",
    "OversizedLine",
    "KubeError",
    "NamespaceGroup",
    "OwnerResolver",
    "WatchStream",
    "check_configuration",
    "client_for",
    "cluster_config",
    "configured_clusters",
    "kubeconfig_contexts",
    "parse_namespace_groups",
    "parse_namespaces",
    "resource_path",
    "shared_client",
    "split_lines",
    "watch_key",
    "watch_units",
]
