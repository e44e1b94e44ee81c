"""Which clusters Initscope watches and how it reaches them.

A cluster is named by its kubeconfig context (`INITSCOPE_CLUSTERS=ctx-a,ctx-b`, kubeconfig from
`KUBECONFIG` or ~/.kube/config), or `in-cluster` for the Pod's service account. The `kubernetes` client
loads credentials (tokens, client certificates, exec plugins); Initscope never stores them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from django.conf import settings
from kubernetes import client as k8s_client
from kubernetes import config as k8s_config

IN_CLUSTER = "in-cluster"


@dataclass(frozen=True, slots=True)
class ClusterConfig:
    """A configured cluster: its name (= kubeconfig context) and the namespaces to watch (() = all)."""

    name: str
    namespaces: tuple[str, ...] = ()


def parse_namespaces(raw: str) -> dict[str, tuple[str, ...]]:
    """`ctx-a=shop,payments;ctx-b=batch` -> {"ctx-a": ("shop", "payments"), "ctx-b": ("batch",)}.

    Raises ValueError on an entry without `=`.
    """
    out: dict[str, tuple[str, ...]] = {}
    for entry in raw.split(";"):
        if not entry.strip():
            continue
        name, sep, namespaces = entry.partition("=")
        if not sep:
            raise ValueError(f"INITSCOPE_CLUSTER_NAMESPACES entry {entry!r} is not CLUSTER=ns1,ns2")
        out[name.strip()] = tuple(sorted({ns.strip() for ns in namespaces.split(",") if ns.strip()}))
    return out


def configured_clusters() -> list[ClusterConfig]:
    """The clusters of INITSCOPE_CLUSTERS, in order, with their namespace filters."""
    namespaces = parse_namespaces(settings.INITSCOPE_CLUSTER_NAMESPACES)
    return [ClusterConfig(name, namespaces.get(name, ())) for name in settings.INITSCOPE_CLUSTERS]


def cluster_config(name: str) -> ClusterConfig | None:
    return next((c for c in configured_clusters() if c.name == name), None)


def api_client(name: str) -> k8s_client.ApiClient:
    """A new ApiClient for the cluster `name` (a kubeconfig context, or `in-cluster`).

    Raises `kubernetes.config.ConfigException` (or OSError) when the context or the file is missing.
    """
    if name == IN_CLUSTER:
        configuration = k8s_client.Configuration()
        k8s_config.load_incluster_config(client_configuration=configuration)
        return k8s_client.ApiClient(configuration)
    return k8s_config.new_client_from_config(config_file=kubeconfig_path(), context=name)


def kubeconfig_path() -> str:
    """KUBECONFIG (":"-separated files are merged by the client), else ~/.kube/config; never ""."""
    return os.environ.get("KUBECONFIG") or os.path.expanduser("~/.kube/config")


def kubeconfig_contexts() -> list[str]:
    """The context names of the kubeconfig (empty when there is none)."""
    try:
        contexts, _ = k8s_config.list_kube_config_contexts(kubeconfig_path())
    except (k8s_config.ConfigException, OSError):
        return []
    return [c["name"] for c in contexts or ()]
