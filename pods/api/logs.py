"""`GET /api/v1/pods/{uid}/logs?container=C&previous=1&attempt=N&tail=100&timestamps=1`: a container's log,
live or kept.

Live from the Pod's cluster (through `pods.kube`) while the Pod exists and RBAC allows `pods/log`;
otherwise the log tail the watcher kept with that attempt (`source: "stored"`, with `reason` saying why),
or nothing (`source: "none"`). The kubelet keeps two attempts of a container: the current one (the newest)
and the previous one; an older attempt (`attempt=N`) is only ever served from its kept tail.

`reason` is always one of this module's own sentences: what the cluster or the connection said goes to
the server's log, never into an answer.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from access.grants import scope_of
from accounts import audit
from pods import kube, selectors
from pods.api.schema import BAD_REQUEST, NO_LOGS, NOT_AUTHENTICATED, NOT_FOUND, ApiSchema
from pods.api.serializers import PodLogSerializer
from pods.models import Attempt, Pod
from pods.timeline import format_time

log = logging.getLogger(__name__)

MAX_TAIL = 5000
LIVE_TIMEOUT = 10.0
TRUE = ("1", "true", "yes", "on")

NO_PREVIOUS = "the container has no previous attempt"
NOT_KEPT = "the kubelet keeps the log of the current and the previous attempt only"


@dataclass(frozen=True)
class Target:
    """The attempt asked for: `which` the kubelet serves it as (`current`, `previous`, or "" when it
    keeps it no more), its (generation, number) when Initscope knows the container's attempts, and its
    stored row when Initscope knows its details (None for a placeholder)."""

    which: str
    key: tuple[int, int] | None = None
    row: Attempt | None = None


class PodLogsView(APIView):
    schema = ApiSchema()

    @extend_schema(
        operation_id="pods_logs",
        parameters=[
            OpenApiParameter(
                "container", str, description="Container name (default: the failing or first one)."
            ),
            OpenApiParameter("previous", bool, description="The attempt before the current one."),
            OpenApiParameter(
                "attempt",
                int,
                description="One attempt by its number (as in the attempts table); overrides `previous`. "
                "The current and the previous one are read live, older ones from their kept tail.",
            ),
            OpenApiParameter(
                "generation", int, description="With `attempt`: its sandbox generation (default: newest)."
            ),
            OpenApiParameter("tail", int, description=f"Last lines, 1..{MAX_TAIL} (default 100)."),
            OpenApiParameter(
                "timestamps", bool, description="Live lines start with the kubelet's RFC 3339 time."
            ),
            OpenApiParameter("cluster", str, description="Cluster name, when a uid is ambiguous."),
        ],
        responses={
            200: PodLogSerializer,
            400: BAD_REQUEST,
            401: NOT_AUTHENTICATED,
            403: NO_LOGS,
            404: NOT_FOUND,
        },
    )
    def get(self, request: Request, uid: str) -> Response:
        """The last lines of one attempt of a container's log: live when the kubelet still has it, else
        the tail kept when that attempt failed. `same_as_current` says when the previous attempt's lines
        are exactly the current one's."""
        params = request.query_params
        scope = scope_of(request)
        pod = selectors.pod_get(uid=uid, cluster=params.get("cluster", ""), scope=scope)
        if pod is None:
            raise Http404("no Pod with this uid")
        if not scope.allows_logs(pod.cluster.name, pod.namespace):
            # Seen, but not its logs: 403 (the Pod itself is readable, so this tells nothing new).
            raise PermissionDenied("your grants do not include reading this Pod's logs")
        container = _container(pod, params.get("container", ""))
        tail = _tail(params.get("tail", ""))
        timestamps = params.get("timestamps", "").lower() in TRUE
        rows = selectors.container_attempts(pod=pod, container=container)
        target = _target(
            rows,
            previous=params.get("previous", "").lower() in TRUE,
            number=_whole(params, "attempt"),
            generation=_whole(params, "generation"),
        )
        base = {
            "uid": pod.uid,
            "cluster": pod.cluster.name,
            "namespace": pod.namespace,
            "pod": pod.name,
            "container": container,
            "previous": target.which == "previous",
        }
        answer = _answer(pod, container, target, rows, tail=tail, timestamps=timestamps)
        target_name = f"{pod.cluster.name}/{pod.namespace}/{pod.name} {container}"
        audit.record(
            request.user, audit.LOGS_READ, target_name, {"source": answer["source"]}, request=request
        )
        same = False
        if target.which == "previous" and answer["text"]:
            current = _answer(pod, container, _target(rows), rows, tail=tail, timestamps=timestamps)
            same = current["text"] == answer["text"]
        return Response(base | answer | {"same_as_current": same})


def _container(pod: Pod, name: str) -> str:
    names = list(pod.containers.order_by("index").values_list("name", flat=True))
    if name:
        if name not in names:
            raise ValidationError({"container": [f"the Pod has no container {name!r}"]})
        return name
    if pod.failure_container in names:
        return pod.failure_container
    if not names:
        raise ValidationError({"container": ["the Pod has no known containers"]})
    return names[0]


def _tail(raw: str) -> int:
    if not raw:
        return 100
    try:
        value = int(raw)
    except ValueError:
        raise ValidationError({"tail": ["must be a whole number"]})
    if not 1 <= value <= MAX_TAIL:
        raise ValidationError({"tail": [f"must be between 1 and {MAX_TAIL}"]})
    return value


def _whole(params, name: str) -> int | None:
    raw = params.get(name, "")
    if raw == "":
        return None
    try:
        value = int(raw)
    except ValueError:
        raise ValidationError({name: ["must be a whole number"]})
    if value < 0:
        raise ValidationError({name: ["must be 0 or more"]})
    return value


def _target(
    rows: list[Attempt], *, previous: bool = False, number: int | None = None, generation: int | None = None
) -> Target:
    """Which attempt is asked for, among the container's stored rows (newest first; a run of
    placeholders is one row of `count` attempts). The newest attempt is the kubelet's current one, the
    one before it its previous one."""
    if number is None:
        position = 1 if previous else 0
    else:
        if generation is None:
            generation = next((r.generation for r in rows if r.number <= number < r.number + r.count), 0)
        position = 0
        for r in rows:
            if r.generation == generation and r.number <= number < r.number + r.count:
                position += r.number + r.count - 1 - number
                break
            position += r.count
        else:
            raise ValidationError({"attempt": [f"the container has no attempt #{number}"]})
    which = {0: "current", 1: "previous"}.get(position, "")
    seen = 0
    for r in rows:
        if position < seen + r.count:
            key = (r.generation, r.number + r.count - 1 - (position - seen))
            return Target(which, key, r if r.count == 1 else None)
        seen += r.count
    return Target(which)


def _answer(
    pod: Pod, container: str, target: Target, rows: list[Attempt], *, tail: int, timestamps: bool
) -> dict:
    """source, reason, text, lines, timestamps and attempt of one attempt's log."""
    why = NOT_KEPT
    if target.which:
        text, why = _live_log(
            pod, container, previous=target.which == "previous", tail=tail, timestamps=timestamps
        )
        if text is not None:
            return _shown("live", "", text, _attempt(target), timestamps=timestamps)
        if target.which == "previous" and sum(r.count for r in rows) < 2:
            why = NO_PREVIOUS
    kept = _kept(rows, target)
    if kept is None:
        return _shown("none", why, "", _attempt(target), timestamps=False)
    lines = kept.log_tail.splitlines()[-tail:]
    text = "\n".join(lines) + ("\n" if lines else "")
    return _shown(
        "stored", why, text, _attempt(Target("", (kept.generation, kept.number), kept)), timestamps=False
    )


def _kept(rows: list[Attempt], target: Target) -> Attempt | None:
    """The stored attempt whose tail stands in for `target`: its own; for the current attempt when it
    kept none, the newest that did (labelled with its own number)."""
    if target.row is not None and target.row.log_tail:
        return target.row
    if target.which == "current":
        return next((r for r in rows if r.log_tail), None)
    return None


def _shown(source: str, reason: str, text: str, attempt: dict | None, *, timestamps: bool) -> dict:
    return {
        "source": source,
        "reason": reason,
        "text": text,
        "lines": len(text.splitlines()),
        "timestamps": timestamps and bool(text),
        "attempt": attempt,
    }


def _attempt(target: Target) -> dict | None:
    """The attempt's facts as stored (only its numbers for one of a run of placeholders)."""
    if target.key is None:
        return None
    row = target.row
    return {
        "generation": target.key[0],
        "number": target.key[1],
        "known": row is not None,
        "exit_code": row.exit_code if row else None,
        "reason": row.reason if row else "",
        "finished_at": format_time(row.finished_at) if row else None,
    }


def _live_log(
    pod: Pod, container: str, *, previous: bool, tail: int, timestamps: bool
) -> tuple[str | None, str]:
    """(text, "") from the cluster, or (None, why not in plain words)."""
    if pod.deleted_at is not None:
        return None, "the Pod was deleted"
    if kube.cluster_config(pod.cluster.name) is None:
        return None, f"cluster {pod.cluster.name} is not watched"
    try:
        client = kube.shared_client(pod.cluster.name)
        text = client.pod_log(
            namespace=pod.namespace,
            name=pod.name,
            container=container,
            previous=previous,
            tail_lines=tail,
            timeout=LIVE_TIMEOUT,
            timestamps=timestamps,
        )
    except kube.KubeError as exc:
        log.info("live log of %s/%s %s not served: %s", pod.namespace, pod.name, container, exc)
        return None, live_failure(exc, previous=previous)
    return text, ""


def live_failure(exc: Exception, *, previous: bool = False) -> str:
    """Why a live log could not be read, in plain words (never the exception's own text)."""
    if isinstance(exc, kube.ApiError):
        if exc.denied:
            return f"the cluster does not allow reading this Pod's log (pods/log, HTTP {exc.code})"
        if exc.code == 404:
            return "the cluster no longer has this Pod"
        if exc.code == 400 and previous and "previous terminated container" in exc.message:
            return NO_PREVIOUS
        if exc.code == 400 and "waiting to start" in exc.message:
            return "the container has not started yet"
        if exc.code >= 500:
            return f"the cluster failed to serve the log (HTTP {exc.code})"
        return f"the cluster refused the log request (HTTP {exc.code})"
    if isinstance(exc, kube.ConnectionFailed):
        return "the cluster could not be reached"
    return "the cluster could not be asked"
