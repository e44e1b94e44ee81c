"""The Pod list's words and order (issue 11, items 7-10), against PostgreSQL with the bundled samples
imported through the real ingest: stuck, then failed, then the rest; the Failed filter on the page, the
API and the live subscription; search in container names and diagnoses; STATUS by prefix in any case;
kubectl's READY column; the one time convention."""

from __future__ import annotations

from django.urls import reverse

from pods import selectors
from pods.models import Pod
from pods.selectors import PodFilters, failed_q, pod_queryset
from pods.timeline import is_failed
from pods.timeline.codec import decode_state

FAILED = {"reindex-catalog-d7cgh", "export-orders-7grs9"}  # samples 07 (init failed, Never) and 13 (deadline)


def _rank(row: dict) -> int:
    return 0 if row["stuck"] else 1 if row["failed"] else 2


def test_failed_in_sql_is_the_engines_verdict_on_every_sample(imported_samples):
    pods = list(Pod.objects.filter(seen=True))
    assert pods
    for pod in pods:
        assert pod.failed is is_failed(decode_state(pod.state)), pod.name
    assert {p.name for p in Pod.objects.filter(failed_q())} == FAILED


def test_the_api_lists_stuck_then_failed_then_the_rest(logged_in_client, imported_samples):
    rows = logged_in_client.get("/api/v1/pods", {"page_size": 100}).json()["results"]
    ranks = [_rank(row) for row in rows]
    assert ranks == sorted(ranks) and set(ranks) == {0, 1, 2}
    assert {row["name"] for row in rows if row["failed"]} == FAILED
    assert all(not row["stuck"] for row in rows if row["failed"])


def test_the_failed_filter_of_the_api(logged_in_client, imported_samples):
    failed = logged_in_client.get("/api/v1/pods", {"failed": "true"}).json()
    assert {row["name"] for row in failed["results"]} == FAILED and failed["count"] == len(FAILED)
    others = logged_in_client.get("/api/v1/pods", {"failed": "false", "page_size": 100}).json()["results"]
    assert not FAILED & {row["name"] for row in others}


def test_ready_is_kubectls_column(logged_in_client, imported_samples):
    rows = logged_in_client.get("/api/v1/pods", {"page_size": 100}).json()["results"]
    by_name = {(row["name"], row["status"]): row["ready"] for row in rows}
    assert by_name[("api-92fckmjlkf-pkqsq", "Running")] == "1/1"
    assert by_name[("orders-64kf875vj2-bhlzn", "Init:CrashLoopBackOff")] == "0/1"
    # a native sidecar counts in READY's total (kubectl: app containers + restartable init containers)
    assert by_name[("ledger-n6hf72ndg8-46xqm", "Init:CrashLoopBackOff")].endswith("/2")


def test_the_status_filter_matches_by_prefix_in_any_case(imported_samples):
    statuses = {p.status for p in pod_queryset(filters=PodFilters(status="init:"))}
    assert statuses and all(s.startswith("Init:") for s in statuses)
    assert {"Init:CrashLoopBackOff", "Init:Error", "Init:0/2"} <= statuses
    assert {p.status for p in pod_queryset(filters=PodFilters(status="running, COMPLETED"))} == {
        "Running",
        "Completed",
    }
    exact = pod_queryset(filters=PodFilters(status="Init:ImagePullBackOff"))
    assert [p.name for p in exact] == ["search-xdvgrqcc7r-bjtgm"]


def test_search_finds_container_names_and_diagnosis_text(logged_in_client, imported_samples):
    by_container = {p.name for p in pod_queryset(filters=PodFilters(search="fetch-index"))}
    assert by_container == {"search-xdvgrqcc7r-bjtgm"}
    by_diagnosis = {p.name for p in pod_queryset(filters=PodFilters(search="activeDeadlineSeconds"))}
    assert by_diagnosis == {"export-orders-7grs9"}
    api = logged_in_client.get("/api/v1/pods", {"search": "WARM-CACHE"}).json()["results"]
    assert [row["name"] for row in api] == ["api-92fckmjlkf-pkqsq"]


def test_the_page_has_ready_a_failed_filter_and_failed_rows(logged_in_client, imported_samples):
    content = logged_in_client.get(reverse("pods:list")).content.decode()
    assert '<input id="f-failed" type="checkbox" name="failed" value="1"' in content
    assert "2 failed</strong>" in content and 'data-field="ready"' in content
    assert '<th scope="col" class="num" title="Ready containers' in content
    failed = logged_in_client.get(reverse("pods:list"), {"failed": "1"}).content.decode()
    assert failed.count('class="is-failed') == len(FAILED)
    assert all(name in failed for name in FAILED) and "api-92fckmjlkf-pkqsq" not in failed
    assert 'id="f-failed" type="checkbox" name="failed" value="1" checked' in failed
    fragment = logged_in_client.get(reverse("pods:list-fragment"), {"q": "fetch-index"}).content.decode()
    assert "search-xdvgrqcc7r-bjtgm" in fragment and "api-92fckmjlkf-pkqsq" not in fragment


def test_the_list_rows_say_how_finished_pods_finished(imported_samples):
    steps = {p.name: p.step for p in Pod.objects.filter(name__in=FAILED)}
    assert steps == {"reindex-catalog-d7cgh": "failed", "export-orders-7grs9": "failed: deadline exceeded"}
    assert Pod.objects.get(name="db-0", status="Completed").step in ("completed", "deleted")


def test_the_pages_state_the_time_convention(logged_in_client, imported_samples):
    content = logged_in_client.get(reverse("pods:list")).content.decode()
    assert "data-time-legend" in content and "<span data-time-zone>UTC</span>" in content
    clusters = logged_in_client.get(reverse("pods:clusters")).content.decode()
    assert "minutes ago" not in clusters and "0\xa0minutes" not in clusters


def test_list_counts_failed_under_the_other_filters(imported_samples):
    listed = selectors.pod_list_page(filters=PodFilters(namespace="batch"), size=50)
    assert listed.failed_count == sum(1 for row in listed.rows if row["failed"]) == len(FAILED)
