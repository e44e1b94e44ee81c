"""deploy/kustomize: both overlays rendered by kubectl's own kustomize, valid against the Kubernetes 1.35
schemas (kubernetes-validate, strict; the schemas ship in its wheel, so this runs offline), and checked
against what the code needs: the probes' endpoints, the worker's queues, the settings `check --deploy`
reads, a read-only root with a writable /tmp, non-root, requests and limits, no secret in the repository.

kubectl comes from scripts/get-kubectl (`make setup` puts it in .venv/bin); without it these tests skip,
except in CI (CI=true), where they fail.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import kubernetes_validate
import pytest
import yaml
from django.conf import settings
from django.urls import resolve

ROOT = Path(__file__).resolve().parents[2]
KUSTOMIZE = ROOT / "deploy" / "kustomize"
OVERLAYS = ["cluster-wide", "namespaced"]
KUBERNETES = "1.35.0"
READERS = re.compile(r"env_(?:str|bool|int|float|list)\(\s*\"([A-Z0-9_]+)\"")
# What only the Secret `initscope` may hold (docs/operations.md): never in a ConfigMap or the repository.
SECRET_VARIABLES = {
    "SECRET_KEY", "DATABASE_URL", "REDIS_URL", "INITSCOPE_METRICS_TOKEN", "INITSCOPE_ALERT_WEBHOOK_SECRET",
    "INITSCOPE_ALERT_WEBHOOK_URL", "OTEL_EXPORTER_OTLP_HEADERS", "OTEL_EXPORTER_OTLP_TRACES_HEADERS",
}  # fmt: skip
COMPONENTS = {"web", "worker", "beat"}


def _kubectl() -> str:
    found = shutil.which("kubectl", path=f"{ROOT / '.venv' / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}")
    if found is None:
        message = "kubectl is not installed (scripts/get-kubectl; `make setup` puts it in .venv/bin)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return found


def _render(overlay: str) -> list[dict]:
    out = subprocess.run(
        [_kubectl(), "kustomize", str(KUSTOMIZE / "overlays" / overlay)], capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    return [doc for doc in yaml.safe_load_all(out.stdout) if doc]


@pytest.fixture(scope="module", params=OVERLAYS)
def rendered(request) -> tuple[str, list[dict]]:
    return request.param, _render(request.param)


def _one(docs: list[dict], kind: str, name: str | None = None) -> dict:
    found = [d for d in docs if d["kind"] == kind and (name is None or d["metadata"]["name"] == name)]
    assert len(found) == 1, (kind, name, len(found))
    return found[0]


def _deployments(docs: list[dict]) -> dict[str, dict]:
    return {d["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/component"]: d
            for d in docs if d["kind"] == "Deployment"}  # fmt: skip


def _containers(deployment: dict) -> list[dict]:
    spec = deployment["spec"]["template"]["spec"]
    return spec.get("initContainers", []) + spec["containers"]


def _main(deployment: dict) -> dict:
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    return container


def _option(command: list[str], *names: str) -> str | None:
    for i, word in enumerate(command):
        for name in names:
            if word == name:
                return command[i + 1]
            if word.startswith(name + "="):
                return word.split("=", 1)[1]
    return None


def test_every_document_is_valid_against_the_kubernetes_1_35_schemas(rendered):
    overlay, docs = rendered
    for doc in docs:
        try:
            kubernetes_validate.validate(doc, KUBERNETES, strict=True)
        except kubernetes_validate.ValidationError as exc:
            pytest.fail(f"{overlay}: {doc['kind']}/{doc['metadata']['name']}: {exc.message} at {exc.path}")


def test_the_validator_rejects_what_kubernetes_would():
    bad = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "x"},
           "spec": {"replicas": "two", "selector": {}, "template": {}}}  # fmt: skip
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(bad, KUBERNETES, strict=True)


def test_each_overlay_has_every_part(rendered):
    overlay, docs = rendered
    assert set(_deployments(docs)) == COMPONENTS
    for kind in ("Namespace", "ServiceAccount", "ConfigMap", "Service", "Ingress"):
        _one(docs, kind)
    assert {d["metadata"]["name"] for d in docs if d["kind"] == "PodDisruptionBudget"} == {
        "initscope-web", "initscope-worker"
    }  # fmt: skip
    assert any(d["kind"] == "NetworkPolicy" for d in docs)
    roles = {
        d["kind"] for d in docs if d["kind"] in ("Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding")
    }
    expected = {"cluster-wide": {"ClusterRole", "ClusterRoleBinding"}, "namespaced": {"Role", "RoleBinding"}}
    assert roles == expected[overlay]


def test_the_rbac_is_the_one_of_deploy_kustomize_rbac(rendered):
    overlay, docs = rendered
    source = [d for d in yaml.safe_load_all((KUSTOMIZE / "rbac" / overlay / "rbac.yaml").read_text()) if d]
    for doc in source:
        if doc["kind"] in ("Role", "ClusterRole"):
            assert _one(docs, doc["kind"], doc["metadata"]["name"])["rules"] == doc["rules"]


def test_the_deployments_run_as_the_bound_service_account(rendered):
    _, docs = rendered
    (binding,) = [d for d in docs if d["kind"].endswith("RoleBinding")]
    bound = {(s["name"], s["namespace"]) for s in binding["subjects"]}
    account = _one(docs, "ServiceAccount")
    assert bound == {(account["metadata"]["name"], account["metadata"]["namespace"])}
    for name, deployment in _deployments(docs).items():
        assert deployment["spec"]["template"]["spec"]["serviceAccountName"] == account["metadata"]["name"], (
            name
        )
        assert deployment["metadata"]["namespace"] == account["metadata"]["namespace"]


def test_the_namespaced_overlay_watches_exactly_the_namespaces_it_is_granted():
    docs = _render("namespaced")
    granted = {d["metadata"]["namespace"] for d in docs if d["kind"] == "Role"}
    data = _one(docs, "ConfigMap")["data"]
    cluster, _, namespaces = data["INITSCOPE_CLUSTER_NAMESPACES"].partition("=")
    assert cluster == data["INITSCOPE_CLUSTERS"] == "in-cluster"
    assert set(namespaces.split(",")) == granted


def test_configuration_comes_from_the_configmap_and_a_secret_that_is_not_in_the_repository(rendered):
    _, docs = rendered
    assert not any(d["kind"] == "Secret" for d in docs)
    configmap = _one(docs, "ConfigMap")
    read = {n for p in (ROOT / "dashboard").glob("*.py") for n in READERS.findall(p.read_text())}
    assert set(configmap["data"]) - read == set(), "keys nothing reads"
    assert set(configmap["data"]) & SECRET_VARIABLES == set(), "secrets belong in the Secret"
    for deployment in _deployments(docs).values():
        for container in _containers(deployment):
            sources = container["envFrom"]
            assert {s["configMapRef"]["name"] for s in sources if "configMapRef" in s} == {
                configmap["metadata"]["name"]
            }  # fmt: skip
            assert {s["secretRef"]["name"] for s in sources if "secretRef" in s} == {"initscope"}
            assert "env" not in container, "one source of settings"


def test_the_configmap_passes_check_deploy(rendered):
    _, docs = rendered
    env = {k: v for k, v in os.environ.items() if k != "DEBUG" and k not in SECRET_VARIABLES}
    env |= _one(docs, "ConfigMap")["data"]
    env |= {"SECRET_KEY": "k8s-check-" + "Zq8vR" * 10, "DJANGO_SETTINGS_MODULE": "dashboard.settings"}
    out = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert out.returncode == 0, out.stdout + out.stderr


def test_every_container_is_non_root_read_only_with_a_writable_tmp_and_sized(rendered):
    _, docs = rendered
    uid = int(re.search(r"--uid (\d+)", (ROOT / "Dockerfile").read_text()).group(1))
    for name, deployment in _deployments(docs).items():
        pod = deployment["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        assert pod["securityContext"]["runAsUser"] == uid, name
        assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}, name
        volumes = {v["name"]: v for v in pod["volumes"]}
        for container in _containers(deployment):
            where = (name, container["name"])
            context = container["securityContext"]
            assert context["readOnlyRootFilesystem"] is True, where
            assert context["allowPrivilegeEscalation"] is False, where
            assert context["capabilities"]["drop"] == ["ALL"], where
            (tmp,) = [m for m in container["volumeMounts"] if m["mountPath"] == "/tmp"]
            assert "emptyDir" in volumes[tmp["name"]], where
            for part in ("requests", "limits"):
                assert {"cpu", "memory"} <= set(container["resources"][part]), (where, part)
    images = {c["image"] for d in _deployments(docs).values() for c in _containers(d)}
    assert len(images) == 1 and ":" in next(iter(images)), "one image, at a pinned tag"


def test_web_serves_daphne_with_probes_on_the_health_endpoints(rendered):
    _, docs = rendered
    web = _main(_deployments(docs)["web"])
    assert web["command"][0] == "daphne"
    module, attribute = settings.ASGI_APPLICATION.rsplit(".", 1)
    assert web["command"][-1] == f"{module}:{attribute}"
    (port,) = web["ports"]
    assert str(port["containerPort"]) == _option(web["command"], "--port", "-p")
    paths = {}
    for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
        get = web[probe]["httpGet"]
        assert get["port"] in (port["name"], port["containerPort"]), probe
        paths[probe] = get["path"]
    assert paths == {"startupProbe": "/healthz", "livenessProbe": "/healthz", "readinessProbe": "/readyz"}
    assert {p: resolve(path).url_name for p, path in paths.items()} == {
        "startupProbe": "healthz", "livenessProbe": "healthz", "readinessProbe": "readyz"
    }  # fmt: skip
    init = _deployments(docs)["web"]["spec"]["template"]["spec"]["initContainers"]
    assert [c["command"] for c in init] == [["python", "manage.py", "migrate", "--noinput"]]
    strategy = _deployments(docs)["web"]["spec"]["strategy"]["rollingUpdate"]
    assert strategy == {"maxSurge": 1, "maxUnavailable": 0}, "one migrating Pod at a time"


def test_the_worker_consumes_every_queue_the_tasks_are_routed_to_with_threads(rendered):
    _, docs = rendered
    worker = _deployments(docs)["worker"]
    command = _main(worker)["command"]
    assert command[:4] == ["celery", "-A", "dashboard", "worker"]
    queues = {route["queue"] for route in settings.CELERY_TASK_ROUTES.values()}
    assert set(_option(command, "-Q", "--queues").split(",")) == queues | {settings.CELERY_TASK_DEFAULT_QUEUE}
    assert (_option(command, "-P", "--pool") or settings.CELERY_WORKER_POOL) == "threads"
    assert "livenessProbe" in _main(worker) and "startupProbe" in _main(worker)
    init = worker["spec"]["template"]["spec"]["initContainers"]
    assert [c["command"] for c in init] == [["python", "manage.py", "migrate", "--check"]]


def test_exactly_one_beat_replaced_never_doubled(rendered):
    _, docs = rendered
    beat = _deployments(docs)["beat"]
    assert beat["spec"]["replicas"] == 1 and beat["spec"]["strategy"] == {"type": "Recreate"}
    command = _main(beat)["command"]
    assert command[:4] == ["celery", "-A", "dashboard", "beat"]
    assert _option(command, "-s", "--schedule").startswith("/tmp/")
    assert "livenessProbe" in _main(beat)


def _selects(selector: dict, labels: dict) -> bool:
    return all(labels.get(k) == v for k, v in selector["matchLabels"].items())


def test_service_ingress_budgets_and_policies_select_what_they_mean(rendered):
    _, docs = rendered
    deployments = _deployments(docs)
    labels = {name: d["spec"]["template"]["metadata"]["labels"] for name, d in deployments.items()}
    service = _one(docs, "Service")
    assert [
        n for n, lab in labels.items() if _selects({"matchLabels": service["spec"]["selector"]}, lab)
    ] == ["web"]
    port_names = {p["name"] for p in _main(deployments["web"])["ports"]}
    assert {p["targetPort"] for p in service["spec"]["ports"]} <= port_names
    backend = _one(docs, "Ingress")["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
    assert backend["name"] == service["metadata"]["name"]
    assert backend["port"]["name"] in {p["name"] for p in service["spec"]["ports"]}
    budgets = {d["metadata"]["name"]: d for d in docs if d["kind"] == "PodDisruptionBudget"}
    assert _selects(budgets["initscope-web"]["spec"]["selector"], labels["web"])
    assert _selects(budgets["initscope-worker"]["spec"]["selector"], labels["worker"])
    policies = [d for d in docs if d["kind"] == "NetworkPolicy"]
    for name, lab in labels.items():
        applying = [p for p in policies if _selects(p["spec"]["podSelector"], lab)]
        assert applying, f"{name}: no policy, every connection allowed"
        opened = [rule for p in applying for rule in p["spec"].get("ingress", [])]
        if name == "web":
            assert [port["port"] for rule in opened for port in rule["ports"]] == ["http"] * len(opened)
        else:
            assert opened == [], f"{name} takes no connections"


def test_the_hosts_the_settings_accept_are_the_ingress_and_the_in_cluster_scrape(rendered):
    _, docs = rendered
    data = _one(docs, "ConfigMap")["data"]
    allowed = set(data["ALLOWED_HOSTS"].split(","))
    ingress = _one(docs, "Ingress")["spec"]
    hosts = {rule["host"] for rule in ingress["rules"]}
    assert hosts <= allowed and hosts <= {h for tls in ingress["tls"] for h in tls["hosts"]}
    assert {f"https://{h}" for h in hosts} <= set(data["CSRF_TRUSTED_ORIGINS"].split(","))
    assert data["INITSCOPE_PUBLIC_URL"] in {f"https://{h}" for h in hosts}
    scrape = yaml.safe_load((ROOT / "deploy" / "monitoring" / "prometheus-scrape.yaml").read_text())
    targets = {t for job in scrape["scrape_configs"] for c in job["static_configs"] for t in c["targets"]}
    service = _one(docs, "Service")
    in_cluster = f"{service['metadata']['name']}.{service['metadata']['namespace']}.svc"
    assert {t.rsplit(":", 1)[0] for t in targets} == {in_cluster} and in_cluster in allowed
