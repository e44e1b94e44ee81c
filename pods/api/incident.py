"""`GET /api/v1/reports/incident`: the incident report of one workload over a period (`pods.reports.incident`,
docs/reports.md "Incident report"), as JSON, or with `format=json` the same document as a download. The
serializers here are the one description of its shape.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.http import HttpResponse
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from pods.api.reports import PERIOD_FORMS, SECONDS, QueryText, Rate, ReportApiView, Seconds, report_schema
from pods.api.serializers import Closed, Time
from pods.reports import incident
from pods.reports.period import HELP as PERIOD_HELP


class IncidentQuerySerializer(serializers.Serializer):
    cluster = serializers.CharField(help_text="The workload's cluster.")
    namespace = serializers.CharField(help_text="The workload's namespace.")
    workload = serializers.CharField(
        help_text="`Kind/name`, e.g. `Deployment/api` (`Pod/name`: a Pod without an owner), or `name`."
    )
    since = QueryText(
        "Start (included; default: 24 hours before `until`). " + PERIOD_HELP + " For a recorded "
        "cluster, relative times count from the end of its data."
    )
    until = QueryText(
        "End (excluded; default: the cluster's now, for a recording the end of its data). " + PERIOD_FORMS
    )
    slowest = serializers.IntegerField(
        required=False,
        min_value=0,
        max_value=incident.MAX_SLOWEST,
        help_text=f"How many of the slowest Pods to name (default {incident.DEFAULT_SLOWEST}).",
    )
    format = serializers.ChoiceField(
        choices=["json"], required=False, help_text="`json`: the same document as a download (an attachment)."
    )


class IncidentSummarySerializer(Closed):
    pods = serializers.IntegerField(help_text="Pods with an init-container or sidecar attempt in the period.")
    pods_affected = serializers.IntegerField(help_text="Pods with a failed attempt or a Warning Event.")
    attempts = serializers.IntegerField()
    failed = serializers.IntegerField()
    failure_rate = Rate("failed / finished attempts; null with none finished.")
    duration_p50 = Seconds("Median duration, all init containers and sidecars together. " + SECONDS)
    duration_p95 = Seconds("95th percentile duration, all together. " + SECONDS)
    first_failure_at = Time("The end of the first known failed attempt.")
    last_failure_at = Time("The end of the last known failed attempt.")


class IncidentContainerSerializer(Closed):
    container = serializers.CharField()
    kind = serializers.ChoiceField(choices=["init", "sidecar"])
    pods = serializers.IntegerField()
    attempts = serializers.IntegerField()
    failed = serializers.IntegerField()
    failure_rate = Rate()
    duration_p50 = Seconds("Median. " + SECONDS)
    duration_p95 = Seconds("95th percentile. " + SECONDS)
    duration_max = Seconds("Longest. " + SECONDS)
    attempts_per_bucket = serializers.ListField(
        child=serializers.IntegerField(), help_text="Attempts per bucket (`buckets`)."
    )
    failed_per_bucket = serializers.ListField(
        child=serializers.IntegerField(), help_text="Failed attempts per bucket."
    )


class IncidentReasonSerializer(Closed):
    container = serializers.CharField()
    reason = serializers.CharField(allow_blank=True, help_text="Termination reason (untrusted).")
    exit_code = serializers.IntegerField(allow_null=True)
    message = serializers.CharField(allow_blank=True, help_text="Termination message (untrusted).")
    count = serializers.IntegerField()
    pods = serializers.IntegerField()
    first_at = Time()
    last_at = Time()


class IncidentEventSerializer(Closed):
    container = serializers.CharField(allow_blank=True, help_text="Empty: about the Pod.")
    reason = serializers.CharField(allow_blank=True)
    message = serializers.CharField(allow_blank=True, help_text="Untrusted.")
    count = serializers.IntegerField(help_text="The Events' counts summed.")
    pods = serializers.IntegerField()
    first_at = Time()
    last_at = Time()


class IncidentPodSerializer(Closed):
    uid = serializers.CharField()
    name = serializers.CharField()
    node = serializers.CharField(allow_blank=True)
    status = serializers.CharField(allow_blank=True, help_text="kubectl STATUS as last seen.")
    created_at = Time()
    initialized_at = Time()
    deleted_at = Time()
    startup_seconds = Seconds(
        "created → Initialized; never Initialized: until its deletion or the end of the period. " + SECONDS
    )
    initialized = serializers.BooleanField()
    attempts = serializers.IntegerField()
    failed = serializers.IntegerField()
    warnings = serializers.IntegerField(help_text="Warning Events (counts summed) in the period.")
    first_failure_at = Time()
    last_failure_at = Time()


class IncidentSerializer(Closed):
    cluster = serializers.CharField()
    namespace = serializers.CharField()
    workload_kind = serializers.CharField(allow_blank=True, help_text="Empty when asked by name only.")
    workload = serializers.CharField()
    since = serializers.DateTimeField()
    until = serializers.DateTimeField()
    source = serializers.ChoiceField(choices=["raw"])  # type: ignore[assignment]  # a declared field, as in logs
    bucket_seconds = serializers.IntegerField(help_text="The length of a bucket of the failures timeline.")
    buckets = serializers.ListField(child=serializers.DateTimeField(), help_text="Each bucket's start.")
    summary = IncidentSummarySerializer()
    containers = IncidentContainerSerializer(many=True)
    reasons = IncidentReasonSerializer(many=True, help_text="Most frequent first (at most 50).")
    events = IncidentEventSerializer(many=True, help_text="Warning Events, most frequent first (at most 50).")
    pods = IncidentPodSerializer(many=True, help_text="Affected Pods first, then by creation.")
    slowest = serializers.ListField(child=serializers.CharField(), help_text="uids, slowest first.")


class IncidentView(ReportApiView):
    query = IncidentQuerySerializer
    report = "incident"
    json_download = True

    def document(self, params: dict[str, Any]) -> dict[str, Any]:
        return incident.incident_report(params, datetime.now(UTC))

    @report_schema("reports_incident", IncidentSerializer, IncidentQuerySerializer, csv="")
    def get(self, request: Request) -> Response | HttpResponse:
        """One workload over a period: what failed, when and how often (per init container and bucket),
        the reasons with exit codes and termination messages, the Warning Events, the Pods affected and
        the slowest ones."""
        return super().get(request)
