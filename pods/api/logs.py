"""`GET /api/v1/pods/{uid}/logs?container=C&previous=1&tail=100`: a container's log, live or kept.

Live from the Pod's cluster (through `pods.kube`) while the Pod exists and RBAC allows `pods/log`;
otherwise the log tail the watcher kept with the newest failed attempt of that container
(`source: "stored"`, with `reason` saying why), or nothing (`source: "none"`).
"""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from pods import kube, selectors
from pods.api.schema import BAD_REQUEST, NOT_AUTHENTICATED, NOT_FOUND, ApiSchema
from pods.api.serializers import PodLogSerializer
from pods.models import Pod
from pods.timeline import format_time

MAX_TAIL = 5000
LIVE_TIMEOUT = 10.0


class PodLogsView(APIView):
    schema = ApiSchema()

    @extend_schema(
        operation_id="pods_logs",
        parameters=[
            OpenApiParameter(
                "container", str, description="Container name (default: the failing or first one)."
            ),
            OpenApiParameter("previous", bool, description="The attempt before the current one."),
            OpenApiParameter("tail", int, description=f"Last lines, 1..{MAX_TAIL} (default 100)."),
            OpenApiParameter("cluster", str, description="Cluster name, when a uid is ambiguous."),
        ],
        responses={200: PodLogSerializer, 400: BAD_REQUEST, 401: NOT_AUTHENTICATED, 404: NOT_FOUND},
    )
    def get(self, request: Request, uid: str) -> Response:
        """The last lines of a container's log: live when possible, else the tail kept with its newest
        failed attempt."""
        pod = selectors.pod_get(uid=uid, cluster=request.query_params.get("cluster", ""))
        if pod is None:
            raise Http404("no Pod with this uid")
        container = _container(pod, request.query_params.get("container", ""))
        previous = request.query_params.get("previous", "").lower() in ("1", "true", "yes", "on")
        tail = _tail(request.query_params.get("tail", ""))
        base = {
            "uid": pod.uid,
            "cluster": pod.cluster.name,
            "namespace": pod.namespace,
            "pod": pod.name,
            "container": container,
            "previous": previous,
        }
        text, why = _live_log(pod, container, previous=previous, tail=tail)
        if text is not None:
            return Response(base | {"source": "live", "reason": "", "text": text, "attempt": None})
        return Response(base | _stored_log(pod, container, tail=tail, reason=why))


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


def _live_log(pod: Pod, container: str, *, previous: bool, tail: int) -> tuple[str | None, str]:
    """(text, "") from the cluster, or (None, why not)."""
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
        )
    except kube.ApiError as exc:
        return None, f"{exc.code} {exc.reason}: {exc.message}".strip()
    except kube.KubeError as exc:
        return None, str(exc)
    return text, ""


def _stored_log(pod: Pod, container: str, *, tail: int, reason: str) -> dict:
    attempt = selectors.attempt_with_log_tail(pod=pod, container=container)
    if attempt is None:
        return {"source": "none", "reason": reason, "text": "", "attempt": None}
    lines = attempt.log_tail.splitlines()[-tail:]
    return {
        "source": "stored",
        "reason": reason,
        "text": "\n".join(lines) + ("\n" if lines else ""),
        "attempt": {
            "generation": attempt.generation,
            "number": attempt.number,
            "exit_code": attempt.exit_code,
            "reason": attempt.reason,
            "finished_at": format_time(attempt.finished_at),
        },
    }
