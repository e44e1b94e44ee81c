"""Structured logs: one JSON object per line when LOG_FORMAT=json, each with the request id of the request
it was written in.

`RequestIdMiddleware` takes the caller's `X-Request-ID` (an Ingress or a proxy usually sets it) when it is
a plain token, otherwise makes one, keeps it in a context variable for the request's duration (the sync
views run in a thread that copies the context), and returns it in the response's `X-Request-ID`.
`RequestIdFilter` puts it on every record (`-` outside a request); `JsonFormatter` writes the record.
Daphne's own access lines (`--access-log`) stay plain text; the Ingress's access log carries the same id.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

from django.http import HttpRequest, HttpResponse

HEADER = "X-Request-ID"
# What we accept from outside: short, and nothing that could forge a log line or a header.
_VALID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")


def incoming_or_new(value: str | None) -> str:
    return value if value and _VALID.match(value) else uuid.uuid4().hex


class RequestIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        rid = incoming_or_new(request.headers.get(HEADER))
        request.request_id = rid  # type: ignore[attr-defined]  # for records written after the response
        token = request_id.set(rid)
        try:
            response = self.get_response(request)
        finally:
            request_id.reset(token)
        response[HEADER] = rid
        return response


class RequestIdFilter(logging.Filter):
    """The current request's id; for a record about a request written after the middleware returned
    (Django's `django.request` line of a 4xx/5xx carries the request), that request's id."""

    def filter(self, record: logging.LogRecord) -> bool:
        rid = request_id.get()
        if rid == "-":
            rid = getattr(getattr(record, "request", None), "request_id", "-")
        record.request_id = rid
        # the plain format's tail: nothing outside a request, so those lines keep their usual shape
        record.request_tag = "" if rid == "-" else f" [request {rid}]"
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time (UTC, ISO 8601), level, logger, message, request_id, and the
    exception's traceback when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)
