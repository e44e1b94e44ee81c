"""Which clusters Initscope watches and how it reaches them.

A cluster is named by its kubeconfig context (`INITSCOPE_CLUSTERS=ctx-a,ctx-b`, kubeconfig from
`KUBECONFIG` or ~/.kube/config), or `in-cluster` for the Pod's service account. The `kubernetes` client
loads credentials (tokens, client certificates, exec plugins); Initscope never stores them.

A cluster is watched whole (every namespace, or those of `INITSCOPE_CLUSTER_NAMESPACES`), or split into
named namespace groups (`INITSCOPE_CLUSTER_NAMESPACE_GROUPS`): each group is its own unit of work (its
own lock, task runs, cursors, heartbeat and back-off), so several workers watch one large cluster in
parallel. `watch_units()` lists the units: `(cluster, "")` for a whole cluster, `(cluster, group)` else.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from kubernetes import client as k8s_client
from kubernetes import config as k8s_config

IN_CLUSTER = "in-cluster"


# A group's name is a DNS label (it is part of the lock key `initscope:watch:<cluster>/<group>`).
GROUP_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")


@dataclass(frozen=True, slots=True)
class NamespaceGroup:
    """A named set of namespaces of one cluster, watched as one unit of work."""

    name: str
    namespaces: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ClusterConfig:
    """A configured cluster: its name (= kubeconfig context), the namespaces to watch (() = all) and its
    namespace groups (() = watched whole; with groups, `namespaces` is every group's namespaces)."""

    name: str
    namespaces: tuple[str, ...] = ()
    groups: tuple[NamespaceGroup, ...] = ()

    def group(self, name: str) -> NamespaceGroup | None:
        return next((g for g in self.groups if g.name == name), None)

    def scopes(self, group: str = "") -> tuple[str, ...]:
        """The namespaces the unit `group` watches ("": the whole cluster's, () = all namespaces)."""
        if not group:
            return self.namespaces
        found = self.group(group)
        return found.namespaces if found else ()


def watch_key(cluster: str, group: str = "") -> str:
    """A unit of work's name: `cluster` when watched whole, `cluster/group` for a namespace group (the
    suffix of its lock key and the name its logs and errors use)."""
    return f"{cluster}/{group}" if group else cluster


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


def parse_namespace_groups(raw: str) -> dict[str, tuple[NamespaceGroup, ...]]:
    """`ctx-a=front:shop,payments|back:batch;ctx-b=...` -> {"ctx-a": (NamespaceGroup("front", ("payments",
    "shop")), NamespaceGroup("back", ("batch",))), ...}, groups in the order given.

    Raises ValueError, naming the entry, on a malformed entry, a group name that is not a DNS label, a
    cluster or group given twice, a group without namespaces, or a namespace in two groups.
    """
    what = "INITSCOPE_CLUSTER_NAMESPACE_GROUPS"
    out: dict[str, tuple[NamespaceGroup, ...]] = {}
    for entry in raw.split(";"):
        if not entry.strip():
            continue
        cluster, sep, spec = (part.strip() for part in entry.partition("="))
        if not sep or not cluster:
            raise ValueError(f"{what} entry {entry.strip()!r} is not CLUSTER=GROUP:ns1,ns2|GROUP:ns3")
        if cluster in out:
            raise ValueError(f"{what}: cluster {cluster!r} is given twice (one entry per cluster)")
        groups: list[NamespaceGroup] = []
        owner: dict[str, str] = {}  # namespace -> its group
        for part in spec.split("|"):
            name, sep, namespaces_raw = (p.strip() for p in part.partition(":"))
            if not sep:
                raise ValueError(f"{what}: {part.strip()!r} of cluster {cluster!r} is not GROUP:ns1,ns2")
            if not GROUP_NAME.match(name):
                raise ValueError(
                    f"{what}: group name {name!r} of cluster {cluster!r} is not a DNS label "
                    "(lower-case letters, digits and '-', at most 63)"
                )
            if any(g.name == name for g in groups):
                raise ValueError(f"{what}: cluster {cluster!r} has two groups named {name!r}")
            namespaces = tuple(sorted({ns.strip() for ns in namespaces_raw.split(",") if ns.strip()}))
            if not namespaces:
                raise ValueError(f"{what}: group {name!r} of cluster {cluster!r} names no namespace")
            for ns in namespaces:
                if ns in owner:
                    raise ValueError(
                        f"{what}: namespace {ns!r} of cluster {cluster!r} is in groups {owner[ns]!r} and "
                        f"{name!r}; a namespace belongs to one group (two watchers would share its Pods)"
                    )
                owner[ns] = name
            groups.append(NamespaceGroup(name, namespaces))
        out[cluster] = tuple(groups)
    return out


def configured_clusters() -> list[ClusterConfig]:
    """The clusters of INITSCOPE_CLUSTERS, in order, with their namespace filters or groups.

    Raises ImproperlyConfigured (naming the setting and the entry) when the settings do not hold together:
    a malformed entry, a namespace in two groups, groups of a cluster that INITSCOPE_CLUSTERS lacks, a
    cluster given both a namespace filter and groups. `check_configuration()` runs it at startup.
    """
    try:
        namespaces = parse_namespaces(settings.INITSCOPE_CLUSTER_NAMESPACES)
        groups = parse_namespace_groups(getattr(settings, "INITSCOPE_CLUSTER_NAMESPACE_GROUPS", ""))
    except ValueError as exc:
        raise ImproperlyConfigured(str(exc)) from exc
    names = list(settings.INITSCOPE_CLUSTERS)
    for cluster in groups:
        if cluster not in names:
            raise ImproperlyConfigured(
                f"INITSCOPE_CLUSTER_NAMESPACE_GROUPS splits cluster {cluster!r}, which is not in "
                "INITSCOPE_CLUSTERS"
            )
        if cluster in namespaces:
            raise ImproperlyConfigured(
                f"cluster {cluster!r} has both INITSCOPE_CLUSTER_NAMESPACES and "
                "INITSCOPE_CLUSTER_NAMESPACE_GROUPS: its groups already name the namespaces it watches"
            )
        for group in groups[cluster]:
            if watch_key(cluster, group.name) in names:
                raise ImproperlyConfigured(
                    f"group {group.name!r} of cluster {cluster!r} has the name of cluster "
                    f"{watch_key(cluster, group.name)!r}: rename the group"
                )
    out = []
    for name in names:
        if name in groups:
            union = tuple(sorted({ns for g in groups[name] for ns in g.namespaces}))
            out.append(ClusterConfig(name, union, groups[name]))
        else:
            out.append(ClusterConfig(name, namespaces.get(name, ())))
    return out


def check_configuration() -> None:
    """Fail at startup (ImproperlyConfigured, a clear message) when the clusters' settings are invalid."""
    configured_clusters()


def watch_units() -> list[tuple[str, str]]:
    """Every unit of work to watch: `(cluster, "")` for a cluster watched whole, `(cluster, group)` for
    each namespace group of a split one; in the order of INITSCOPE_CLUSTERS, groups in the order given."""
    return [(c.name, g.name) for c in configured_clusters() for g in c.groups or (NamespaceGroup("", ()),)]


def cluster_config(name: str) -> ClusterConfig | None:
    return next((c for c in configured_clusters() if c.name == name), None)


def api_client(name: str) -> k8s_client.ApiClient:
    """A new ApiClient for the cluster `name` (a kubeconfig context, or `in-cluster`).

    Raises `kubernetes.config.ConfigException` (or OSError) when the context or the file is missing.
    """
    configuration = k8s_client.Configuration()
    if name == IN_CLUSTER:
        k8s_config.load_incluster_config(client_configuration=configuration)
    else:
        k8s_config.load_kube_config(
            config_file=kubeconfig_path(), context=name, client_configuration=configuration
        )
    # No urllib3 retries of its own: a read timeout retried three more times stretched one call to four
    # times its timeout, past the watch lock's life. The watcher retries with its own back-off instead,
    # and each call keeps to its own deadline (`KubeClient`).
    configuration.retries = False
    return k8s_client.ApiClient(configuration)


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
