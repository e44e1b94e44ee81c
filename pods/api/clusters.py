"""`GET /api/v1/clusters`: the configured clusters and their watch health."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from pods import watch

STREAM_FIELDS = {
    "resource": serializers.CharField(),
    "namespace": serializers.CharField(),
    "resource_version": serializers.CharField(),
    "listed_at": serializers.DateTimeField(allow_null=True),
    "last_event_at": serializers.DateTimeField(allow_null=True),
    "last_ok_at": serializers.DateTimeField(allow_null=True),
    "lag_seconds": serializers.FloatField(allow_null=True),
    "last_error": serializers.CharField(),
    "last_error_at": serializers.DateTimeField(allow_null=True),
}
CLUSTER_FIELDS = {
    "name": serializers.CharField(),
    "configured": serializers.BooleanField(),
    "namespaces": serializers.ListField(child=serializers.CharField()),
    "state": serializers.ChoiceField(["watching", "backing-off", "error", "stopped", "not-configured"]),
    "holder": serializers.CharField(),
    "heartbeat_at": serializers.DateTimeField(allow_null=True),
    "last_event_at": serializers.DateTimeField(allow_null=True),
    "last_ok_at": serializers.DateTimeField(allow_null=True),
    "lag_seconds": serializers.FloatField(allow_null=True),
    "last_error": serializers.CharField(),
    "last_error_at": serializers.DateTimeField(allow_null=True),
    "failures": serializers.IntegerField(),
    "retry_at": serializers.DateTimeField(allow_null=True),
    "streams": inline_serializer(name="WatchStream", fields=STREAM_FIELDS, many=True),
}


class ClusterListView(APIView):
    @extend_schema(
        responses=inline_serializer(
            name="ClusterList",
            fields={"results": inline_serializer(name="ClusterHealth", fields=CLUSTER_FIELDS, many=True)},
        )
    )
    def get(self, request: Request) -> Response:
        """Every configured (or once watched) cluster with its watch health: state, holder, last event,
        lag (seconds since the stalest stream last heard from the API) and the newest error."""
        return Response({"results": watch.cluster_health()})
