"""Compare two periods (and the image tags of one) over stored rows, by hand:

Deployment/api in cluster `cmp`, A = 2025-06-01, B = 2025-06-02 (a Pod an hour, 10 a day):
- `migrate` (init): in A every attempt takes 10 s (p95 10 s); in B the first five Pods run image tag 1.0
  (10 s), the last five tag 2.0 (14 s): p50 12 s, p95 14 s: +40 %, a p95 regression.
- `setup` (init, tag 3): 5 s each; in A one Pod fails once (exit 1) before succeeding: 1 of 11 (0.0909),
  in B four Pods do: 4 of 14 (0.2857), +19.48 points, a failure-rate regression.
- `warmup` only in A's first Pod, `seed` only in B's first Pod.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client

from pods.models import Attempt, Cluster, Container, Pod
from pods.reports.compare import FIELDS
from pods.reports.documents import csv_cell
from tests.tokens import api_key

pytestmark = pytest.mark.django_db

DAY_A = datetime(2025, 6, 1, tzinfo=UTC)
DAY_B = datetime(2025, 6, 2, tzinfo=UTC)
URL = "/api/v1/reports/init-containers/compare"
PERIODS = {
    "source": "raw",
    "a_since": "2025-06-01T00:00:00Z",
    "a_until": "2025-06-02T00:00:00Z",
    "b_since": "2025-06-02T00:00:00Z",
    "b_until": "2025-06-03T00:00:00Z",
}


def _container(pod, name, index, image):
    return Container.objects.create(pod=pod, name=name, kind="init", index=index, image=image)


def _attempt(container, number, start, seconds, code=0):
    Attempt.objects.create(
        pod=container.pod, container=container, number=number, started_at=start,
        finished_at=start + timedelta(seconds=seconds), exit_code=code,
        reason="Completed" if code == 0 else "Error",
    )  # fmt: skip


def build():
    cluster = Cluster.objects.create(name="cmp")
    for day, label in ((DAY_A, "a"), (DAY_B, "b")):
        for n in range(10):
            created = day + timedelta(hours=n)
            pod = Pod.objects.create(
                cluster=cluster, uid=f"{label}{n}", namespace="shop", name=f"api-{label}{n}", seen=True,
                owner_kind="Deployment", owner_name="api", created_at=created, updated_at=created,
            )  # fmt: skip
            setup = _container(pod, "setup", 0, "acme/setup:3")
            fails = (label == "a" and n == 0) or (label == "b" and n < 4)
            start = created + timedelta(seconds=1)
            if fails:
                _attempt(setup, 0, start, 5, code=1)
                start += timedelta(seconds=6)
            _attempt(setup, 1 if fails else 0, start, 5)
            tag = "2.0" if label == "b" and n >= 5 else "1.0"
            migrate = _container(pod, "migrate", 1, f"registry.local:5000/acme/migrate:{tag}")
            _attempt(migrate, 0, start + timedelta(seconds=6), 14 if tag == "2.0" else 10)
            if n == 0:
                extra = _container(pod, "warmup" if label == "a" else "seed", 2, "busybox")
                _attempt(extra, 0, start + timedelta(seconds=30), 1)
    return cluster


@pytest.fixture
def stored(db):
    return build()


def _by_container(document):
    return {r["container"]: r for r in document["rows"]}


def test_two_periods_side_by_side_with_the_hand_computed_changes(stored, logged_in_client):
    document = logged_in_client.get(URL, PERIODS).json()
    assert document["by"] == "period" and document["regressions"] == 2
    assert document["a"] == {
        "since": "2025-06-01T00:00:00Z",
        "until": "2025-06-02T00:00:00Z",
        "source": "raw",
    }
    assert (document["threshold_p95"], document["threshold_failure_rate"], document["min_attempts"]) == (
        20.0, 5.0, 10,
    )  # fmt: skip
    rows = _by_container(document)
    assert [r["container"] for r in document["rows"]] == ["migrate", "setup", "seed", "warmup"]
    m = rows["migrate"]
    assert (m["a_duration_p50"], m["b_duration_p50"], m["duration_p50_change"]) == (10.0, 12.0, 2.0)
    assert (m["a_duration_p95"], m["b_duration_p95"]) == (10.0, 14.0)
    assert (m["duration_p95_change"], m["duration_p95_change_pct"]) == (4.0, 40.0)
    assert (m["duration_max_change_pct"], m["failure_rate_change_points"]) == (40.0, 0.0)
    assert (m["regression_p95"], m["regression_failure_rate"], m["regression"]) == (True, False, True)
    s = rows["setup"]
    assert (s["a_attempts"], s["a_failed"], s["a_failure_rate"]) == (11, 1, 0.0909)
    assert (s["b_attempts"], s["b_failed"], s["b_failure_rate"]) == (14, 4, 0.2857)
    assert (s["attempts_change"], s["failure_rate_change_points"]) == (3, 19.48)
    assert (s["regression_p95"], s["regression_failure_rate"]) == (False, True)
    assert s["duration_p95_change_pct"] == 0.0
    assert (rows["warmup"]["presence"], rows["seed"]["presence"]) == ("a", "b")
    assert rows["warmup"]["b_attempts"] is None and not rows["seed"]["regression"]
    assert all(r["a_image"] is None and r["b_image"] is None for r in document["rows"])


@pytest.mark.parametrize(
    ("params", "migrate", "setup"),
    [
        ({"threshold_p95": "40"}, False, True),  # +40 % exactly is not more than 40 %
        ({"threshold_p95": "39.9"}, True, True),
        ({"threshold_failure_rate": "19.48"}, True, False),  # +19.48 points exactly
        ({"threshold_failure_rate": "19.47"}, True, True),
        ({"min_attempts": "11"}, False, True),  # migrate has 10 attempts a side, setup 11 and 14
        ({"min_attempts": "12"}, False, False),
    ],
)
def test_the_thresholds_at_their_boundaries(stored, logged_in_client, params, migrate, setup):
    rows = _by_container(logged_in_client.get(URL, {**PERIODS, **params}).json())
    assert (rows["migrate"]["regression"], rows["setup"]["regression"]) == (migrate, setup)


def test_by_image_tag_within_one_period(stored, logged_in_client):
    params = {"by": "image", "since": "2025-06-02", "until": "2025-06-03", "workload": "Deployment/api"}
    document = logged_in_client.get(URL, params).json()
    assert document["by"] == "image" and document["a"] == document["b"]
    pairs = {(r["container"], r["a_image"], r["b_image"]): r for r in document["rows"]}
    assert set(pairs) == {("migrate", "1.0", "2.0"), ("setup", None, "3"), ("seed", None, "latest")}
    m = pairs[("migrate", "1.0", "2.0")]
    assert (m["a_attempts"], m["b_attempts"], m["a_pods"], m["b_pods"]) == (5, 5, 5, 5)
    assert (m["a_duration_p95"], m["b_duration_p95"], m["duration_p95_change_pct"]) == (10.0, 14.0, 40.0)
    assert not m["regression"], "5 attempts a side: fewer than the minimum of 10"
    flagged = logged_in_client.get(URL, {**params, "min_attempts": "5"}).json()
    assert [(r["container"], r["regression_p95"]) for r in flagged["rows"]][0] == ("migrate", True)
    setup = pairs[("setup", None, "3")]
    assert (setup["presence"], setup["b_attempts"], setup["b_failed"]) == ("b", 14, 4)


def test_the_defaults_and_the_filters(stored, logged_in_client):
    only_b = logged_in_client.get(
        URL, {"b_since": "2025-06-02", "b_until": "2025-06-03", "source": "raw"}
    ).json()
    assert only_b["a"]["since"] == "2025-06-01T00:00:00Z" and only_b["a"]["until"] == "2025-06-02T00:00:00Z"
    assert only_b["rows"] == logged_in_client.get(URL, PERIODS).json()["rows"]
    setup = logged_in_client.get(URL, {**PERIODS, "container": "setup", "cluster": "cmp"}).json()
    assert [r["container"] for r in setup["rows"]] == ["setup"]
    assert logged_in_client.get(URL, {**PERIODS, "workload": "StatefulSet/api"}).json()["rows"] == []


def test_csv_has_the_same_rows_as_json(stored, logged_in_client):
    document = logged_in_client.get(URL, PERIODS).json()
    response = logged_in_client.get(URL, {**PERIODS, "format": "csv"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    text = response.content.decode()
    assert text.splitlines()[0].split(",") == list(FIELDS)
    parsed = list(csv.DictReader(io.StringIO(text)))
    assert parsed == [{k: csv_cell(v) for k, v in row.items()} for row in document["rows"]]
    assert parsed[0]["regression"] == "true" and parsed[-1]["b_attempts"] == ""


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"a_since": "yesterday"}, "a_since"),
        ({"b_until": "-7x"}, "b_until"),
        ({"a_since": "2025-06-02", "a_until": "2025-06-01"}, "a_since"),
        ({"by": "image", "since": "soon"}, "since"),
        ({"threshold_p95": "-1"}, "threshold_p95"),
        ({"min_attempts": "0"}, "min_attempts"),
        ({"by": "tag"}, "by"),
    ],
)
def test_bad_parameters_are_named(stored, logged_in_client, params, field):
    response = logged_in_client.get(URL, params)
    assert response.status_code == 400 and list(response.json()) == [field]


def test_the_compare_api_needs_a_session_or_a_token(stored, client, user):
    assert client.get(URL, PERIODS).status_code == 401
    assert client.get(URL, {**PERIODS, "format": "csv"}).status_code == 401
    token = api_key(user)
    assert client.get(URL, PERIODS, HTTP_AUTHORIZATION=f"Token {token}").status_code == 200


def test_compare_answers_match_the_schema(stored, api, anonymous):
    document = api.get(URL, PERIODS).json()
    assert document["regressions"] == 2 and {r["presence"] for r in document["rows"]} == {"both", "a", "b"}
    by_image = api.get(URL, {"by": "image", "since": "2025-06-02", "until": "2025-06-03"}).json()
    assert {r["b_image"] for r in by_image["rows"]} == {"2.0", "3", "latest"}
    rolled = api.get(URL, {**PERIODS, "source": "rollup"}).json()  # sides from rollups say their bound
    assert rolled["a"]["source"] == "rollup" and rolled["a"]["bound"]
    api.get(URL, {"a_since": "yesterday"})
    anonymous.get(URL)
    api.assert_met_every_documented_answer(URL)


# ------------------------------------------------------------------------------------------------ page


def test_the_page_marks_regressions_in_words_and_links_the_exports(stored, logged_in_client):
    response = logged_in_client.get("/reports/compare/", PERIODS)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('data-regression="1"') == 2 and html.count('data-regression="0"') == 2
    assert html.count("tag--regression") == 2 and "p95 +40.0 %" in html and "+19.5 points" in html
    assert "only in A" in html and "only in B" in html
    assert f"{URL}?" in html and "format=csv" in html
    around = {"at": "2025-06-02T00:00:00Z", "span": "24h", "source": "raw"}
    around = logged_in_client.get("/reports/compare/", around)
    assert around.context["document"]["a"]["since"] == "2025-06-01T00:00:00Z"
    assert around.context["document"]["b"]["until"] == "2025-06-03T00:00:00Z"
    assert around.context["document"]["regressions"] == 2
    bad = logged_in_client.get("/reports/compare/", {"a_since": "yesterday"})
    assert bad.status_code == 200 and "a_since" in bad.content.decode() and bad.context["document"] is None


def test_the_page_needs_a_login_and_escapes_cluster_strings(stored, logged_in_client):
    assert Client().get("/reports/compare/").status_code == 302
    Container.objects.filter(name="seed").update(name="<script>alert(1)</script>")
    html = logged_in_client.get("/reports/compare/", PERIODS).content.decode()
    assert "seed" not in html
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_the_row_serializer_declares_the_compare_fields_in_csv_order():
    from pods.api.compare import CompareRowSerializer

    assert tuple(CompareRowSerializer().fields) == FIELDS
