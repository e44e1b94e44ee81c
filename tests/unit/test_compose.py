"""docker-compose.yml as `docker compose config` renders it, checked against what the code reads: the
variables the settings read (dashboard/settings.py), the queues the watchers' tasks are routed to, the
worker pool and its size, the addresses of the services, the kubeconfig mounted read-only, the health
checks and the start order. No container runtime runs here: rendering is the check, so it cannot drift.

Rendered in a temporary folder beside a `.env` made from .env.example (as the README says to), with
`docker compose` (v2) or else Debian's `docker-compose` (v1, which renders without a daemon too);
without either the tests skip, except in CI (CI=true), where they fail: scripts/system-packages installs it.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlparse

import pytest
import yaml
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
APP_SERVICES = ("migrate", "web", "worker", "beat")
LONG_RUNNING = ("web", "worker", "beat")
CLUSTERS = ["prod", "staging", "edge"]
READERS = re.compile(r"env_(?:str|bool|int|float|list)\(\s*\"([A-Z0-9_]+)\"")
# Read by the kubernetes client itself (pods/kube), not through the settings.
READ_BY_LIBRARIES = {"KUBECONFIG"}


def _compose() -> list[str] | None:
    docker = shutil.which("docker")
    if docker and subprocess.run([docker, "compose", "version"], capture_output=True).returncode == 0:
        return [docker, "compose"]
    legacy = shutil.which("docker-compose")
    return [legacy] if legacy else None


def _need_compose() -> list[str]:
    command = _compose()
    if command is None:
        message = "neither `docker compose` nor `docker-compose` is installed (scripts/system-packages)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return command


def _render(folder: Path, env_lines: list[str]) -> subprocess.CompletedProcess[str]:
    shutil.copy(ROOT / "docker-compose.yml", folder / "docker-compose.yml")
    (folder / ".env").write_text((ROOT / ".env.example").read_text() + "\n".join(env_lines) + "\n")
    env = {"PATH": os.environ["PATH"], "HOME": str(folder)}  # nothing from this shell leaks in
    return subprocess.run([*_need_compose(), "config"], cwd=folder, env=env, capture_output=True, text=True)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> dict:
    folder = tmp_path_factory.mktemp("compose")
    out = _render(folder, ["SECRET_KEY=compose-check-key", f"INITSCOPE_CLUSTERS={','.join(CLUSTERS)}"])
    assert out.returncode == 0, out.stderr
    return yaml.safe_load(out.stdout)


@pytest.fixture(scope="module")
def code_settings(rendered) -> dict:
    """The settings the worker's environment produces, read by Django itself in a fresh process."""
    env = {"PATH": os.environ["PATH"], **_environment(rendered["services"]["worker"])}
    env["INITSCOPE_VAR_DIR"] = str(ROOT / "var")  # the image's /app/var; here the checkout's
    program = """
import json, django
django.setup()
from django.conf import settings as s
print(json.dumps({
    "pool": s.CELERY_WORKER_POOL, "concurrency": s.CELERY_WORKER_CONCURRENCY,
    "queues": sorted({r["queue"] for r in s.CELERY_TASK_ROUTES.values()} | {s.CELERY_TASK_DEFAULT_QUEUE}),
    "clusters": s.INITSCOPE_CLUSTERS, "database": s.DATABASES["default"], "redis": s.REDIS_URL,
    "broker": s.CELERY_BROKER_URL, "debug": s.DEBUG, "asgi": s.ASGI_APPLICATION,
}, default=str))
"""
    env["DJANGO_SETTINGS_MODULE"] = "dashboard.settings"
    out = subprocess.run([sys.executable, "-c", program], cwd=ROOT, env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def _environment(service: dict) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {k: "" if v is None else str(v) for k, v in env.items()}


def _mounts(service: dict) -> dict[str, bool]:
    """Target -> read-only, from v1's `src:dst[:mode]` strings or v2's long syntax."""
    out = {}
    for volume in service.get("volumes", []):
        if isinstance(volume, str):
            parts = volume.split(":")
            out[parts[1]] = len(parts) > 2 and "ro" in parts[2].split(",")
        else:
            out[volume["target"]] = bool(volume.get("read_only"))
    return out


def _tmpfs(service: dict) -> list[str]:
    tmpfs = service.get("tmpfs", [])
    return [tmpfs] if isinstance(tmpfs, str) else list(tmpfs)


def _option(command: list[str], *names: str) -> str | None:
    for i, word in enumerate(command):
        for name in names:
            if word == name:
                return command[i + 1]
            if word.startswith(name + "="):
                return word.split("=", 1)[1]
    return None


def _read_by_settings() -> set[str]:
    return {name for path in (ROOT / "dashboard").glob("*.py") for name in READERS.findall(path.read_text())}


def test_every_app_service_reads_the_same_environment_from_the_one_env_file(rendered):
    services = rendered["services"]
    envs = [_environment(services[name]) for name in APP_SERVICES]
    assert all(env == envs[0] for env in envs)
    assert envs[0]["INITSCOPE_CLUSTERS"] == ",".join(CLUSTERS), ".env reaches the containers"
    assert envs[0]["SECRET_KEY"] == "compose-check-key"


def test_the_environment_names_only_variables_the_code_reads_and_every_required_one(rendered):
    env = _environment(rendered["services"]["web"])
    assert set(env) - _read_by_settings() - READ_BY_LIBRARIES == set(), "variables nothing reads"
    for name in ("SECRET_KEY", "DATABASE_URL", "REDIS_URL", "KUBECONFIG", "INITSCOPE_CLUSTERS"):
        assert env.get(name), name


def test_database_and_redis_point_at_the_compose_services_with_their_credentials(rendered, code_settings):
    services = rendered["services"]
    database = code_settings["database"]
    postgres = _environment(services["postgres"])
    assert database["ENGINE"] == "django.db.backends.postgresql"
    assert (database["HOST"], int(database["PORT"])) == ("postgres", 5432)
    assert (database["USER"], database["PASSWORD"], database["NAME"]) == (
        postgres["POSTGRES_USER"], postgres["POSTGRES_PASSWORD"], postgres["POSTGRES_DB"]
    )  # fmt: skip
    assert urlparse(code_settings["redis"]).hostname == "redis" and "redis" in services
    assert code_settings["broker"] == code_settings["redis"]
    assert code_settings["debug"] is False


def test_the_kubeconfig_is_mounted_read_only_where_kubeconfig_points(rendered):
    for name in APP_SERVICES:
        service = rendered["services"][name]
        mounts = _mounts(service)
        for path in _environment(service)["KUBECONFIG"].split(":"):
            under = [target for target in mounts if path.startswith(target.rstrip("/") + "/")]
            assert under, (name, path, "not under a mount")
            assert all(mounts[target] for target in under), (name, path, "mounted writable")


def test_the_worker_consumes_every_queue_the_tasks_are_routed_to_with_the_pool_the_watchers_need(
    rendered, code_settings
):
    command = rendered["services"]["worker"]["command"]
    assert command[:4] == ["celery", "-A", "dashboard", "worker"]
    assert sorted(_option(command, "-Q", "--queues").split(",")) == code_settings["queues"]
    # A watch window holds its thread for minutes: threads, one per cluster and some for the short tasks.
    assert (_option(command, "-P", "--pool") or code_settings["pool"]) == "threads"
    concurrency = int(_option(command, "-c", "--concurrency") or code_settings["concurrency"])
    assert code_settings["clusters"] == CLUSTERS
    assert concurrency >= len(CLUSTERS) + 1


def test_web_serves_the_asgi_application_on_the_port_its_health_check_and_publication_use(
    rendered, code_settings
):
    web = rendered["services"]["web"]
    command = web["command"]
    assert command[0] == "daphne" and _option(command, "--bind", "-b") == "0.0.0.0"
    module, attribute = code_settings["asgi"].rsplit(".", 1)
    assert command[-1] == f"{module}:{attribute}"
    port = _option(command, "--port", "-p")
    check = " ".join(web["healthcheck"]["test"])
    assert f"http://127.0.0.1:{port}/readyz" in check
    published = web["ports"][0]
    target = published["target"] if isinstance(published, dict) else published.split(":")[-1]
    assert str(target) == port


def test_beat_is_one_process_writing_its_schedule_where_it_may_write(rendered):
    beat = rendered["services"]["beat"]
    assert beat["command"][:4] == ["celery", "-A", "dashboard", "beat"]
    schedule = _option(beat["command"], "-s", "--schedule")
    assert schedule and any(schedule.startswith(t.rstrip("/") + "/") for t in _tmpfs(beat))
    assert "deploy" not in beat and "scale" not in beat, "exactly one beat"


def test_the_app_runs_on_a_read_only_filesystem_with_a_writable_tmp(rendered):
    for name in APP_SERVICES:
        service = rendered["services"][name]
        assert service.get("read_only") is True, name
        assert "/tmp" in _tmpfs(service), name


def test_every_long_running_service_has_a_health_check_and_starts_after_what_it_needs(rendered):
    services = rendered["services"]
    for name, service in services.items():
        if name == "migrate":
            continue
        check = service.get("healthcheck", {})
        assert check.get("test") and check["test"] != ["NONE"] and not check.get("disable"), name
    for name in LONG_RUNNING:
        depends = services[name]["depends_on"]
        assert depends["postgres"]["condition"] == "service_healthy", name
        assert depends["redis"]["condition"] == "service_healthy", name
        assert depends["migrate"]["condition"] == "service_completed_successfully", name
        assert services[name].get("restart") == "unless-stopped", name


def test_migrate_is_a_one_shot_after_postgres(rendered):
    migrate = rendered["services"]["migrate"]
    assert migrate["command"] == ["python", "manage.py", "migrate", "--noinput"]
    assert migrate["restart"] == "no"
    assert set(migrate["depends_on"]) == {"postgres"}
    assert migrate["depends_on"]["postgres"]["condition"] == "service_healthy"


def test_every_health_check_command_names_a_real_endpoint_or_tool(rendered):
    worker = " ".join(rendered["services"]["worker"]["healthcheck"]["test"])
    assert shlex.split(worker.split(" ", 1)[1])[:4] == ["celery", "-A", "dashboard", "inspect"]
    from django.urls import resolve

    assert resolve("/readyz").url_name == "readyz"


def test_a_missing_secret_key_is_named(tmp_path):
    out = _render(tmp_path, [])  # .env.example's SECRET_KEY is empty
    assert out.returncode != 0 and "SECRET_KEY" in out.stderr


def test_the_image_holds_every_package_the_settings_install():
    """`build: .` builds the Dockerfile: every local app and package must be copied into it."""
    dockerfile = (ROOT / "Dockerfile").read_text()
    copied = set(re.findall(r"^COPY (\S+) \./\1$", dockerfile, re.M))
    pyproject = (ROOT / "pyproject.toml").read_text()
    packages = {name.rstrip("*") for name in re.findall(r'"(\w+)\*"', pyproject)}
    local = {app.split(".")[0] for app in settings.INSTALLED_APPS if (ROOT / app.split(".")[0]).is_dir()}
    assert packages and local <= packages
    assert packages - copied == set(), "add COPY lines to the Dockerfile"
    assert ".env" in (ROOT / ".dockerignore").read_text().split(), "secrets stay out of the build context"
