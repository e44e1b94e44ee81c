"""Pages of the list endpoints and their query parameters; workloads."""

from __future__ import annotations

from rest_framework import serializers

from pods.api.serializers.documents import PodSummarySerializer
from pods.api.serializers.fields import UNTRUSTED, Closed, Time
from pods.timeline.model import WORKLOAD_DIAGNOSIS_CODES


# One page of a list endpoint (`pods.api.views._page`); a subclass names what `results` holds (`items`,
# for `count`'s description) and declares `results`. No docstring, as for `Closed`.
class PageSerializer(Closed):
    count = serializers.IntegerField()
    page = serializers.IntegerField()
    pages = serializers.IntegerField()
    next = serializers.URLField(allow_null=True, help_text="The next page's URL, or null on the last.")
    previous = serializers.URLField(
        allow_null=True, help_text="The previous page's URL, or null on the first."
    )

    items = ""

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        fields["count"].help_text = f"{self.items} matching the filters."
        return fields


class ListQuerySerializer(serializers.Serializer):
    """The query parameters every list endpoint takes (validated by the view, documented from here)."""

    cluster = serializers.CharField(required=False, allow_blank=True)
    namespace = serializers.CharField(required=False, allow_blank=True)
    stuck = serializers.BooleanField(required=False, allow_null=True, default=None)
    page = serializers.IntegerField(required=False, min_value=1, default=1)
    page_size = serializers.IntegerField(required=False, min_value=1, max_value=500, default=50)


class PodPageSerializer(PageSerializer):
    items = "Pods"
    results = PodSummarySerializer(many=True)


class PodListQuerySerializer(ListQuerySerializer):
    """The query parameters of `GET /api/v1/pods` (validated by the view, documented from here)."""

    workload = serializers.CharField(
        required=False, allow_blank=True, help_text="`name` or `Kind/name`, e.g. `Deployment/api`."
    )
    status = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text="kubectl STATUS, case-insensitive and by prefix (`init:` matches `Init:0/2` and "
        "`Init:CrashLoopBackOff`); several comma-separated, e.g. `Init:CrashLoopBackOff,Init:Error`.",
    )
    failed = serializers.BooleanField(required=False, allow_null=True, default=None)
    search = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text="Substring (case-insensitive) of the name, namespace, workload, a container's name or the "
        "diagnosis (code and text).",
    )


class WorkloadDiagnosisSerializer(Closed):
    code = serializers.ChoiceField(
        choices=list(WORKLOAD_DIAGNOSIS_CODES),
        help_text="`create-failed`: the controller cannot create the Pods it should (its newest "
        "`FailedCreate` Event is newer than its newest `SuccessfulCreate` and its newest Pod, and at most an "
        "hour old): an exceeded quota, an admission webhook's denial, a Pod Security violation, a missing "
        "ServiceAccount.",
    )
    summary = serializers.CharField(help_text="One line with the Event's message. " + UNTRUSTED)
    since = Time("The first FailedCreate of the current run.")


class WorkloadSerializer(Closed):
    """A workload seen through its Pods' owners or through Events about it (a ReplicaSet's are its
    Deployment's, a Job's its CronJob's)."""

    cluster = serializers.CharField()
    kind = serializers.CharField(help_text="`Deployment`, `StatefulSet`, `DaemonSet`, `Job`, `CronJob`, ...")
    namespace = serializers.CharField()
    name = serializers.CharField()
    pods = serializers.IntegerField(help_text="Its Pods that are not deleted.")
    pods_by_status = serializers.DictField(
        child=serializers.IntegerField(), help_text="Those Pods per kubectl STATUS, most first."
    )
    stuck = serializers.BooleanField(help_text="It has a diagnosis: Pods that should exist do not.")
    diagnosis = WorkloadDiagnosisSerializer(allow_null=True)
    live = serializers.BooleanField(help_text="As for Pods: false for a recording, judged at `as_of`.")
    as_of = serializers.DateTimeField(help_text="The moment this answer is judged at.")


class WorkloadPageSerializer(PageSerializer):
    items = "Workloads"
    results = WorkloadSerializer(many=True)


class WorkloadListQuerySerializer(ListQuerySerializer):
    """The query parameters of `GET /api/v1/workloads`."""
