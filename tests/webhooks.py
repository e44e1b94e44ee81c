"""Local HTTP receivers of alert notifications for tests: a threaded HTTP server on 127.0.0.1 that keeps
every POST it answered 2xx (path, headers, JSON body), with failures and a held request on demand.

`webhook_receivers` (fixture) -> a factory of `WebhookReceiver`: `.url`, `.received()` (the delivered
requests, in order), `.failed` (how many it refused), `.fail_next(n, status=500)`, `.hold_next()` (the
next request waits, unanswered, until `.release()`; it is not kept: its sender never learns the outcome).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    raw: bytes

    @property
    def body(self) -> Any:
        return json.loads(self.raw)


class WebhookReceiver:
    def __init__(self) -> None:
        self._received: list[Received] = []
        self.failed = 0
        self.held = 0
        self._failures = 0
        self._failure_status = 500
        self._hold = False
        self._released = threading.Event()
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the http.server API
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver._lock:
                    hold, receiver._hold = receiver._hold, False
                    failing = receiver._failures > 0
                    if hold:
                        receiver.held += 1
                    elif failing:
                        receiver._failures -= 1
                        receiver.failed += 1
                if hold:
                    receiver._released.wait(120)
                    self._answer(503)
                    return
                if failing:
                    self._answer(receiver._failure_status)
                    return
                with receiver._lock:
                    headers = {k.lower(): v for k, v in self.headers.items()}
                    receiver._received.append(Received(self.path, headers, raw))
                self._answer(200)

            def _answer(self, status: int) -> None:
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, name="webhook-receiver", daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def fail_next(self, count: int, status: int = 500) -> None:
        with self._lock:
            self._failures, self._failure_status = count, status

    def hold_next(self) -> None:
        with self._lock:
            self._hold = True

    def release(self) -> None:
        self._released.set()

    def received(self) -> list[Received]:
        with self._lock:
            return list(self._received)

    def stop(self) -> None:
        self.release()
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


@pytest.fixture
def webhook_receivers() -> Iterator[Callable[[], WebhookReceiver]]:
    started: list[WebhookReceiver] = []

    def start() -> WebhookReceiver:
        receiver = WebhookReceiver()
        started.append(receiver)
        return receiver

    yield start
    for receiver in started:
        receiver.stop()
