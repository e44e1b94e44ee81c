"""`GET /api/v1/alerts`: open alerts, then those resolved in the last 7 days."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from access.grants import scope_of
from alerts import selectors
from pods.api.schema import BAD_REQUEST, NOT_AUTHENTICATED, ApiSchema
from pods.api.serializers.fields import Closed, Text, Time


class AlertRuleSerializer(Closed):
    name = Text("The rule's name.")
    kind = serializers.ChoiceField(
        ["pod-stuck", "crash-loop", "failure-rate", "p95-up"], help_text="What the rule watches."
    )


class AlertWorkloadSerializer(Closed):
    kind = Text("Deployment, StatefulSet, Job, CronJob, ... (`Pod` for a Pod without an owner).")
    name = Text()


class AlertPodSerializer(Closed):
    name = Text()
    uid = Text()


class AlertSerializer(Closed):
    id = Text("The stable alert id every notification about this alert carries.")
    status = serializers.ChoiceField(
        ["open", "resolved"], help_text="`open` while the condition holds, `resolved` once it ended."
    )
    rule = AlertRuleSerializer()
    cluster = Text()
    namespace = Text()
    workload = AlertWorkloadSerializer()
    pod = AlertPodSerializer(allow_null=True, help_text="The Pod (null for a workload rule).")
    container = Text("The container the cause is about (empty when Pod-level).")
    cause = Text("The engine's diagnosis code, or the workload rule's kind.")
    diagnosis = Text("The diagnosis in plain words (untrusted text from the cluster).")
    opened_at = Time("When the condition began (a Pod's cause) or was first found.")
    last_seen_at = Time("The last evaluation that found it.")
    resolved_at = Time("When it was found over (null while open).")
    url = Text("The Pod's waterfall, or the workload's incident report (INITSCOPE_PUBLIC_URL).")


class AlertListSerializer(Closed):
    results = AlertSerializer(many=True)


class AlertQuerySerializer(serializers.Serializer):
    status = serializers.ChoiceField(["open", "resolved"], required=False)


class AlertListView(APIView):
    schema = ApiSchema()

    @extend_schema(
        operation_id="alerts_list",
        parameters=[
            OpenApiParameter("status", str, enum=["open", "resolved"], description="Only open or resolved.")
        ],
        responses={200: AlertListSerializer, 400: BAD_REQUEST, 401: NOT_AUTHENTICATED},
    )
    def get(self, request: Request) -> Response:
        """Open alerts (newest first), then those resolved in the last 7 days (at most 500 in all)."""
        query = AlertQuerySerializer(data=request.query_params)
        if not query.is_valid():
            return Response(query.errors, status=400)
        alerts = selectors.alert_list(status=query.validated_data.get("status", ""), scope=scope_of(request))
        data = AlertListSerializer({"results": [selectors.alert_entry(a) for a in alerts]}).data
        return Response(data)
