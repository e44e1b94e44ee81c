"""The reports over raw rows: the hand-computed table (`report_table`), SQL and Python agreeing, the API
(JSON and CSV agreeing, filters, bad periods, auth) and `manage.py report`."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import orjson
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from pods import reports
from pods.reports import queries
from pods.reports.period import Period
from tests.integration import report_table as table
from tests.tokens import api_key

pytestmark = pytest.mark.django_db

PERIOD = Period(table.SINCE, table.UNTIL)
EVERYTHING = Period(datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC))
# The table is of 2025, before the raw horizon: these tests ask for raw rows (test_rollups.py: the switch).
PARAMS = {"since": "2025-06-01T00:00:00Z", "until": "2025-06-02", "source": "raw"}
ENGINES = ["python", "sql"] if connection.vendor == "postgresql" else ["python"]


@pytest.fixture
def stored(db):
    return table.build()


def _rows(engine, name, period=PERIOD, **filters):
    return queries.ROWS[engine](name, reports.ReportFilters(**filters), period)


@pytest.mark.parametrize("engine", ENGINES)
def test_the_reports_say_what_the_hand_computed_table_says(stored, engine):
    assert _rows(engine, reports.INIT_CONTAINERS) == table.INIT_CONTAINERS
    assert _rows(engine, reports.NODES) == table.NODES
    assert _rows(engine, reports.POD_STARTUP) == table.POD_STARTUP


@pytest.mark.parametrize("engine", ENGINES)
def test_late_details_move_an_attempt_into_the_period_it_started_in(stored, engine):
    assert all(r["workload"] != "worker" for r in _rows(engine, reports.INIT_CONTAINERS))
    table.late_details()
    rows = _rows(engine, reports.INIT_CONTAINERS, workload="Deployment/worker")
    assert rows == [table.WORKER_AFTER_LATE_DETAILS]


@pytest.mark.parametrize("engine", ENGINES)
def test_filters(stored, engine):
    migrate = _rows(engine, reports.INIT_CONTAINERS, container="migrate", workload="api", namespace="shop")
    assert migrate == table.INIT_CONTAINERS[:1]
    assert _rows(engine, reports.INIT_CONTAINERS, workload="Pod/debug") == table.INIT_CONTAINERS[2:]
    assert _rows(engine, reports.INIT_CONTAINERS, workload="debug") == table.INIT_CONTAINERS[2:]
    assert _rows(engine, reports.INIT_CONTAINERS, workload="StatefulSet/api") == []
    assert _rows(engine, reports.NODES, cluster="other") == []
    startup = _rows(engine, reports.POD_STARTUP, container="wait")
    assert startup == table.POD_STARTUP[1:]
    # The period boundary: the attempt of `api-2` started before midnight, counted before, not after.
    next_day = Period(table.UNTIL, datetime(2025, 6, 3, tzinfo=UTC))
    after = _rows(engine, reports.INIT_CONTAINERS, next_day, container="migrate")
    assert [(r["pods"], r["attempts"], r["failed"], r["duration_max"]) for r in after] == [(1, 1, 1, 10.0)]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQL percentiles need PostgreSQL")
@pytest.mark.parametrize("name", reports.REPORTS)
def test_sql_and_python_agree_on_the_samples_and_the_table(imported_samples, name):
    table.build()
    table.late_details()
    for period in (EVERYTHING, PERIOD):
        python, sql = _rows("python", name, period), _rows("sql", name, period)
        assert sql == python
    assert python, "the samples have rows for this report"
    if name == reports.INIT_CONTAINERS:
        every = _rows("sql", name, EVERYTHING)
        assert {r["kind"] for r in every} == {"init", "sidecar"}
        assert any(r["top_reasons"] for r in every) and any(r["duration_p95"] for r in every)


# ------------------------------------------------------------------------------------------------ API


def _csv_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def _as_csv(row: dict) -> dict[str, str]:
    return {k: reports.documents.csv_cell(v) for k, v in row.items()}


@pytest.mark.parametrize("name", reports.REPORTS)
def test_the_api_answers_each_report_as_json_and_the_same_rows_as_csv(stored, logged_in_client, name):
    url = f"/api/v1/reports/{name}"
    document = logged_in_client.get(url, PARAMS).json()
    expected = {
        "init-containers": table.INIT_CONTAINERS,
        "pod-startup": table.POD_STARTUP,
        "nodes": table.NODES,
    }
    assert document == {
        "since": "2025-06-01T00:00:00Z",
        "until": "2025-06-02T00:00:00Z",
        "source": "raw",
        "rows": expected[name],
    }
    response = logged_in_client.get(url, {**PARAMS, "format": "csv"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    text = response.content.decode()
    assert text.splitlines()[0].split(",") == list(reports.FIELDS[name])
    assert _csv_rows(text) == [_as_csv(row) for row in document["rows"]]
    if name == reports.INIT_CONTAINERS:
        reasons = orjson.loads(_csv_rows(text)[0]["top_reasons"])
        assert reasons == document["rows"][0]["top_reasons"]
    assert logged_in_client.get(url, {**PARAMS, "format": "json"}).json() == document


def test_the_api_reads_relative_times_and_defaults(stored, logged_in_client):
    before = datetime.now(UTC)
    document = logged_in_client.get("/api/v1/reports/nodes", {"since": "-12h"}).json()
    since, until = (datetime.fromisoformat(document[k].replace("Z", "+00:00")) for k in ("since", "until"))
    assert before <= until <= datetime.now(UTC) and (until - since).total_seconds() == pytest.approx(
        43200, abs=5
    )
    document = logged_in_client.get("/api/v1/reports/nodes").json()
    assert document["rows"] == []  # the last 7 days: the table is of 2025
    assert document["source"] == "raw"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"since": "yesterday"}, "since"),
        ({"until": "-7x"}, "until"),
        ({"since": "2025-06-02", "until": "2025-06-01"}, "since"),
        ({"format": "xml"}, "format"),
    ],
)
def test_the_api_refuses_bad_parameters_clearly(stored, logged_in_client, params, field):
    response = logged_in_client.get("/api/v1/reports/init-containers", params)
    assert response.status_code == 400
    body = response.json()
    assert list(body) == [field] and body[field][0]
    if field != "format":  # asked as CSV, the error is still JSON
        response = logged_in_client.get("/api/v1/reports/init-containers", {**params, "format": "csv"})
        assert response.status_code == 400 and response["Content-Type"].startswith("application/json")


def test_the_api_needs_a_session_or_a_token(stored, client, user):
    assert client.get("/api/v1/reports/nodes", PARAMS).status_code == 401
    assert client.get("/api/v1/reports/nodes", {**PARAMS, "format": "csv"}).status_code == 401
    token = api_key(user)
    response = client.get("/api/v1/reports/nodes", PARAMS, HTTP_AUTHORIZATION=f"Token {token}")
    assert response.status_code == 200 and response.json()["rows"] == table.NODES


def test_the_row_serializers_declare_the_report_fields_in_csv_order():
    from pods.api.reports import ROW_SERIALIZERS

    for name, serializer in ROW_SERIALIZERS.items():
        assert tuple(serializer().fields) == reports.FIELDS[name]


# ------------------------------------------------------------------------------------------------ CLI


def _run(*args: str) -> str:
    out = io.StringIO()
    call_command("report", *args, stdout=out)
    return out.getvalue()


@pytest.mark.parametrize("name", reports.REPORTS)
def test_the_cli_prints_the_api_document_the_csv_and_a_table(stored, logged_in_client, name):
    period = ["--since", PARAMS["since"], "--until", PARAMS["until"], "--source", "raw"]
    api = logged_in_client.get(f"/api/v1/reports/{name}", PARAMS)
    assert orjson.loads(_run(name, *period, "--format", "json")) == api.json()
    api_csv = logged_in_client.get(f"/api/v1/reports/{name}", {**PARAMS, "format": "csv"}).content.decode()
    assert _run(name, *period, "--format", "csv") == api_csv
    text = _run(name, *period)
    assert "source: raw" in text and "c1" in text


def test_the_cli_table_shows_the_numbers_and_refuses_a_bad_period(stored):
    text = _run("init-containers", "--since", "2025-06-01", "--until", "2025-06-02", "--container", "migrate",
                "--source", "raw")  # fmt: skip
    assert "migrate" in text and "66.7%" in text and "Error(1) x2" in text and "proxy" not in text
    assert "no rows" in _run("nodes", "--cluster", "nope")
    with pytest.raises(CommandError, match="--since"):
        _run("nodes", "--since", "last week")
