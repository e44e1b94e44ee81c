"""HTTP routes: discovery, list/get/watch/delete/create, pod logs, Table output, admin endpoints.

Contracts (docs/kubernetes.md §6)
* Errors are ``Status`` objects with the real server's reasons and messages (401, 403, 404, 410 …).
* Lists are served from one snapshot: every page of a ``limit``/``continue`` sequence has the same
  ``metadata.resourceVersion``; a continue token whose snapshot was compacted away is 410 Expired.
* Watches stream ``{"type","object"}`` lines. No RV (or ``0``): synthetic ADDED then changes; an RV:
  changes after it, or HTTP 200 + an in-stream ERROR 410 when it is older than the history.
  BOOKMARKs (skeleton objects) are sent every ``bookmark_interval`` real seconds on watches that
  gave an RV and ``allowWatchBookmarks``; streams end cleanly at ``timeoutSeconds``.
* Admin endpoints under ``/_kubesim/`` need the same bearer token and ignore faults.
"""

from __future__ import annotations

import asyncio
import base64
import bisect
import contextlib
import logging
import random
import ssl
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import orjson
from aiohttp import web

from . import printers
from .core import Cluster
from .events import to_events_v1
from .logs import render
from .scenarios import parse_pod_behavior
from .selectors import SelectorError, parse_field_selector, parse_label_selector
from .store import UNCACHED, ApiError, BadRequest, Expired, NotFound, TooLargeResourceVersion, Watcher

log = logging.getLogger("kubesim.http")

VERSION = {
    "major": "1",
    "minor": "35",
    "emulationMajor": "1",
    "emulationMinor": "35",
    "minCompatibilityMajor": "1",
    "minCompatibilityMinor": "34",
    "gitVersion": "v1.35.0-kubesim",
    "gitCommit": "0000000000000000000000000000000000000000",
    "gitTreeState": "clean",
    "buildDate": "2025-12-17T00:00:00Z",
    "goVersion": "go1.25.5",
    "compiler": "gc",
    "platform": "linux/amd64",
}
CONTINUE_EXPIRED = (
    "The provided continue parameter is too old to display a consistent list result. You can "
    "start a new list without the continue parameter, or use the continue token in this "
    "response to retrieve the remainder of the results. Continuing with the provided token "
    "results in an inconsistent list - objects that were created, modified, or deleted between "
    "the time the first chunk was returned and now may show up in the list."
)


@dataclass(frozen=True)
class Resource:
    name: str
    kind: str
    group: str
    namespaced: bool
    store: str
    short: tuple = ()
    verbs: tuple = ("get", "list", "watch")
    singular: str = ""
    view: object = None  # callable converting the stored object to this API's shape

    @property
    def group_version(self) -> str:
        return f"{self.group}/v1" if self.group else "v1"

    def show(self, obj: dict) -> dict:
        return self.view(obj) if self.view else obj  # type: ignore[operator]


RESOURCES = [
    Resource("pods", "Pod", "", True, "pods", ("po",), ("create", "delete", "get", "list", "watch"), "pod"),
    Resource("namespaces", "Namespace", "", False, "namespaces", ("ns",), singular="namespace"),
    Resource("nodes", "Node", "", False, "nodes", ("no",), singular="node"),
    Resource("events", "Event", "", True, "events", ("ev",), singular="event"),
    Resource(
        "persistentvolumeclaims",
        "PersistentVolumeClaim",
        "",
        True,
        "persistentvolumeclaims",
        ("pvc",),
        singular="persistentvolumeclaim",
    ),
    Resource(
        "events", "Event", "events.k8s.io", True, "events", ("ev",), singular="event", view=to_events_v1
    ),
    Resource("deployments", "Deployment", "apps", True, "deployments", ("deploy",), singular="deployment"),
    Resource("replicasets", "ReplicaSet", "apps", True, "replicasets", ("rs",), singular="replicaset"),
    Resource("statefulsets", "StatefulSet", "apps", True, "statefulsets", ("sts",), singular="statefulset"),
    Resource("jobs", "Job", "batch", True, "jobs", (), singular="job"),
    Resource("cronjobs", "CronJob", "batch", True, "cronjobs", ("cj",), singular="cronjob"),
]
BY_GROUP: dict[str, dict[str, Resource]] = {}
for _r in RESOURCES:
    BY_GROUP.setdefault(_r.group, {})[_r.name] = _r
GROUP_ORDER = ["apps", "events.k8s.io", "batch"]


def status_body(code: int, reason: str, message: str, details: dict | None = None) -> dict:
    body = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
    }
    if details:
        body["details"] = details
    body["code"] = code
    return body


def json_response(data, status: int = 200, content_type: str = "application/json") -> web.Response:
    return web.Response(body=orjson.dumps(data), status=status, content_type=content_type)


def error_response(err: ApiError) -> web.Response:
    return json_response(status_body(err.code, err.reason, err.message, err.details), err.code)


class Forbidden(ApiError):
    code, reason = 403, "Forbidden"


class Unauthorized(ApiError):
    code, reason = 401, "Unauthorized"


def _truthy(value: str | None) -> bool:
    return value in ("1", "true", "True")


def _encode_continue(rv: int, key: tuple[str, str]) -> str:
    raw = orjson.dumps({"v": "meta.k8s.io/v1", "rv": rv, "start": f"{key[0]}/{key[1]}\x00"})
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_continue(token: str) -> tuple[int, tuple[str, str]]:
    try:
        data = orjson.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        ns, name = data["start"].rstrip("\x00").split("/", 1)
        return int(data["rv"]), (ns, name)
    except Exception:
        raise BadRequest("continue key is not valid: illegal base64 data")


def _verb(method: str, name: str | None, query) -> str:
    if method == "GET":
        if name is None:
            return "watch" if _truthy(query.get("watch")) else "list"
        return "get"
    if method == "DELETE":
        return "delete"
    if method == "POST":
        return "create"
    raise ApiError(f"the server does not allow this method on the requested resource ({method})")


class ApiServer:
    def __init__(self, sim: Cluster, restart: Callable[[], Awaitable[None]] | None = None) -> None:
        self.sim = sim
        self.restart = restart
        self.runner: web.AppRunner | None = None
        self.site: web.TCPSite | None = None
        self.watches: set[Watcher] = set()

    # ------------------------------------------------------------ start/stop
    async def start(self, host: str, port: int) -> int:
        app = web.Application(client_max_size=16 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self.handle)
        self.runner = web.AppRunner(app, access_log=None, handler_cancellation=True, shutdown_timeout=0.2)
        await self.runner.setup()
        ssl_ctx = None
        if self.sim.tls:
            ssl_ctx = self._ssl_context()
        self.site = web.TCPSite(
            self.runner, host, port, ssl_context=ssl_ctx, reuse_address=True, backlog=1024
        )
        await self.site.start()
        sockets = self.site._server.sockets  # type: ignore[union-attr]
        return sockets[0].getsockname()[1]

    def _ssl_context(self) -> ssl.SSLContext:
        from .tlsutil import make_certificates

        if not self.sim.tls_files:
            self.sim.tls_files = make_certificates()
        ca, cert, key = self.sim.tls_files
        self.sim.ca_path = ca
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)
        return ctx

    async def stop(self) -> None:
        for w in list(self.watches):
            w.close()
        if self.runner is not None:
            await self.runner.cleanup()
            self.runner = None

    # ------------------------------------------------------------ dispatch
    async def handle(self, request: web.Request) -> web.StreamResponse:
        started = time.monotonic()
        try:
            response = await self._dispatch(request)
        except ApiError as err:
            response = error_response(err)
        except SelectorError as err:
            response = error_response(BadRequest(str(err)))
        except (asyncio.CancelledError, ConnectionError):
            raise
        except Exception as err:  # any bug becomes a 500 Status, as on a real server
            log.exception("internal error serving %s", request.path_qs)
            response = error_response(ApiError(f"Internal error occurred: {err}"))
        log.info(
            "%s %s %s %.1fms",
            request.method,
            request.path_qs,
            response.status,
            (time.monotonic() - started) * 1000,
        )
        return response

    def _authenticate(self, request: web.Request) -> None:
        header = request.headers.get("Authorization", "")
        if header != f"Bearer {self.sim.token}":
            raise Unauthorized("Unauthorized")

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        parts = [p for p in request.path.split("/") if p]
        if parts and parts[0] in ("healthz", "livez", "readyz"):
            return web.Response(text="ok")
        self._authenticate(request)
        if parts and parts[0] == "_kubesim":
            return await self._admin(request, parts[1:])
        faults = self.sim.faults
        if faults.latency:
            await asyncio.sleep(faults.latency)
        if faults.take("error_burst"):
            code = faults.error_code
            reason = "ServiceUnavailable" if code == 503 else "InternalError"
            msg = (
                "the server is currently unable to handle the request"
                if code == 503
                else 'an error on the server ("kubesim injected fault") has prevented the request from '
                "succeeding"
            )
            return json_response(status_body(code, reason, msg), code)
        if not parts:
            return json_response({"paths": ["/api", "/api/v1", "/apis", "/version", "/healthz"]})
        if parts == ["version"]:
            return json_response(VERSION)
        if parts[0] == "api":
            if len(parts) == 1:
                return json_response(
                    {
                        "kind": "APIVersions",
                        "versions": ["v1"],
                        "serverAddressByClientCIDRs": [
                            {"clientCIDR": "0.0.0.0/0", "serverAddress": f"{self.sim.host}:{self.sim.port}"}
                        ],
                    }
                )
            if parts[1] != "v1":
                raise NotFound("the server could not find the requested resource")
            return await self._resource_request(request, "", parts[2:])
        if parts[0] == "apis":
            if len(parts) == 1:
                return json_response(self._group_list())
            group = parts[1]
            if group not in BY_GROUP or group == "":
                raise NotFound("the server could not find the requested resource")
            if len(parts) == 2:
                return json_response(self._group(group))
            if parts[2] != "v1":
                raise NotFound("the server could not find the requested resource")
            return await self._resource_request(request, group, parts[3:])
        raise NotFound("the server could not find the requested resource")

    # ------------------------------------------------------------ discovery
    @staticmethod
    def _group(group: str) -> dict:
        gv = {"groupVersion": f"{group}/v1", "version": "v1"}
        return {
            "kind": "APIGroup",
            "apiVersion": "v1",
            "name": group,
            "versions": [gv],
            "preferredVersion": gv,
        }

    def _group_list(self) -> dict:
        groups = [
            {k: v for k, v in self._group(g).items() if k not in ("kind", "apiVersion")} for g in GROUP_ORDER
        ]
        return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}

    @staticmethod
    def _resource_list(group: str) -> dict:
        out = []
        for r in BY_GROUP[group].values():
            entry = {
                "name": r.name,
                "singularName": r.singular,
                "namespaced": r.namespaced,
                "kind": r.kind,
                "verbs": list(r.verbs),
            }
            if r.short:
                entry["shortNames"] = list(r.short)
            if r.name in ("pods", "deployments", "replicasets", "statefulsets", "jobs", "cronjobs"):
                entry["categories"] = ["all"]
            out.append(entry)
            if r.name == "pods":
                out.append(
                    {
                        "name": "pods/log",
                        "singularName": "",
                        "namespaced": True,
                        "kind": "Pod",
                        "verbs": ["get"],
                    }
                )
        gv = f"{group}/v1" if group else "v1"
        return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": out}

    # ------------------------------------------------------------ resources
    def _authorize(self, verb: str, res: str, group: str, ns: str | None, name: str | None) -> None:
        forbidden = self.sim.forbidden
        if not forbidden:
            return
        rules: set[tuple[str, ...]] = {(verb, res), ("*", res), (verb, "*")}
        if ns:  # entries with a namespace: no RoleBinding there (the request is answered as a real server)
            rules |= {(verb, res, ns), ("*", res, ns), (verb, "*", ns), ("*", "*", ns)}
        if not rules & forbidden:
            return
        top = res.split("/")[0]
        qualified = f"{top}.{group}" if group else top
        subject = f'{qualified} "{name}"' if name else qualified
        scope = f'in the namespace "{ns}"' if ns else "at the cluster scope"
        details = {"kind": top}
        if name:
            details = {"name": name, "kind": top}
        if group:
            details["group"] = group
        raise Forbidden(
            f'{subject} is forbidden: User "{self.sim.user}" cannot {verb} resource "{res}" in API '
            f'group "{group}" {scope}',
            details,
        )

    async def _resource_request(
        self, request: web.Request, group: str, rest: list[str]
    ) -> web.StreamResponse:
        if not rest:
            return json_response(self._resource_list(group))
        ns = None
        if rest[0] == "namespaces" and len(rest) >= 3:
            ns, rest = rest[1], rest[2:]
        resources = BY_GROUP[group]
        res = resources.get(rest[0])
        if res is None:
            raise NotFound("the server could not find the requested resource")
        name = rest[1] if len(rest) > 1 else None
        sub = rest[2] if len(rest) > 2 else None
        if len(rest) > 3 or (sub and not (res.name == "pods" and sub == "log")):
            raise NotFound("the server could not find the requested resource")
        if ns is not None and not res.namespaced:
            raise NotFound("the server could not find the requested resource")
        method = request.method
        verb = _verb(method, name, request.query)
        self._authorize(verb, f"{res.name}/{sub}" if sub else res.name, group, ns, name)
        if verb == "watch":
            return await self._watch(request, res, ns)
        if verb == "list":
            if self.sim.faults.take("stall_next_lists"):
                await self._stall(request, time.monotonic() + 3600)
                raise ApiError("the list stalled (kubesim injected fault) and its client went away")
            return self._list(request, res, ns)
        if verb == "get" and sub == "log":
            return await self._log(request, ns or "default", name)  # type: ignore[arg-type]
        if verb == "get":
            return self._get(request, res, ns, name)  # type: ignore[arg-type]
        if res.name != "pods" or sub:
            raise ApiError(f"the server does not allow this method on the requested resource ({method})")
        if verb == "delete":
            return await self._delete_pod(request, ns or "default", name)  # type: ignore[arg-type]
        return await self._create_pod(request, ns or "default")

    @staticmethod
    def _wants_table(request: web.Request) -> bool:
        return "as=Table" in request.headers.get("Accept", "")

    def _get(self, request: web.Request, res: Resource, ns: str | None, name: str) -> web.Response:
        obj = self.sim.store.get(res.store, ns or "", name)
        if obj is None:
            qualified = f"{res.name}.{res.group}" if res.group else res.name
            raise NotFound(
                f'{qualified} "{name}" not found',
                {"name": name, "kind": res.name} | ({"group": res.group} if res.group else {}),
            )
        if self._wants_table(request):
            return json_response(
                printers.table(
                    res.store,
                    [obj],
                    self.sim.clock.now(),
                    rv=obj["metadata"]["resourceVersion"],
                    include=request.query.get("includeObject", "Metadata"),
                )
            )
        return json_response(res.show(obj))

    def _list(self, request: web.Request, res: Resource, ns: str | None) -> web.Response:
        q = request.query
        label = parse_label_selector(q.get("labelSelector"))
        field = parse_field_selector(q.get("fieldSelector"), res.store)
        try:
            limit = int(q.get("limit") or 0)
        except ValueError:
            raise BadRequest("limit must be an integer")
        snap_rv, snap, start_key = self._snapshot_for(res, q)
        lo, hi = 0, len(snap)
        if ns is not None and res.namespaced:
            lo = bisect.bisect_left(snap, (ns,), key=lambda kv: kv[0])
            hi = bisect.bisect_left(snap, (ns + "\x00",), key=lambda kv: kv[0])
        if start_key is not None:
            lo = max(lo, bisect.bisect_right(snap, start_key, key=lambda kv: kv[0]))
        items = []
        i = lo
        while i < hi:
            obj = snap[i][1]
            i += 1
            if (label is None or label(obj)) and (field is None or field(obj)):
                items.append(obj)
                if limit and len(items) >= limit:
                    break
        md: dict = {"resourceVersion": str(snap_rv)}
        if limit and len(items) >= limit and i < hi:
            md["continue"] = _encode_continue(snap_rv, snap[i - 1][0])
            if label is None and field is None:
                md["remainingItemCount"] = hi - i
        if self._wants_table(request):
            now = self.sim.clock.now()
            table = printers.table(
                res.store,
                items,
                now,
                rv=str(snap_rv),
                cont=md.get("continue"),
                include=q.get("includeObject", "Metadata"),
            )
            if res.view:
                for row in table["rows"]:
                    if row.get("object", {}).get("kind") == "Event":
                        row["object"] = res.show(row["object"])
            return json_response(table)
        body = {
            "kind": f"{res.kind}List",
            "apiVersion": res.group_version,
            "metadata": md,
            "items": [
                {k: v for k, v in res.show(o).items() if k != "kind" and k != "apiVersion"} for o in items
            ],
        }
        return json_response(body)

    def _snapshot_for(self, res: Resource, q) -> tuple[int, list, tuple[str, str] | None]:
        """The snapshot a list reads (continue token, Exact RV, or latest) and where to start in it."""
        store = self.sim.store
        rv_param = q.get("resourceVersion") or ""
        match = q.get("resourceVersionMatch") or ""
        if q.get("continue"):
            snap_rv, start_key = _decode_continue(q["continue"])
            if not store.snapshot_valid(res.store, snap_rv):
                raise Expired(CONTINUE_EXPIRED)
            return (*store.snapshot(res.store, snap_rv), start_key)
        if match == "Exact":
            if not rv_param or rv_param == "0":
                raise BadRequest('resourceVersionMatch "Exact" is forbidden for resourceVersion "0"')
            return (*store.snapshot(res.store, self._int_rv(rv_param)), None)
        if match and match != "NotOlderThan":
            raise BadRequest(f'resourceVersionMatch: Unsupported value: "{match}"')
        if rv_param and rv_param != "0" and self._int_rv(rv_param) > store.rv:
            raise TooLargeResourceVersion(f"Too large resource version: {rv_param}, current: {store.rv}")
        return (*store.snapshot(res.store), None)

    @staticmethod
    def _int_rv(value: str) -> int:
        try:
            return int(value)
        except ValueError:
            raise BadRequest(f'invalid resource version "{value}"')

    # ------------------------------------------------------------ watch
    def _bookmark(self, res: Resource, rv: int, initial_end: bool = False) -> bytes:
        md: dict = {"resourceVersion": str(rv), "creationTimestamp": None}
        if initial_end:
            md["annotations"] = {"k8s.io/initial-events-end": "true"}
        obj: dict = {"kind": res.kind, "apiVersion": res.group_version, "metadata": md}
        if res.name == "pods":
            obj["spec"] = {"containers": None}
            obj["status"] = {}
        return orjson.dumps({"type": "BOOKMARK", "object": obj}) + b"\n"

    def _encode_items(
        self, res: Resource, items: list, table: bool, first: list[bool], include: str
    ) -> bytes:
        out = []
        now = self.sim.clock.now()
        for type_, obj, change in items:
            if table:
                t = printers.table(
                    res.store,
                    [obj],
                    now,
                    rv=obj["metadata"]["resourceVersion"],
                    include=include,
                    headers=first[0],
                )
                first[0] = False
                if res.view:
                    for row in t["rows"]:
                        if "object" in row and row["object"].get("kind") == "Event":
                            row["object"] = res.show(row["object"])
                out.append(orjson.dumps({"type": type_, "object": t}) + b"\n")
            elif change is not None and change.type == type_ and res.view is None:
                out.append(change.line())
            else:
                out.append(orjson.dumps({"type": type_, "object": res.show(obj)}) + b"\n")
        return b"".join(out)

    async def _watch(self, request: web.Request, res: Resource, ns: str | None) -> web.StreamResponse:
        sim, store, faults = self.sim, self.sim.store, self.sim.faults
        q = request.query
        label = parse_label_selector(q.get("labelSelector"))
        field = parse_field_selector(q.get("fieldSelector"), res.store)
        rv_param = q.get("resourceVersion") or ""
        rv = self._int_rv(rv_param) if rv_param else 0
        allow_bookmarks = _truthy(q.get("allowWatchBookmarks"))
        send_initial = _truthy(q.get("sendInitialEvents"))
        table = self._wants_table(request)
        include = q.get("includeObject", "Metadata")
        timeout = float(q.get("timeoutSeconds") or 0) or random.uniform(1800, 3600)  # noqa: S311
        if faults.take("expire_next_watches_http"):
            raise Expired(f"too old resource version: {rv} ({store.rv})")
        response = web.StreamResponse(
            status=200, headers={"Content-Type": "application/json", "Cache-Control": "no-cache, private"}
        )
        response.enable_chunked_encoding()
        await response.prepare(request)
        deadline = time.monotonic() + timeout
        if faults.close_watches_every:
            deadline = min(deadline, time.monotonic() + faults.close_watches_every)
        if faults.take("expire_next_watches"):
            await self._write_error(response, Expired(f"too old resource version: {rv} ({store.rv})"))
            return response
        if faults.take("stall_next_watches"):
            await self._stall(request, deadline)
            return response
        watcher = Watcher(
            res.store, ns if res.namespaced else None, label, field, max_queue=sim.max_watch_queue
        )
        try:
            if send_initial or not rv_param or rv_param == "0":
                store.watch(watcher, None, initial=True)
            else:
                store.watch(watcher, rv, initial=False)
        except Expired as err:
            await self._write_error(response, err)
            return response
        self.watches.add(watcher)
        # the watch cache sends bookmarks, only to watches that gave an RV; Events have no cache
        cached = res.store not in UNCACHED
        bookmarks = allow_bookmarks and cached and (bool(rv_param) or send_initial) and not table
        try:
            if faults.take("malformed_next_watches"):
                await response.write(b'{"type":"MODIFIED","object":{"kind":"Pod","apiVersion":"v1","metad\n')
            for line in faults.take_injected(res.name):  # test-only raw lines (Faults.inject_watch_lines)
                await response.write(line + b"\n")
            first = [True]
            if send_initial:
                items = list(watcher.queue)
                watcher.queue.clear()
                watcher.ready.clear()
                await response.write(self._encode_items(res, items, table, first, include))
                if allow_bookmarks and cached:
                    await response.write(self._bookmark(res, watcher.after_rv, initial_end=True))
            await self._pump(request, response, res, watcher, deadline, bookmarks, table, first, include)
        finally:
            store.unwatch(watcher)
            self.watches.discard(watcher)
        with contextlib.suppress(ConnectionResetError, ConnectionError):
            await response.write_eof()
        return response

    async def _pump(
        self,
        request,
        response,
        res,
        watcher: Watcher,
        deadline: float,
        bookmarks: bool,
        table: bool,
        first: list[bool],
        include: str,
    ) -> None:
        sim = self.sim
        next_bookmark = time.monotonic() + sim.bookmark_interval
        while True:
            if watcher.queue:
                items = list(watcher.queue)
                watcher.queue.clear()
                await response.write(self._encode_items(res, items, table, first, include))
                continue
            if watcher.closed:
                return
            now = time.monotonic()
            if now >= deadline:
                return
            if bookmarks and now >= next_bookmark:
                if sim.faults.bookmarks:
                    await response.write(self._bookmark(res, sim.store.rv))
                next_bookmark = now + sim.bookmark_interval
            transport = request.transport
            if transport is None or transport.is_closing():
                return
            watcher.ready.clear()
            wait = min(deadline - now, 1.0, max(0.0, next_bookmark - now) if bookmarks else 1.0)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(watcher.ready.wait(), max(wait, 0.001))

    @staticmethod
    async def _write_error(response: web.StreamResponse, err: ApiError) -> None:
        body = status_body(err.code, err.reason, err.message)
        await response.write(orjson.dumps({"type": "ERROR", "object": body}) + b"\n")
        await response.write_eof()

    @staticmethod
    async def _stall(request: web.Request, deadline: float) -> None:
        while time.monotonic() < deadline:
            transport = request.transport
            if transport is None or transport.is_closing():
                return
            await asyncio.sleep(0.2)

    # ------------------------------------------------------------ pods: log, delete, create
    async def _log(self, request: web.Request, ns: str, name: str) -> web.StreamResponse:
        q = request.query
        container = q.get("container")
        previous = _truthy(q.get("previous"))
        try:
            tail = int(q["tailLines"]) if q.get("tailLines") else None
            since = float(q["sinceSeconds"]) if q.get("sinceSeconds") else None
        except ValueError:
            raise BadRequest("tailLines and sinceSeconds must be integers")
        timestamps = _truthy(q.get("timestamps"))
        body = self.sim.pod_log(
            ns, name, container, previous=previous, tail=tail, since_seconds=since, timestamps=timestamps
        )
        if not _truthy(q.get("follow")) or previous:
            return web.Response(body=body, content_type="text/plain")
        response = web.StreamResponse(status=200, headers={"Content-Type": "text/plain"})
        await response.prepare(request)
        await response.write(body)
        pod = self.sim.store.get("pods", ns, name)
        uid = pod["metadata"]["uid"] if pod else ""
        if not container:
            container = pod["spec"]["containers"][0]["name"] if pod else ""
        attempt = self.sim.logs.current(uid, container)  # type: ignore[arg-type]
        sent = len(attempt.entries(self.sim.clock.now())) if attempt else 0
        while attempt is not None:
            await asyncio.sleep(0.2)
            transport = request.transport
            if transport is None or transport.is_closing():
                break
            entries = attempt.entries(self.sim.clock.now())
            if len(entries) > sent:
                await response.write(render(entries[sent:], timestamps=timestamps, tail=None, since=None))
                sent = len(entries)
            if attempt.finished_at is not None and attempt.finished_at <= self.sim.clock.now():
                break
        await response.write_eof()
        return response

    async def _delete_pod(self, request: web.Request, ns: str, name: str) -> web.Response:
        grace: float | None = None
        if request.query.get("gracePeriodSeconds"):
            grace = float(request.query["gracePeriodSeconds"])
        elif request.can_read_body:
            raw = await request.read()
            if raw:
                opts = orjson.loads(raw)
                if opts.get("gracePeriodSeconds") is not None:
                    grace = float(opts["gracePeriodSeconds"])
        obj = self.sim.delete_pod(ns, name, grace)
        return json_response(obj)

    async def _create_pod(self, request: web.Request, ns: str) -> web.Response:

        try:
            manifest = orjson.loads(await request.read())
        except orjson.JSONDecodeError as err:
            raise BadRequest(f"invalid JSON: {err}")
        manifest.setdefault("metadata", {})["namespace"] = ns
        if self.sim.store.get("namespaces", "", ns) is None:
            raise NotFound(f'namespaces "{ns}" not found', {"name": ns, "kind": "namespaces"})
        raw_b = (manifest["metadata"].get("annotations") or {}).get("kubesim.io/behavior")
        try:
            behavior = parse_pod_behavior(orjson.loads(raw_b) if raw_b else {}, manifest.get("spec") or {})
        except (ValueError, TypeError) as err:
            raise BadRequest(f"invalid kubesim.io/behavior: {err}")
        obj = self.sim.create_pod(manifest, behavior, manager="kubectl-create")
        return json_response(obj, 201)

    # ------------------------------------------------------------ admin
    async def _admin(self, request: web.Request, parts: list[str]) -> web.Response:
        sim = self.sim
        what = parts[0] if parts else ""
        body = {}
        if request.method == "POST" and request.can_read_body:
            raw = await request.read()
            body = orjson.loads(raw) if raw else {}
        if what == "faults":
            if request.method == "POST":
                try:
                    restart = sim.faults.apply(body)
                except (ValueError, TypeError) as err:
                    raise BadRequest(str(err))
                if restart and self.restart is not None:
                    again = self.restart
                    asyncio.get_running_loop().call_later(0.05, lambda: asyncio.ensure_future(again()))
            return json_response(sim.faults.state())
        if what == "truth":
            return web.Response(body=sim.truth.jsonl(), content_type="application/x-ndjson")
        if what == "advance" and request.method == "POST":
            try:
                sim.advance(float(body.get("seconds", 0)))
            except TypeError as err:
                raise BadRequest(str(err))
            return json_response({"now": sim.clock.now()})
        if what == "rollout" and request.method == "POST":
            sim.controllers.rollout(body["namespace"], body["name"])
            return json_response({"ok": True})
        if what == "compact" and request.method == "POST":
            sim.store.compact(body.get("resource"))
            return json_response({"rv": sim.store.rv})
        if what == "state":
            return json_response(
                {
                    "rv": sim.store.rv,
                    "now": sim.clock.now(),
                    "scenario": sim.scenario_name,
                    "pods": len(sim.store.objects["pods"]),
                    "events": len(sim.store.objects["events"]),
                    "watches": len(self.watches),
                }
            )
        raise NotFound("the server could not find the requested resource")
