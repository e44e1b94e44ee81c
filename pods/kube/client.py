"""List, watch, get and read logs over raw JSON through the official client's connection.

Everything goes through `ApiClient.call_api(..., _preload_content=False)`: the client handles auth,
TLS and proxies; the body is parsed with orjson, never into the client's model classes (~50x slower,
and `EventsV1Api` models reject the null `eventTime` of kubelet events).
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from typing import Any, Literal, overload

import orjson
import urllib3
from kubernetes.client.exceptions import ApiException

from pods.timeline.raw import RawEvent, RawList, RawObject, RawPod

from .errors import ApiError, ConnectionFailed

# resource -> the API group prefix its paths start with
RESOURCES = {
    "pods": "/api/v1",
    "events": "/api/v1",
    "replicasets": "/apis/apps/v1",
    "deployments": "/apis/apps/v1",
    "statefulsets": "/apis/apps/v1",
    "daemonsets": "/apis/apps/v1",
    "jobs": "/apis/batch/v1",
    "cronjobs": "/apis/batch/v1",
}
CONNECT_TIMEOUT = 10.0
# The longest watch line read (`INITSCOPE_MAX_LINE_BYTES`); a longer one is skipped (`OversizedLine`).
MAX_LINE_BYTES = 64 * 1024 * 1024
REQUEST_TIMEOUT = 60.0

Query = list[tuple[str, Any]]  # named here: inside KubeClient, `list` is the method


def resource_path(resource: str, namespace: str = "", name: str = "") -> str:
    """`/api/v1/pods`, `/api/v1/namespaces/ns/pods`, `/apis/apps/v1/namespaces/ns/replicasets/x`."""
    prefix = RESOURCES[resource]
    path = f"{prefix}/namespaces/{namespace}/{resource}" if namespace else f"{prefix}/{resource}"
    return f"{path}/{name}" if name else path


class WatchStream:
    """The lines of one watch response; iterate for raw `bytes` lines, `close()` from any thread.

    Each line is the JSON of one `pods.timeline.raw.RawWatchEvent` (decoding is the watcher's step); a line
    longer than `max_line_bytes` comes as an `OversizedLine` (`split_lines`).
    """

    def __init__(self, response: Any, max_line_bytes: int = MAX_LINE_BYTES) -> None:
        self._response = response
        self.max_line_bytes = max_line_bytes

    def __iter__(self) -> Iterator[bytes]:
        try:
            yield from split_lines(self._response.stream(65536, decode_content=True), self.max_line_bytes)
        except (urllib3.exceptions.HTTPError, OSError, ValueError) as exc:
            raise ConnectionFailed(f"watch stream broke: {exc}") from exc
        finally:
            self.close()

    def close(self) -> None:
        """Shut the socket down and close it, even at a clean end (a watch connection is not worth reusing).

        Never `release_conn()`: that would hand a connection still mid-read (maybe by another thread) back
        to the pool, for another request to pick up, and keep `close()` from closing it."""
        shutdown = getattr(self._response, "shutdown", None)  # urllib3 >= 2.3: unblocks a reading thread
        if shutdown is not None:
            with contextlib.suppress(Exception):
                shutdown()
        with contextlib.suppress(Exception):
            self._response.close()


class OversizedLine(bytes):
    """A watch line longer than the limit, read past: its first bytes (for the log) and its `size`."""

    size: int

    def __new__(cls, head: bytes, size: int) -> OversizedLine:
        line = super().__new__(cls, head)
        line.size = size
        return line


def split_lines(chunks: Iterator[bytes], max_line_bytes: int = MAX_LINE_BYTES) -> Iterator[bytes]:
    """Re-frame a byte stream into newline-separated lines (chunk borders fall anywhere).

    A line longer than `max_line_bytes` is not gathered: it comes out as an `OversizedLine` (its first 200
    bytes and its size) once its end is read, so memory stays about `max_line_bytes` whatever the stream
    sends."""
    parts: list[bytes] = []  # the pieces of the line being read
    size = 0
    skipped: OversizedLine | None = None  # the head of an over-long line being read past
    for chunk in chunks:
        start = 0
        while (end := chunk.find(b"\n", start)) >= 0:
            piece = chunk[start:end]
            start = end + 1
            if skipped is not None:
                yield OversizedLine(skipped, skipped.size + len(piece))
                skipped = None
            elif size + len(piece) > max_line_bytes:
                yield OversizedLine((b"".join(parts) + piece)[:200], size + len(piece))
            else:
                line = b"".join(parts) + piece if parts else piece
                if line.strip():
                    yield line
            parts, size = [], 0
        rest = chunk[start:]
        if skipped is not None:
            skipped.size += len(rest)
        elif size + len(rest) > max_line_bytes:
            skipped = OversizedLine((b"".join(parts) + rest)[:200], size + len(rest))
            parts, size = [], 0
        elif rest:
            parts.append(rest)
            size += len(rest)
    if skipped is not None:
        yield skipped
    elif parts and (line := b"".join(parts)).strip():
        yield line


class KubeClient:
    """One cluster's API, raw JSON in and out. Raises `ApiError` or `ConnectionFailed`, nothing else."""

    def __init__(
        self,
        api_client: Any,
        name: str = "",
        *,
        request_timeout: float = REQUEST_TIMEOUT,
        max_line_bytes: int = MAX_LINE_BYTES,
    ) -> None:
        self.api = api_client
        self.name = name
        self.max_line_bytes = max_line_bytes  # the longest watch line read (`split_lines`)
        # The whole deadline of each non-watch GET (list, get, pod_log): connecting, waiting and reading the
        # body, no retries. A watcher keeps it at a third of its lock's time to live, so one stuck request
        # cannot outlast the lock.
        self.request_timeout = request_timeout

    @overload
    def list(
        self, resource: Literal["pods"], *, namespace: str = "", limit: int = 500, continue_token: str = ""
    ) -> RawList[RawPod]: ...
    @overload
    def list(
        self, resource: Literal["events"], *, namespace: str = "", limit: int = 500, continue_token: str = ""
    ) -> RawList[RawEvent]: ...
    @overload
    def list(
        self, resource: str, *, namespace: str = "", limit: int = 500, continue_token: str = ""
    ) -> RawList[Any]: ...  # replicasets, jobs, ...: `RawObject`s and more
    def list(
        self, resource: str, *, namespace: str = "", limit: int = 500, continue_token: str = ""
    ) -> RawList[Any]:
        """One page of a list: the raw `{"kind": "...List", "metadata": {...}, "items": [...]}`."""
        query: Query = [("limit", limit)]
        if continue_token:
            query.append(("continue", continue_token))
        path = resource_path(resource, namespace)
        return _json(path, self._get(path, query, self.request_timeout))

    def watch(
        self, resource: str, *, namespace: str = "", resource_version: str = "", timeout_seconds: int = 300
    ) -> WatchStream:
        """Open a watch from `resource_version` with bookmarks; the server ends it at `timeout_seconds`."""
        query: Query = [
            ("watch", "true"),
            ("allowWatchBookmarks", "true"),
            ("timeoutSeconds", timeout_seconds),
        ]
        if resource_version:
            query.append(("resourceVersion", resource_version))
        # The read timeout outlives the server's timeout a little: silence beyond it is a dead connection.
        response = self._request(resource_path(resource, namespace), query, timeout_seconds + 15)
        return WatchStream(response, self.max_line_bytes)

    def get(self, resource: str, *, namespace: str, name: str, timeout: float | None = None) -> RawObject:
        """One object as raw JSON (ApiError 404 when it is gone)."""
        path = resource_path(resource, namespace, name)
        return _json(path, self._get(path, [], self.request_timeout if timeout is None else timeout))

    def pod_log(
        self,
        *,
        namespace: str,
        name: str,
        container: str,
        previous: bool = False,
        tail_lines: int = 100,
        timeout: float | None = None,
        timestamps: bool = False,
    ) -> str:
        """The last `tail_lines` lines of a container's log (`previous`: the attempt before the current;
        `timestamps`: each line starts with the kubelet's RFC 3339 time)."""
        query: Query = [("container", container), ("tailLines", tail_lines)]
        if previous:
            query.append(("previous", "true"))
        if timestamps:
            query.append(("timestamps", "true"))
        body = self._get(
            f"{resource_path('pods', namespace, name)}/log",
            query,
            self.request_timeout if timeout is None else timeout,
        )
        return body.decode("utf-8", errors="replace")

    def _get(self, path: str, query: Query, timeout: float) -> bytes:
        """The whole body of one GET within `timeout` seconds in all: connecting, the answer and every byte
        of the body (a server that trickles its body is cut off at the deadline, not at each read's)."""
        deadline = time.monotonic() + timeout
        response = self._request(path, query, timeout, total=True)
        cutoff = Cutoff(response, max(deadline - time.monotonic(), 0.0))
        try:
            data = response.data
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise ConnectionFailed(f"GET {path}: {exc}") from exc
        finally:
            if cutoff.stop():  # the connection was shut mid-read: never hand it back to the pool
                with contextlib.suppress(Exception):
                    response.close()
            response.release_conn()
        if cutoff.fired:
            raise ConnectionFailed(f"GET {path}: no complete answer within {timeout:g}s")
        return data

    def _request(self, path: str, query: Query, read_timeout: float, *, total: bool = False) -> Any:
        """Send one GET and wait for its answer's headers. `total`: `read_timeout` bounds the connect and
        the wait together (a non-watch call's deadline); else it bounds each read (a watch's silence)."""
        timeout: float | tuple[float, float] = (
            read_timeout if total else (min(CONNECT_TIMEOUT, read_timeout), read_timeout)
        )
        try:
            return self.api.call_api(
                path,
                "GET",
                query_params=query,
                header_params={"Accept": "application/json"},
                auth_settings=["BearerToken"],
                _preload_content=False,
                _request_timeout=timeout,
            )
        except ApiException as exc:
            raise api_error(exc.status or 0, exc.reason or "", exc.body) from exc
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise ConnectionFailed(f"GET {path}: {exc}") from exc


def _json(path: str, body: bytes) -> Any:
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:  # a body cut short by a proxy or a dropped connection
        raise ConnectionFailed(f"GET {path}: the answer is not JSON: {exc}") from exc


class Cutoff:
    """Shuts a response's socket down `seconds` from now unless `stop()` comes first: a read blocked on it
    then ends at once (urllib3's read timeout bounds each read, not the whole body)."""

    def __init__(self, response: Any, seconds: float) -> None:
        self.response = response
        self.fired = False
        self._guard = threading.Lock()
        self._timer: threading.Timer | None = threading.Timer(seconds, self._fire)
        self._timer.daemon = True
        self._timer.start()

    def _fire(self) -> None:
        with self._guard:
            if self._timer is None:
                return
            self.fired = True
        with contextlib.suppress(Exception):
            self.response.shutdown()

    def stop(self) -> bool:
        """Disarm it; True when it fired (the socket may be shut)."""
        with self._guard:
            timer, self._timer = self._timer, None
        if timer is not None:
            timer.cancel()
        return self.fired


def api_error(code: int, reason: str, body: bytes | str | None) -> ApiError:
    """An ApiError from an HTTP error response, with the Status's reason and message when it has one."""
    message = ""
    try:
        status = orjson.loads(body or b"{}")
        if isinstance(status, dict):
            reason = status.get("reason") or reason
            message = status.get("message") or ""
            code = status.get("code") or code
    except orjson.JSONDecodeError:
        message = (body or b"")[:200].decode("utf-8", "replace") if isinstance(body, bytes) else str(body)
    return ApiError(int(code), str(reason), str(message))
