"""`GET /api/v1/reports/init-containers|pod-startup|nodes`: the reports of `pods.reports` (docs/reports.md),
as JSON (`{"since", "until", "source", "rows"}`) or, with `format=csv`, the same rows as CSV.

The serializers here are the one description of the report shapes (the OpenAPI schema, docs/api.md); their
fields are `pods.reports.FIELDS` in the same order (a test holds them together).
"""

from __future__ import annotations

from typing import Any

import orjson
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from access.grants import scope_of
from accounts import audit
from pods import reports
from pods.api.schema import BAD_REQUEST, NOT_AUTHENTICATED, ApiSchema
from pods.api.serializers import Closed
from pods.reports.period import HELP as PERIOD_HELP

SECONDS = "Seconds; null when nothing was measured."
P = "percentile (linear interpolation between closest ranks, exact over raw rows). " + SECONDS
PERIOD_FORMS = "Same forms as `since`."


def Seconds(help_text: str) -> serializers.FloatField:  # noqa: N802 - reads like a field class
    return serializers.FloatField(allow_null=True, help_text=help_text)


def Rate(help_text: str = "") -> serializers.FloatField:  # noqa: N802
    return serializers.FloatField(allow_null=True, help_text=help_text)


def QueryText(help_text: str) -> serializers.CharField:  # noqa: N802
    """An optional query parameter, as text (empty: not given)."""
    return serializers.CharField(required=False, allow_blank=True, help_text=help_text)


class ReportQuerySerializer(serializers.Serializer):
    """The query parameters of every report (validated by the view, documented from here)."""

    cluster = serializers.CharField(required=False, allow_blank=True)
    namespace = serializers.CharField(required=False, allow_blank=True)
    workload = QueryText("`name` or `Kind/name`, e.g. `Deployment/api` (`Pod/name`: a Pod without an owner).")
    container = QueryText("An init container's (or sidecar's) name.")
    since = QueryText("Start of the period (included; default: 7 days before `until`). " + PERIOD_HELP)
    until = QueryText("End of the period (excluded; default: now). Same forms.")
    format = serializers.ChoiceField(
        choices=["json", "csv"],
        required=False,
        help_text="`csv`: the same rows as CSV (header: the row fields; null is empty, `top_reasons` JSON).",
    )
    source = serializers.ChoiceField(  # type: ignore[assignment]  # a declared field, as in PodLogSerializer
        choices=["raw", "rollup"],
        required=False,
        help_text="Where the rows come from. Default: `raw` (the stored attempts, exact) while they cover "
        "`since`, else `rollup` (hourly rollups: the period rounded out to whole hours, percentiles within "
        "2%). `rollup` over hours not rolled up yet answers no rows.",
    )


class Keys(Closed):
    cluster = serializers.CharField()


class WorkloadKeys(Keys):
    namespace = serializers.CharField()
    workload_kind = serializers.CharField(
        help_text="`Deployment`, `StatefulSet`, `DaemonSet`, `Job`, `CronJob`, ...; `Pod` for a Pod without "
        "an owner (`workload` is then its name)."
    )
    workload = serializers.CharField()


class ReasonSerializer(Closed):
    reason = serializers.CharField(
        allow_blank=True, help_text="The termination reason (`Error`, `OOMKilled`)."
    )
    exit_code = serializers.IntegerField(allow_null=True)
    count = serializers.IntegerField()


class InitContainerRowSerializer(WorkloadKeys):
    """One init container (or native sidecar) of one workload over the period."""

    container = serializers.CharField()
    kind = serializers.ChoiceField(
        choices=["init", "sidecar"], help_text="`sidecar`: an init container with `restartPolicy: Always`."
    )
    pods = serializers.IntegerField(help_text="Pods with an attempt of it in the period.")
    attempts = serializers.IntegerField(
        help_text="Attempts that started in the period (placeholders included, counted one by one)."
    )
    failed = serializers.IntegerField(
        help_text="Finished attempts with an exit code ≠ 0 or a reason other than `Completed`, plus "
        "placeholders (for a sidecar a placeholder is a restart, not counted as failed)."
    )
    failure_rate = serializers.FloatField(
        allow_null=True, help_text="failed / finished attempts (placeholders included); null with none."
    )
    duration_p50 = Seconds("50th " + P)
    duration_p95 = Seconds("95th " + P)
    duration_p99 = Seconds("99th " + P)
    duration_max = Seconds(
        "Longest. A duration is finishedAt − startedAt (init) or start → started (sidecar). " + SECONDS
    )
    pull_count = serializers.IntegerField(help_text="Measured image pulls (a `Pulled` Event with its time).")
    pull_p50 = Seconds("Median pull time. " + SECONDS)
    pull_p95 = Seconds("95th percentile pull time. " + SECONDS)
    queue_wait_p50 = Seconds("Median wait before the pull started. " + SECONDS)
    already_present = serializers.IntegerField(help_text="Pulls of an image already present (not as zero).")
    top_reasons = ReasonSerializer(many=True, help_text="Up to 5 among failed attempts, most frequent first.")


class PodStartupRowSerializer(WorkloadKeys):
    """One workload's Pods created in the period: created → scheduled, → Initialized, → Ready."""

    pods = serializers.IntegerField(help_text="Pods created in the period.")
    scheduled = serializers.IntegerField(help_text="Of those, scheduled.")
    scheduled_p50 = Seconds("created → scheduled, median. " + SECONDS)
    scheduled_p95 = Seconds("created → scheduled, 95th percentile. " + SECONDS)
    scheduled_max = Seconds("created → scheduled, longest. " + SECONDS)
    initialized = serializers.IntegerField(help_text="Of those, Initialized.")
    initialized_p50 = Seconds("created → Initialized, median. " + SECONDS)
    initialized_p95 = Seconds("created → Initialized, 95th percentile. " + SECONDS)
    initialized_max = Seconds("created → Initialized, longest. " + SECONDS)
    ready = serializers.IntegerField(help_text="Of those, Ready.")
    ready_p50 = Seconds("created → Ready, median. " + SECONDS)
    ready_p95 = Seconds("created → Ready, 95th percentile. " + SECONDS)
    ready_max = Seconds("created → Ready, longest. " + SECONDS)


class NodeRowSerializer(Keys):
    """One node's init-container and sidecar attempts in the period (to find a bad node or mirror)."""

    node = serializers.CharField(allow_blank=True, help_text="Empty: Pods never scheduled.")
    pods = serializers.IntegerField()
    attempts = serializers.IntegerField()
    failed = serializers.IntegerField()
    failure_rate = serializers.FloatField(allow_null=True)
    duration_p50 = Seconds("Median duration. " + SECONDS)
    duration_p95 = Seconds("95th percentile duration. " + SECONDS)
    pull_count = serializers.IntegerField()
    pull_p50 = Seconds("Median pull time. " + SECONDS)
    pull_p95 = Seconds("95th percentile pull time. " + SECONDS)
    queue_wait_p50 = Seconds("Median wait before the pull started. " + SECONDS)
    already_present = serializers.IntegerField()


class ReportSerializer(Closed):
    since = serializers.DateTimeField(help_text="Start of the period (included).")
    until = serializers.DateTimeField(help_text="End of the period (excluded).")
    source = serializers.ChoiceField(  # type: ignore[assignment]  # a declared field, as in PodLogSerializer
        choices=["raw", "rollup"],
        help_text="`raw`: computed from the stored attempts (percentiles exact); `rollup`: from hourly "
        "rollups.",
    )
    bound = serializers.CharField(
        required=False,
        help_text="Only with `source: rollup`: what the rollups guarantee (counts exact, percentiles within "
        "2% relative error, the period rounded out to whole hours, as `since`/`until` say).",
    )


class InitContainerReportSerializer(ReportSerializer):
    rows = InitContainerRowSerializer(many=True)


class PodStartupReportSerializer(ReportSerializer):
    rows = PodStartupRowSerializer(many=True)


class NodeReportSerializer(ReportSerializer):
    rows = NodeRowSerializer(many=True)


ROW_SERIALIZERS: dict[str, type[Closed]] = {
    reports.INIT_CONTAINERS: InitContainerRowSerializer,
    reports.POD_STARTUP: PodStartupRowSerializer,
    reports.NODES: NodeRowSerializer,
}


def attachment(content: str | bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


class ReportApiView(APIView):
    """A report's view: reads the query parameters with `query`, answers `document(params)` (a period
    error is a 400 on its field) as JSON or, with `format=csv`, `csv(document)` as a download (with
    `json_download`, `format=json` downloads the JSON document). `report`: the download's file name."""

    schema = ApiSchema()
    query: type[serializers.Serializer] = ReportQuerySerializer
    report = ""
    json_download = False

    def document(self, params: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError

    def csv(self, document: dict[str, Any]) -> str:
        raise NotImplementedError

    def get(self, request: Request) -> Response | HttpResponse:
        query = self.query(data=request.query_params)
        query.is_valid(raise_exception=True)
        try:
            # The reader's scope travels with the parameters: every report reads it (`queries.filters_of`).
            document = self.document({**query.validated_data, "scope": scope_of(request)})
        except reports.PeriodError as exc:
            raise ValidationError({exc.field: [str(exc)]})
        form = query.validated_data.get("format")
        if form == "csv" or (form == "json" and self.json_download):
            asked = {k: str(v) for k, v in query.validated_data.items()}
            audit.record(request.user, audit.EXPORT, f"{self.report}.{form}", asked, request=request)
        if form == "csv":
            return attachment(self.csv(document), "text/csv", f"{self.report}.csv")
        if form == "json" and self.json_download:
            return attachment(orjson.dumps(document), "application/json", f"{self.report}.json")
        return Response(document)

    # DRF reads `format` as a renderer choice (a 404 for `csv`): a query that declares it reads it itself.
    def perform_content_negotiation(self, request: Request, force: bool = False) -> Any:
        if "format" not in self.query().fields:
            return super().perform_content_negotiation(request, force)
        renderer = self.get_renderers()[0]
        return (renderer, renderer.media_type)


class _ReportView(ReportApiView):
    def document(self, params: dict[str, Any]) -> dict[str, Any]:
        return reports.report_document(self.report, params)

    def csv(self, document: dict[str, Any]) -> str:
        return reports.csv_text(self.report, document)


def report_schema(
    operation_id: str,
    document: type[Closed],
    query: type[serializers.Serializer] = ReportQuerySerializer,
    csv: str = "With `format=csv`.",
):
    """A report view's OpenAPI description: `query`'s parameters, the `document`, and with `csv` (its
    description) the CSV answer of `format=csv`."""
    responses: dict[Any, Any] = {(200, "application/json"): document}
    if csv:
        responses[(200, "text/csv")] = OpenApiResponse(OpenApiTypes.STR, description=csv)
    return extend_schema(
        operation_id=operation_id,
        parameters=[query],
        responses={**responses, 400: BAD_REQUEST, 401: NOT_AUTHENTICATED},
    )


class InitContainerReportView(_ReportView):
    report = reports.INIT_CONTAINERS

    @report_schema("reports_init_containers", InitContainerReportSerializer)
    def get(self, request: Request) -> Response | HttpResponse:
        """One row per cluster × namespace × workload × init container (sidecars in their own rows):
        attempts, failures and why, durations and pulls of the attempts that started in the period."""
        return super().get(request)


class PodStartupReportView(_ReportView):
    report = reports.POD_STARTUP

    @report_schema("reports_pod_startup", PodStartupReportSerializer)
    def get(self, request: Request) -> Response | HttpResponse:
        """Per workload, the Pods created in the period: created → scheduled, → Initialized, → Ready."""
        return super().get(request)


class NodeReportView(_ReportView):
    report = reports.NODES

    @report_schema("reports_nodes", NodeReportSerializer)
    def get(self, request: Request) -> Response | HttpResponse:
        """Per node, the init-container and sidecar attempts that started in the period: failures,
        durations and image pulls (a bad node or registry mirror stands out)."""
        return super().get(request)
