"""`GET /api/v1/reports/init-containers/trend` and `.../pods`: one init-container row of the report over
its period, per hour or day (`pods.reports.trend`), and the Pods behind it, the slowest or the failed ones
(`pods.reports.drill`), each with its uid for its waterfall (docs/reports.md, "Trend and Pods").

Same filters, period and authentication as the reports (`pods.api.reports`); the serializers here are the one
description of these shapes.
"""

from __future__ import annotations

from django.http import HttpResponse
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from pods.api.reports import (
    SECONDS,
    ReportApiView,
    ReportQuerySerializer,
    ReportSerializer,
    Seconds,
    report_schema,
)
from pods.api.serializers import Closed, Text, Time
from pods.reports import drill as drill_
from pods.reports import trend as trend_


class _RowQuerySerializer(ReportQuerySerializer):
    # JSON only, and from raw rows only (a row's Pods and its exact percentiles per bucket). DRF drops an
    # inherited declared field set to None; mypy sees the parent's Field attribute typed otherwise.
    format = None  # type: ignore[assignment]
    source = None  # type: ignore[assignment]


class TrendQuerySerializer(_RowQuerySerializer):
    bucket = serializers.ChoiceField(
        choices=list(trend_.BUCKETS),
        required=False,
        allow_blank=True,
        help_text="`hour` or `day` (UTC). Default: hours for a period up to 3 days, days beyond; at most "
        f"{trend_.MAX_BUCKETS} buckets.",
    )


class RowPodsQuerySerializer(_RowQuerySerializer):
    order = serializers.ChoiceField(
        choices=list(drill_.ORDERS),
        required=False,
        allow_blank=True,
        help_text="`slowest` (default): by the container's longest attempt, longest first. `failed`: Pods "
        "with a failed attempt, the most recent failure first.",
    )
    limit = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=drill_.MAX_LIMIT,
        help_text=f"How many Pods (default {drill_.DEFAULT_LIMIT}).",
    )


class TrendBucketSerializer(Closed):
    start = serializers.DateTimeField(help_text="Start of the UTC hour or day.")
    attempts = serializers.IntegerField(help_text="Attempts that started in it (placeholders included).")
    failed = serializers.IntegerField(help_text="As the report's `failed`.")
    failure_rate = serializers.FloatField(allow_null=True, help_text="failed / finished; null with none.")
    duration_p50 = Seconds("Median duration (exact over raw rows). " + SECONDS)
    duration_p95 = Seconds("95th percentile duration (exact over raw rows). " + SECONDS)


class TrendSerializer(ReportSerializer):
    bucket = serializers.ChoiceField(choices=list(trend_.BUCKETS))
    buckets = TrendBucketSerializer(many=True, help_text="Every bucket of the period, oldest first.")


class FailureSerializer(Closed):
    """A failed attempt, or a run of placeholders (`known` false: `count` restarts, no details)."""

    generation = serializers.IntegerField()
    number = serializers.IntegerField()
    known = serializers.BooleanField()
    count = serializers.IntegerField()
    reason = Text("`Error`, `OOMKilled`, `StartError`, ...; empty for placeholders.")
    exit_code = serializers.IntegerField(allow_null=True)
    message = Text("The termination message (untrusted; up to 1000 characters).")
    started_at = Time("Its usable start; null when unknown.")
    finished_at = Time()


class RowPodSerializer(Closed):
    """One Pod's attempts of the row's container in the period."""

    cluster = serializers.CharField()
    namespace = serializers.CharField()
    pod = serializers.CharField(help_text="The Pod's name.")
    uid = serializers.CharField(help_text="The Pod's uid: its page is `/pods/<uid>/?cluster=<cluster>`.")
    node = Text()
    workload_kind = serializers.CharField()
    workload = serializers.CharField()
    container = serializers.CharField()
    kind = serializers.ChoiceField(choices=["init", "sidecar"])
    created_at = Time()
    deleted_at = Time()
    attempts = serializers.IntegerField()
    failed = serializers.IntegerField()
    longest = Seconds("The container's longest attempt duration in the period. " + SECONDS)
    longest_started_at = Time("When that attempt started.")
    failures = FailureSerializer(
        many=True, help_text=f"Up to {drill_.FAILURES_SHOWN} failed attempts, the most recent first."
    )


class RowPodsSerializer(ReportSerializer):
    order = serializers.ChoiceField(choices=list(drill_.ORDERS))
    total = serializers.IntegerField(help_text="How many Pods qualify (before `limit`).")
    pods = RowPodSerializer(many=True)


class InitContainerTrendView(ReportApiView):
    query = TrendQuerySerializer

    def document(self, params: dict) -> dict:
        return trend_.trend_document(params)

    @report_schema("reports_init_containers_trend", TrendSerializer, TrendQuerySerializer, csv="")
    def get(self, request: Request) -> Response | HttpResponse:
        """An init-container row per hour or day: attempts, failed, failure rate, p50/p95 duration (the
        report's definitions; an attempt in the bucket it started in). Name the row with `cluster`,
        `namespace`, `workload` (`Kind/name`) and `container`; fewer filters merge the rows they select."""
        return super().get(request)


class InitContainerPodsView(ReportApiView):
    query = RowPodsQuerySerializer

    def document(self, params: dict) -> dict:
        return drill_.pods_document(params)

    @report_schema("reports_init_containers_pods", RowPodsSerializer, RowPodsQuerySerializer, csv="")
    def get(self, request: Request) -> Response | HttpResponse:
        """The Pods of an init-container row: the slowest (its longest attempt) or the failed ones (their
        failed attempts: reason, exit code, message, when), each with its uid."""
        return super().get(request)
