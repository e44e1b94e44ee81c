"""deploy/kustomize/rbac/*/rbac.yaml grant exactly what the watcher reads, and nothing more."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from pods.kube.client import RESOURCES

DEPLOY = Path(__file__).resolve().parents[2] / "deploy" / "kustomize"
RBAC = {
    "cluster-wide": DEPLOY / "rbac" / "cluster-wide" / "rbac.yaml",
    "namespaced": DEPLOY / "rbac" / "namespaced" / "rbac.yaml",
}
EXPECTED = {
    ("", "pods"): {"get", "list", "watch"},
    ("", "events"): {"get", "list", "watch"},
    ("events.k8s.io", "events"): {"get", "list", "watch"},
    ("", "pods/log"): {"get"},
    **{("apps", r): {"get", "list"} for r in ("replicasets", "deployments", "statefulsets", "daemonsets")},
    **{("batch", r): {"get", "list"} for r in ("jobs", "cronjobs")},
}


def grants(path: Path, kind: str) -> dict[tuple[str, str], set[str]]:
    (role,) = [d for d in yaml.safe_load_all(path.read_text()) if d and d["kind"] == kind]
    out: dict[tuple[str, str], set[str]] = {}
    for rule in role["rules"]:
        for group in rule["apiGroups"]:
            for resource in rule["resources"]:
                out.setdefault((group, resource), set()).update(rule["verbs"])
    return out


@pytest.mark.parametrize(("name", "kind"), [("cluster-wide", "ClusterRole"), ("namespaced", "Role")])
def test_the_role_grants_exactly_what_initscope_reads(name, kind):
    assert grants(RBAC[name], kind) == EXPECTED


def test_every_resource_the_client_reads_is_granted():
    groups = {"/api/v1": "", "/apis/apps/v1": "apps", "/apis/batch/v1": "batch"}
    for resource, prefix in RESOURCES.items():
        assert (groups[prefix], resource) in EXPECTED


def test_the_manifests_bind_the_service_account_the_deployments_use():
    docs = [
        d
        for path in sorted((DEPLOY / "base").glob("*.yaml"))
        for d in yaml.safe_load_all(path.read_text())
        if d
    ]
    accounts = {
        d["spec"]["template"]["spec"]["serviceAccountName"] for d in docs if d["kind"] == "Deployment"
    }
    (binding,) = [
        d for d in yaml.safe_load_all(RBAC["cluster-wide"].read_text()) if d["kind"].endswith("Binding")
    ]
    assert accounts == {s["name"] for s in binding["subjects"]} == {"initscope"}


WATCHED_NAMESPACES = {"shop"}  # the example namespace Initscope reads in; it belongs to the user


@pytest.mark.parametrize("name", sorted(RBAC))
def test_each_rbac_file_applied_alone_creates_the_namespace_it_puts_objects_in(name):
    docs = [d for d in yaml.safe_load_all(RBAC[name].read_text()) if d]
    created = {d["metadata"]["name"] for d in docs if d["kind"] == "Namespace"}
    used = {d["metadata"]["namespace"] for d in docs if d["metadata"].get("namespace")}
    used |= {s["namespace"] for d in docs for s in d.get("subjects", ()) if s.get("namespace")}
    assert used - WATCHED_NAMESPACES <= created
