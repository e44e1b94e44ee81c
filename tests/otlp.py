"""A local OTLP/HTTP trace receiver for tests: a threaded HTTP server on 127.0.0.1 that decodes each
`POST /v1/traces` body as an `ExportTraceServiceRequest` (opentelemetry-proto) and keeps the spans.

`otlp_receiver` (fixture) -> `OtlpReceiver`: `.url` (the base endpoint, as OTEL_EXPORTER_OTLP_ENDPOINT),
`.spans()` (every span received, in order, each with its resource's attributes), `.traces()` (trace id
-> the spans of its newest copy), `.copies(trace_id)`, `.fail_next(n, status=503)` (errors for n requests).
"""

from __future__ import annotations

import gzip
import threading
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)


def _value(any_value) -> Any:
    kind = any_value.WhichOneof("value")
    if kind is None:
        return None
    value = getattr(any_value, kind)
    if kind == "array_value":
        return [_value(v) for v in value.values]
    if kind == "kvlist_value":
        return {kv.key: _value(kv.value) for kv in value.values}
    return value


def _attributes(key_values) -> dict[str, Any]:
    return {kv.key: _value(kv.value) for kv in key_values}


@dataclass
class ReceivedSpan:
    request: int  # which request brought it (0-based)
    trace_id: str
    span_id: str
    parent_id: str
    name: str
    start: int  # nanoseconds since the epoch
    end: int
    attributes: dict[str, Any]
    events: list[tuple[str, int, dict[str, Any]]]
    status: int  # 0 unset, 1 ok, 2 error
    status_message: str
    resource: dict[str, Any] = field(default_factory=dict)


class OtlpReceiver:
    def __init__(self) -> None:
        self.requests: list[ExportTraceServiceRequest] = []
        self.paths: list[str] = []
        self.headers: list[dict[str, str]] = []
        self._failures = 0
        self._failure_status = 503
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the http.server API
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                encoding = (self.headers.get("Content-Encoding") or "").lower()
                if encoding == "gzip":
                    body = gzip.decompress(body)
                elif encoding == "deflate":
                    body = zlib.decompress(body)
                with receiver._lock:
                    if receiver._failures:
                        receiver._failures -= 1
                        self.send_response(receiver._failure_status)
                        self.send_header("Content-Length", "0")
                        self.end_headers()
                        return
                    request = ExportTraceServiceRequest()
                    request.ParseFromString(body)
                    receiver.requests.append(request)
                    receiver.paths.append(self.path)
                    receiver.headers.append({k.lower(): v for k, v in self.headers.items()})
                reply = ExportTraceServiceResponse().SerializeToString()
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, name="otlp-receiver", daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def fail_next(self, count: int, status: int = 503) -> None:
        """Answer `status` to the next `count` requests (503 and 429 are retried by the exporter itself,
        400 is not)."""
        with self._lock:
            self._failures, self._failure_status = count, status

    def spans(self) -> list[ReceivedSpan]:
        with self._lock:
            requests = list(self.requests)
        out = []
        for index, request in enumerate(requests):
            for resource_spans in request.resource_spans:
                resource = _attributes(resource_spans.resource.attributes)
                for scope_spans in resource_spans.scope_spans:
                    for span in scope_spans.spans:
                        out.append(
                            ReceivedSpan(
                                request=index,
                                trace_id=span.trace_id.hex(),
                                span_id=span.span_id.hex(),
                                parent_id=span.parent_span_id.hex(),
                                name=span.name,
                                start=span.start_time_unix_nano,
                                end=span.end_time_unix_nano,
                                attributes=_attributes(span.attributes),
                                events=[
                                    (e.name, e.time_unix_nano, _attributes(e.attributes)) for e in span.events
                                ],
                                status=span.status.code,
                                status_message=span.status.message,
                                resource=resource,
                            )
                        )
        return out

    def copies(self, trace_id: str) -> int:
        """How many requests carried this trace."""
        return len({span.request for span in self.spans() if span.trace_id == trace_id})

    def traces(self) -> dict[str, list[ReceivedSpan]]:
        """Each trace's spans, from the newest request that carried it."""
        newest: dict[str, int] = {}
        spans = self.spans()
        for span in spans:
            newest[span.trace_id] = max(newest.get(span.trace_id, -1), span.request)
        return {
            trace: [s for s in spans if s.trace_id == trace and s.request == request]
            for trace, request in newest.items()
        }

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


@pytest.fixture
def otlp_receiver() -> Iterator[OtlpReceiver]:
    receiver = OtlpReceiver()
    yield receiver
    receiver.stop()
