"""Production settings: `manage.py check --deploy` is clean with the variables .env.example documents for a
TLS-terminating Ingress, and LOG_FORMAT=json writes one JSON object per line with the request id."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.http import HttpResponse
from django.test import RequestFactory

from dashboard.logs import HEADER, JsonFormatter, RequestIdFilter, RequestIdMiddleware, request_id

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "SECRET_KEY": "a-production-like-key-" + "x7Kq9" * 10,
    "ALLOWED_HOSTS": "initscope.example.org",
    "CSRF_TRUSTED_ORIGINS": "https://initscope.example.org",
    "SECURE_COOKIES": "1",
    "SECURE_PROXY_SSL_HEADER": "1",
    "USE_X_FORWARDED_HOST": "1",
    "SECURE_SSL_REDIRECT": "1",
    "SECURE_HSTS_SECONDS": "31536000",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": "1",
    "SECURE_HSTS_PRELOAD": "1",
    "LOG_FORMAT": "json",
}


def _check_deploy(extra: dict[str, str]) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DEBUG", *PRODUCTION)} | extra
    env["DJANGO_SETTINGS_MODULE"] = "dashboard.settings"
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_check_deploy_is_clean_with_the_documented_production_variables():
    out = _check_deploy(PRODUCTION)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "no issues (0 silenced)" in out.stdout


def test_every_production_variable_is_documented_in_env_example():
    documented = (ROOT / ".env.example").read_text()
    assert [name for name in PRODUCTION if f"\n{name}=" not in documented] == []


@pytest.mark.parametrize("dropped", ["SECURE_COOKIES", "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS"])
def test_check_deploy_warns_without_each_of_them(dropped):
    out = _check_deploy({k: v for k, v in PRODUCTION.items() if k != dropped})
    assert out.returncode != 0 and "security.W0" in out.stdout + out.stderr


def _record(message: str, **extra: object) -> logging.LogRecord:
    record = logging.LogRecord("initscope.test", logging.WARNING, __file__, 1, message, (), None)
    record.__dict__.update(extra)
    return record


def test_the_json_formatter_writes_one_object_per_record_with_the_request_id():
    record = _record('a "quoted"\nline', request_id="abc-1")
    line = JsonFormatter().format(record)
    assert "\n" not in line
    entry = json.loads(line)
    assert entry["message"] == 'a "quoted"\nline'
    assert (entry["level"], entry["logger"], entry["request_id"]) == ("WARNING", "initscope.test", "abc-1")
    assert entry["time"].endswith("+00:00")


def test_the_json_formatter_keeps_the_traceback():
    try:
        raise ValueError("boom")
    except ValueError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    assert "ValueError: boom" in json.loads(JsonFormatter().format(record))["exception"]


def _logged_through_middleware(header: str | None) -> tuple[HttpResponse, dict]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    logger = logging.getLogger("initscope.test.requests")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)

    def view(request):
        logger.info("inside the view")
        return HttpResponse("ok")

    headers = {"HTTP_X_REQUEST_ID": header} if header is not None else {}
    try:
        response = RequestIdMiddleware(view)(RequestFactory().get("/", **headers))
    finally:
        logger.removeHandler(handler)
    return response, json.loads(stream.getvalue())


def test_the_middleware_propagates_a_well_formed_incoming_request_id():
    response, entry = _logged_through_middleware("req-42.a:b")
    assert response[HEADER] == entry["request_id"] == "req-42.a:b"
    assert request_id.get() == "-", "reset after the request"


@pytest.mark.parametrize("header", [None, "", "two words", "x" * 129, "a\r\nSet-Cookie: x=1", "é"])
def test_the_middleware_makes_its_own_id_when_there_is_none_or_it_is_not_a_plain_token(header):
    response, entry = _logged_through_middleware(header)
    assert response[HEADER] == entry["request_id"]
    assert len(response[HEADER]) == 32 and int(response[HEADER], 16) >= 0


def test_a_record_about_a_finished_request_carries_its_id():
    request = RequestFactory().get("/", HTTP_X_REQUEST_ID="late-1")
    RequestIdMiddleware(lambda r: HttpResponse(status=503))(request)
    record = _record("Service Unavailable: /readyz", request=request)  # as django.request logs it
    RequestIdFilter().filter(record)
    assert record.request_id == "late-1"


def test_records_outside_a_request_carry_a_dash():
    record = _record("background")
    RequestIdFilter().filter(record)
    assert json.loads(JsonFormatter().format(record))["request_id"] == "-"


def test_plain_lines_keep_their_shape_outside_a_request_and_name_the_request_inside():
    from django.conf import settings

    formatter = logging.Formatter(settings.LOGGING["formatters"]["plain"]["format"])
    outside = _record("GET /api/v1/pods?limit=500 200")
    RequestIdFilter().filter(outside)
    assert formatter.format(outside).endswith("initscope.test: GET /api/v1/pods?limit=500 200")
    token = request_id.set("req-7")
    try:
        inside = _record("signed in")
        RequestIdFilter().filter(inside)
    finally:
        request_id.reset(token)
    assert formatter.format(inside).endswith("initscope.test: signed in [request req-7]")
