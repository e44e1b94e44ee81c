"""`GET /api/v1/reports/resources`: per workload × init container, requests and limits, the Pod's effective
request and whether this container sets it, and OOM kills over a period (`pods.reports.resources`,
docs/reports.md "Resources"), as JSON or, with `format=csv`, the same rows as CSV.

The same query parameters, period rules, errors and authentication as the other reports (`pods.api.reports`);
the row serializer's fields are `pods.reports.resources.FIELDS` in the same order (a test holds them).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from pods.api.reports import ReportApiView, ReportSerializer, WorkloadKeys, report_schema
from pods.api.serializers import Closed
from pods.reports import resources

QUANTITIES = "Resource name -> quantity as Kubernetes writes it (`250m`, `512Mi`)."


def Quantities(help_text: str) -> serializers.DictField:  # noqa: N802 - reads like a field class
    return serializers.DictField(child=serializers.CharField(), help_text=help_text + " " + QUANTITIES)


class PodRefSerializer(Closed):
    uid = serializers.CharField()
    name = serializers.CharField(help_text="From the cluster: untrusted text.")


class OomPodSerializer(PodRefSerializer):
    finished_at = serializers.DateTimeField(allow_null=True, help_text="When the OOM-killed attempt ended.")
    exit_code = serializers.IntegerField(allow_null=True, help_text="137 (SIGKILL) as a rule.")


class DominatesSerializer(Closed):
    resource = serializers.CharField()
    request = serializers.CharField(
        help_text="This container's request plus the sidecars started before it: the Pod's init peak."
    )
    app = serializers.CharField(help_text="The app containers' requests plus every sidecar's.")
    margin = serializers.CharField(
        help_text="request − app: how much more the Pod reserves on its node, for its whole life, than its "
        "apps need."
    )


class ResourceRowSerializer(WorkloadKeys):
    """One init container (or native sidecar) of one workload: its resources in the latest Pod of the
    period, the Pod's effective request, and its OOM kills in the period."""

    container = serializers.CharField()
    kind = serializers.ChoiceField(
        choices=["init", "sidecar"], help_text="`sidecar`: an init container with `restartPolicy: Always`."
    )
    pods = serializers.IntegerField(help_text="Pods with an attempt of this container in the period.")
    latest_pod = PodRefSerializer(
        allow_null=True, help_text="The latest created of those Pods: the one whose spec the row shows."
    )
    spec_known = serializers.BooleanField(
        help_text="false: the latest Pod's spec is not stored (known only from Events, or this container is "
        "not in it); requests, limits and the effective request are then empty."
    )
    requests = Quantities("This container's `resources.requests` in the latest Pod.")
    limits = Quantities("This container's `resources.limits` in the latest Pod.")
    varied = serializers.BooleanField(
        help_text="This container's requests or limits differ between the first and the latest Pod of the "
        "period (a rollout changed them)."
    )
    effective_requests = Quantities(
        "The latest Pod's effective request (docs/kubernetes.md §1): max(app containers + sidecars, each "
        "init container + the sidecars before it), pod-level resources for what they name, plus overhead."
    )
    set_by = serializers.DictField(
        child=serializers.ChoiceField(choices=["app", "init", "pod"]),
        help_text="Per resource of `effective_requests`, what sets it: `app` (the app containers and "
        "sidecars), `init` (an init container asks more), `pod` (pod-level `spec.resources`).",
    )
    dominates = DominatesSerializer(
        many=True,
        help_text="The resources whose effective request this init container sets (it asks more than the "
        "apps and sidecars together), with the margin. Empty when it sets none.",
    )
    attempts = serializers.IntegerField(
        help_text="Attempts that started in the period (placeholders included, counted one by one)."
    )
    oom_killed = serializers.IntegerField(
        help_text="Of those, attempts that ended with reason `OOMKilled` (placeholders have no reason)."
    )
    oom_rate = serializers.FloatField(allow_null=True, help_text="oom_killed / attempts; null with none.")
    memory_limit = serializers.CharField(
        allow_null=True, help_text="This container's memory limit in the latest Pod; null: none set."
    )
    last_oom_pods = OomPodSerializer(
        many=True, help_text="Up to 5 Pods of the newest OOM-killed attempts, newest first."
    )


class ResourceReportSerializer(ReportSerializer):
    rows = ResourceRowSerializer(many=True)


class ResourceReportView(ReportApiView):
    report = resources.RESOURCES

    @report_schema("reports_resources", ResourceReportSerializer)
    def get(self, request: Request) -> Response | HttpResponse:
        """One row per cluster × namespace × workload × init container (sidecars in their own rows):
        requests and limits, the Pod's effective request and whether this container sets it (the Pod
        reserves more than its apps need), and OOM kills in the period against the memory limit."""
        return super().get(request)

    def document(self, params: dict[str, Any]) -> dict[str, Any]:
        return resources.resources_document(params)

    def csv(self, document: dict[str, Any]) -> str:
        return resources.csv_text(document)
