"""The JSON API: authentication, filters and pagination (the answers' shapes: test_api_schema.py)."""

from __future__ import annotations

import pytest

from pods.models import Pod
from tests.tokens import api_key

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/api/v1/pods", "/api/v1/pods/some-uid", "/api/schema/"])
def test_anonymous_requests_are_refused(client, path):
    response = client.get(path)
    assert response.status_code in (401, 403)


def test_a_token_authenticates_the_api(client, user, imported_samples):
    token = api_key(user)
    response = client.get("/api/v1/pods", HTTP_AUTHORIZATION=f"Token {token}")
    assert response.status_code == 200
    assert response.json()["count"] == Pod.objects.filter(seen=True).count()


def test_a_wrong_token_is_refused(client, imported_samples):
    response = client.get("/api/v1/pods", HTTP_AUTHORIZATION="Token not-a-token")
    assert response.status_code == 401


def test_pods_are_paginated_with_links(logged_in_client, imported_samples):
    first = logged_in_client.get("/api/v1/pods", {"page_size": 3}).json()
    assert len(first["results"]) == 3
    assert first["previous"] is None and "page=2" in first["next"]
    second = logged_in_client.get(first["next"]).json()
    assert {p["uid"] for p in second["results"]}.isdisjoint({p["uid"] for p in first["results"]})


def test_stuck_pods_come_first_and_filter(logged_in_client, imported_samples):
    everything = logged_in_client.get("/api/v1/pods", {"page_size": 500}).json()["results"]
    flags = [p["stuck"] for p in everything]
    assert flags == sorted(flags, reverse=True), "stuck Pods first"
    stuck = logged_in_client.get("/api/v1/pods", {"stuck": "true", "page_size": 500}).json()["results"]
    assert stuck and all(p["stuck"] and p["diagnosis"] for p in stuck)
    healthy = logged_in_client.get("/api/v1/pods", {"stuck": "false", "page_size": 500}).json()["results"]
    assert len(stuck) + len(healthy) == len(everything)


def test_pods_filter_by_namespace_status_workload_and_search(logged_in_client, imported_samples):
    pod = Pod.objects.filter(seen=True).exclude(owner_name="").first()
    by_ns = logged_in_client.get("/api/v1/pods", {"namespace": pod.namespace}).json()["results"]
    assert by_ns and all(p["namespace"] == pod.namespace for p in by_ns)
    by_status = logged_in_client.get("/api/v1/pods", {"status": pod.status}).json()["results"]
    assert by_status and all(p["status"] == pod.status for p in by_status)
    by_workload = logged_in_client.get(
        "/api/v1/pods", {"workload": f"{pod.owner_kind}/{pod.owner_name}"}
    ).json()
    assert pod.uid in {p["uid"] for p in by_workload["results"]}
    by_search = logged_in_client.get("/api/v1/pods", {"search": pod.name}).json()["results"]
    assert pod.uid in {p["uid"] for p in by_search}
    assert logged_in_client.get("/api/v1/pods", {"cluster": "no-such-cluster"}).json()["count"] == 0


def test_bad_query_parameters_get_a_clear_error(logged_in_client):
    response = logged_in_client.get("/api/v1/pods", {"page_size": 0})
    assert response.status_code == 400
    assert "page_size" in response.json()


def test_pod_document_lists_containers_in_start_order(logged_in_client, imported_samples):
    # The document's shape is the schema's, checked in test_api_schema.py.
    pod = Pod.objects.filter(seen=True, init_container_count__gt=0).first()
    document = logged_in_client.get(f"/api/v1/pods/{pod.uid}").json()
    assert document["uid"] == pod.uid
    assert document["containers"], "containers listed"
    indexes = [c["index"] for c in document["containers"]]
    assert indexes == sorted(indexes)


def test_unknown_pod_is_404(logged_in_client, db):
    assert logged_in_client.get("/api/v1/pods/does-not-exist").status_code == 404
