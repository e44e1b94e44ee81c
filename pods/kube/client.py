"""List, watch, get and read logs over raw JSON through the official client's connection.

Everything goes through `ApiClient.call_api(..., _preload_content=False)`: the client handles auth,
TLS and proxies; the body is parsed with orjson, never into the client's model classes (~50x slower,
and `EventsV1Api` models reject the null `eventTime` of kubelet events).
"""

from __future__ import annotations

import contextlib
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
REQUEST_TIMEOUT = 60.0

Query = list[tuple[str, Any]]  # named here: inside KubeClient, `list` is the method


def resource_path(resource: str, namespace: str = "", name: str = "") -> str:
    """`/api/v1/pods`, `/api/v1/namespaces/ns/pods`, `/apis/apps/v1/namespaces/ns/replicasets/x`."""
    prefix = RESOURCES[resource]
    path = f"{prefix}/namespaces/{namespace}/{resource}" if namespace else f"{prefix}/{resource}"
    return f"{path}/{name}" if name else path


class WatchStream:
    """The lines of one watch response; iterate for raw `bytes` lines, `close()` from any thread.

    Each line is the JSON of one `pods.timeline.raw.RawWatchEvent` (decoding is the watcher's step).
    """

    def __init__(self, response: Any) -> None:
        self._response = response

    def __iter__(self) -> Iterator[bytes]:
        try:
            yield from split_lines(self._response.stream(65536, decode_content=True))
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


def split_lines(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """Re-frame a byte stream into newline-separated lines (chunk borders fall anywhere)."""
    pending = b""
    for chunk in chunks:
        pending += chunk
        if b"\n" not in chunk:
            continue
        *lines, pending = pending.split(b"\n")
        for line in lines:
            if line.strip():
                yield line
    if pending.strip():
        yield pending


class KubeClient:
    """One cluster's API, raw JSON in and out. Raises `ApiError` or `ConnectionFailed`, nothing else."""

    def __init__(self, api_client: Any, name: str = "", *, request_timeout: float = REQUEST_TIMEOUT) -> None:
        self.api = api_client
        self.name = name
        # Read timeout of the non-watch GETs (list, get, pod_log); a watcher keeps it below a third of its
        # lock's time to live, so one stuck request cannot outlast the lock.
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
        return orjson.loads(self._get(resource_path(resource, namespace), query, self.request_timeout))

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
        return WatchStream(response)

    def get(self, resource: str, *, namespace: str, name: str, timeout: float | None = None) -> RawObject:
        """One object as raw JSON (ApiError 404 when it is gone)."""
        path = resource_path(resource, namespace, name)
        return orjson.loads(self._get(path, [], self.request_timeout if timeout is None else timeout))

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
        response = self._request(path, query, timeout)
        try:
            return response.data
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise ConnectionFailed(f"GET {path}: {exc}") from exc
        finally:
            response.release_conn()

    def _request(self, path: str, query: Query, read_timeout: float) -> Any:
        try:
            return self.api.call_api(
                path,
                "GET",
                query_params=query,
                header_params={"Accept": "application/json"},
                auth_settings=["BearerToken"],
                _preload_content=False,
                _request_timeout=(min(CONNECT_TIMEOUT, read_timeout), read_timeout),
            )
        except ApiException as exc:
            raise api_error(exc.status or 0, exc.reason or "", exc.body) from exc
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise ConnectionFailed(f"GET {path}: {exc}") from exc


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
