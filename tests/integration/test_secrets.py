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
    obj["spec"]["volumes"].append({"name": "creds", "secret": {"secretName": "db"}})
    obj["metadata"]["annotations"] = {"kubectl.kubernetes.io/last-applied-configuration": SECRET_VALUE}
    return obj


def test_env_values_args_and_annotations_are_never_stored():
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
