"""`GET /api/v1/clusters`: the configured clusters and their watch health."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from access.grants import scope_of
from pods import selectors
from pods.api.schema import NOT_AUTHENTICATED, ApiSchema
from pods.api.serializers import ClusterListSerializer


class ClusterListView(APIView):
    schema = ApiSchema()

    @extend_schema(
        operation_id="clusters_list", responses={200: ClusterListSerializer, 401: NOT_AUTHENTICATED}
    )
    def get(self, request: Request) -> Response:
        """Every configured (or once watched) cluster with its watch health: state, holder, last event,
        lag (seconds since the stalest stream last heard from the API) and the newest error."""
        return Response({"results": selectors.cluster_health(scope=scope_of(request))})
