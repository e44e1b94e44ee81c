"""Container environment values and Secret contents never reach the database."""

from __future__ import annotations

import pytest
from django.db import connection

from pods.ingest import WatchItem, cluster_get_or_create, ingest_batch
from tests.builders import pod

pytestmark = pytest.mark.django_db

SECRET_VALUE = "hunter2-do-not-store-8f3a"


def _pod_with_secrets() -> dict:
    """The builders' Pod with the secret value in every place a Pod can carry it."""
    obj = pod(rv=100, init=["migrate"], apps=["api"])
    for container in obj["spec"]["initContainers"] + obj["spec"]["containers"]:
        container["env"] = [
            {"name": "DB_PASSWORD", "value": SECRET_VALUE},
            {"name": "TOKEN", "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}}},
        ]
        container["envFrom"] = [{"secretRef": {"name": "all-the-secrets"}}]
        container["args"] = ["--password", SECRET_VALUE]
        container["command"] = ["sh", "-c", f"run --token {SECRET_VALUE}"]
        # probes are kept in short (type, port, path, timings): never an exec command, HTTP headers or
        # host, nor the query string of a path
        container["livenessProbe"] = {
            "httpGet": {
                "path": f"/healthz?token={SECRET_VALUE}",
                "port": 8080,
                "host": f"{SECRET_VALUE}.internal",
                "httpHeaders": [{"name": "Authorization", "value": f"Bearer {SECRET_VALUE}"}],
            }
        }
        container["readinessProbe"] = {"exec": {"command": ["check", "--password", SECRET_VALUE]}}
        container["startupProbe"] = {"grpc": {"port": 9090}}
        container["lifecycle"] = {"preStop": {"exec": {"command": ["stop", SECRET_VALUE]}}}
    obj["spec"]["volumes"].append({"name": "creds", "secret": {"secretName": "db"}})
    obj["spec"]["volumes"].append(
        {"name": "cfg", "configMap": {"name": "settings", "items": [{"key": SECRET_VALUE, "path": "k"}]}}
    )
    obj["spec"]["volumes"].append(
        {
            "name": "proj",
            "projected": {"sources": [{"secret": {"name": "s", "items": [{"key": SECRET_VALUE}]}}]},
        }
    )
    obj["metadata"]["annotations"] = {"kubectl.kubernetes.io/last-applied-configuration": SECRET_VALUE}
    return obj


def test_env_values_args_probe_commands_and_annotations_are_never_stored():
    cluster = cluster_get_or_create(name="secrets")
    result = ingest_batch(
        cluster=cluster, items=[WatchItem(kind="pod", type="ADDED", object=_pod_with_secrets())]
    )
    assert result.rejected == []
    with connection.cursor() as cursor:
        cursor.execute("SELECT table_name FROM information_schema.tables WHERE table_name LIKE 'pods_%'")
        tables = [row[0] for row in cursor.fetchall()]
        assert tables
        for table in tables:
            cursor.execute(f'SELECT count(*) FROM "{table}" t WHERE t::text LIKE %s', [f"%{SECRET_VALUE}%"])
            assert cursor.fetchone()[0] == 0, f"the secret value leaked into {table}"
        # `t::text` shows a bytea column (the Pod's stored state) as hex: read those as UTF-8 text too
        cursor.execute(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_name LIKE 'pods_%%' AND data_type = 'bytea'"
        )
        binary = cursor.fetchall()
        assert ("pods_pod", "state") in binary
        for table, column in binary:
            cursor.execute(
                f'SELECT count(*) FROM "{table}" WHERE convert_from("{column}", \'UTF8\') LIKE %s',
                [f"%{SECRET_VALUE}%"],
            )
            assert cursor.fetchone()[0] == 0, f"the secret value leaked into {table}.{column}"
        # not vacuously: the state holds the describe facts, names of the referenced objects only
        cursor.execute(
            "SELECT count(*) FROM pods_pod WHERE convert_from(state, 'UTF8') LIKE %s", ["%all-the-secrets%"]
        )
        assert cursor.fetchone()[0] == 1
