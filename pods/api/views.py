"""The JSON API: thin views over `pods.selectors`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import Serializer
from rest_framework.views import APIView

from access.grants import scope_of
from pods import selectors
from pods.api.schema import BAD_REQUEST, NOT_AUTHENTICATED, NOT_FOUND, ApiSchema
from pods.api.serializers import (
    PodDocumentSerializer,
    PodListQuerySerializer,
    PodPageSerializer,
    WorkloadListQuerySerializer,
    WorkloadPageSerializer,
)
from pods.kube.workloads import with_live_workload


class PodListView(APIView):
    schema = ApiSchema()

    @extend_schema(
        operation_id="pods_list",
        parameters=[
            PodListQuerySerializer,
            # The serializer accepts `stuck=` (empty: no filter) as null; documented as what it means.
            OpenApiParameter("stuck", bool, description="Only stuck Pods (`true`) or only the others."),
            OpenApiParameter(
                "failed",
                bool,
                description="Only Pods that failed (`true`: terminal failure, see `failed` of a result) or "
                "only the others.",
            ),
        ],
        responses={200: PodPageSerializer, 400: BAD_REQUEST, 401: NOT_AUTHENTICATED},
    )
    def get(self, request: Request) -> Response:
        """Pods, filtered and paginated: stuck ones first, then failed ones, then the rest (each newest
        first)."""
        params = _query(PodListQuerySerializer, request)
        filters = selectors.PodFilters(
            cluster=params.get("cluster", ""),
            namespace=params.get("namespace", ""),
            workload=params.get("workload", ""),
            status=params.get("status", ""),
            stuck=params.get("stuck"),
            failed=params.get("failed"),
            search=params.get("search", ""),
            scope=scope_of(request),
        )
        return _page(request, selectors.pod_queryset(filters=filters), params, selectors.pod_summaries)


def _query(serializer: type[Serializer], request: Request) -> dict[str, Any]:
    """A list endpoint's query parameters, validated (an invalid one answers 400)."""
    query = serializer(data=request.query_params)
    query.is_valid(raise_exception=True)
    return query.validated_data


def _page(
    request: Request, queryset: QuerySet, params: dict[str, Any], results: Callable[[Any], list]
) -> Response:
    """The page `params` asks for of `queryset`, with its neighbours' URLs and `results(its objects)`
    (see `PageSerializer`)."""
    paginator = Paginator(queryset, params["page_size"])
    page = paginator.get_page(params["page"])
    return Response(
        {
            "count": paginator.count,
            "page": page.number,
            "pages": paginator.num_pages,
            "next": _page_url(request, page.next_page_number()) if page.has_next() else None,
            "previous": _page_url(request, page.previous_page_number()) if page.has_previous() else None,
            "results": results(page.object_list),
        }
    )


def _page_url(request: Request, number: int) -> str:
    query = request.query_params.copy()
    query["page"] = str(number)
    return request.build_absolute_uri(f"{request.path}?{query.urlencode()}")


class PodDetailView(APIView):
    schema = ApiSchema()

    @extend_schema(
        operation_id="pods_retrieve",
        parameters=[OpenApiParameter("cluster", str, description="Cluster name, when a uid is ambiguous.")],
        responses={200: PodDocumentSerializer, 401: NOT_AUTHENTICATED, 404: NOT_FOUND},
    )
    def get(self, request: Request, uid: str) -> Response:
        """The timeline document of one Pod, by `metadata.uid`."""
        scope = scope_of(request)
        pod = selectors.pod_get(uid=uid, cluster=request.query_params.get("cluster", ""), scope=scope)
        if pod is None:  # out of scope too: 404, never a 403 that tells the Pod exists
            raise Http404("no Pod with this uid")
        return Response(with_live_workload(selectors.pod_document(pod, scope=scope)))


class WorkloadListView(APIView):
    schema = ApiSchema()

    @extend_schema(
        operation_id="workloads_list",
        parameters=[
            WorkloadListQuerySerializer,
            OpenApiParameter(
                "stuck", bool, description="Only workloads with a diagnosis (`true`) or only the others."
            ),
        ],
        responses={200: WorkloadPageSerializer, 400: BAD_REQUEST, 401: NOT_AUTHENTICATED},
    )
    def get(self, request: Request) -> Response:
        """Workloads (stuck ones first: Pods that should exist do not), filtered and paginated."""
        params = _query(WorkloadListQuerySerializer, request)
        filters = selectors.WorkloadFilters(
            cluster=params.get("cluster", ""),
            namespace=params.get("namespace", ""),
            stuck=params.get("stuck"),
            scope=scope_of(request),
        )
        return _page(
            request, selectors.workload_queryset(filters=filters), params, selectors.workload_summaries
        )
