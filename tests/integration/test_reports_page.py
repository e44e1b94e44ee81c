"""The Reports page (`/reports/`) and a row's page (`/reports/row/`) on the hand-computed table
(`report_table`): every field of the rows, sorting, exports, the definitions in the words of
docs/reports.md, escaping, the trend's data and the links to the Pods' waterfalls."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from django.conf import settings

from pods.models import Attempt
from pods.reports import help
from tests.integration import report_table as table

pytestmark = pytest.mark.django_db

# The table is of 2025, before the raw horizon: the page is asked for raw rows (a row's page always is).
DAY = {"since": "2025-06-01T00:00:00Z", "until": "2025-06-02", "source": "raw"}
ROW = {"cluster": "c1", "namespace": "shop", "workload": "Deployment/api", "container": "migrate", **DAY}
XSS = '<script>window.__xss = 1</script><img src=x onerror="window.__xss = 2">'


@pytest.fixture
def stored(db):
    return table.build()


def _cells(html: str, field: str) -> list[str]:
    return re.findall(rf'data-field="{field}">([^<]*)<', html)


def test_the_page_shows_every_field_of_the_rows_formatted_once(stored, logged_in_client):
    html = logged_in_client.get("/reports/", DAY).content.decode()
    assert _cells(html, "attempts") == ["9", "4", "1"]
    assert _cells(html, "failure_rate") == ["66.7%", "0.0%", "0.0%"]
    # Durations in the project's one format (pods.timeline.times.format_duration).
    assert _cells(html, "duration_p50") == ["20s", "4s", "2s"]
    assert _cells(html, "duration_p99") == ["39s", "4s", "2s"]
    assert _cells(html, "pull_p95") == ["9.7s", "2s", "—"]
    assert _cells(html, "queue_wait_p50") == ["2s", "0.5s", "—"]
    assert _cells(html, "already_present") == ["1", "1", "0"]
    assert "Error (1) ×2" in html and "StartError (128) ×1" in html
    assert html.count('class="kind kind--sidecar"') == 1
    assert "Source: <strong>raw</strong>" in html
    # The exports are the API's, over the same period.
    assert (
        'href="/api/v1/reports/init-containers?since=2025-06-01T00%3A00%3A00Z&amp;until=2025-06-02T00%3A00%3A00Z&amp;source=raw&amp;format=csv"'
        in html
    )
    assert 'aria-current="page">Reports</a>' in html


def test_the_table_sorts_by_any_column_nulls_last(stored, logged_in_client):
    up = logged_in_client.get("/reports/", {**DAY, "sort": "duration_p50"}).content.decode()
    assert _cells(up, "duration_p50") == ["2s", "4s", "20s"]
    down = logged_in_client.get("/reports/", {**DAY, "sort": "-pull_p50"}).content.decode()
    assert _cells(down, "pull_p50") == ["7s", "2s", "—"]
    assert 'aria-sort="descending"' in down
    ignored = logged_in_client.get("/reports/", {**DAY, "sort": "nope"}).content.decode()
    assert _cells(ignored, "attempts") == ["9", "4", "1"]


def test_the_other_reports_are_tabs_of_the_page(stored, logged_in_client):
    startup = logged_in_client.get("/reports/", {**DAY, "report": "pod-startup"}).content.decode()
    assert _cells(startup, "initialized_p95") == ["1m30s", "4s"]
    nodes = logged_in_client.get(
        "/reports/", {**DAY, "report": "nodes", "sort": "-attempts"}
    ).content.decode()
    assert _cells(nodes, "attempts") == ["12", "2"] and "n1" in nodes
    assert help.as_html(help.NODES) in nodes


def test_a_bad_period_is_said_on_the_page(stored, logged_in_client):
    response = logged_in_client.get("/reports/", {"since": "last week"})
    assert response.status_code == 400 and "since: not a time" in response.content.decode()


def test_the_pages_need_a_user(stored, client):
    for url in ("/reports/", "/reports/row/"):
        response = client.get(url, ROW)
        assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_the_definitions_on_the_page_are_the_words_of_the_docs(stored, logged_in_client):
    docs = (Path(settings.BASE_DIR) / "docs" / "reports.md").read_text(encoding="utf-8")
    flat = " ".join(docs.split())
    for text in (help.PERIOD, help.PERCENTILES, help.POD_STARTUP, help.NODES):
        assert " ".join(text.split()) in flat
    for term, text in help.INIT_CONTAINER_FIELDS:
        assert f"| {term} | {text} |" in docs, term
    html = logged_in_client.get("/reports/", DAY).content.decode()
    assert "<strong>An attempt belongs to the period in which it started</strong>" in html
    assert str(help.as_html(help.INIT_CONTAINER_FIELDS[3][1])) in html


def test_a_row_page_holds_its_trend_and_links_to_its_slowest_and_failed_pods(stored, logged_in_client):
    html = logged_in_client.get("/reports/row/", ROW).content.decode()
    trend_id = re.search(r'data-trend="([^"]+)"', html).group(1)
    embedded = re.search(rf'<script id="{trend_id}" type="application/json">(.*?)</script>', html, re.S)
    document = logged_in_client.get("/api/v1/reports/init-containers/trend", ROW).json()
    assert json.loads(embedded.group(1)) == document and document["bucket"] == "hour"
    slowest, failed = html.split('data-pods="slowest"')[1].split('data-pods="failed"')
    assert re.findall(r'href="/pods/(\w+)/\?cluster=c1"', slowest) == ["b", "c", "a"]
    assert re.findall(r'href="/pods/(\w+)/\?cluster=c1"', failed) == ["c", "a"]
    assert "40s" in slowest and "3 restarts" in failed and "StartError (128)" in failed
    fragment = logged_in_client.get("/reports/row/", {**ROW, "fragment": "1", "bucket": "day"})
    text = fragment.content.decode()
    assert text.lstrip().startswith('<div class="report-detail"') and "<html" not in text
    assert '"bucket": "day"' in text


def test_cluster_strings_are_escaped_on_the_pages(stored, logged_in_client):
    Attempt.objects.filter(pod__uid="c", number=1).update(reason=XSS[:128], message=f"failed {XSS}")
    for url, params in (("/reports/", DAY), ("/reports/row/", ROW)):
        html = logged_in_client.get(url, params).content.decode()
        assert "<script>window.__xss" not in html and "<img src=x" not in html
        assert "&lt;script&gt;window.__xss = 1&lt;/script&gt;" in html
