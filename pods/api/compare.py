"""`GET /api/v1/reports/init-containers/compare`: the init-containers report of two periods side by side
(or of the image tags of one period), the change and the regressions (`pods.reports.compare`,
docs/reports.md "Compare"). The serializers here are the one description of its shape.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.http import HttpResponse
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from pods.api.reports import (
    PERIOD_FORMS,
    SECONDS,
    P,
    QueryText,
    Rate,
    ReportApiView,
    ReportQuerySerializer,
    Seconds,
    report_schema,
)
from pods.api.serializers import Closed
from pods.reports import compare
from pods.reports.period import HELP as PERIOD_HELP


class CompareQuerySerializer(ReportQuerySerializer):
    """The filters of the init-containers report, the two periods (or one, by image), the thresholds."""

    by = serializers.ChoiceField(
        choices=[compare.BY_PERIOD, compare.BY_IMAGE],
        required=False,
        help_text="`period` (default): period A against period B. `image`: within one period (`since`, "
        "`until`), each image tag of a container against the tag rolled out before it.",
    )
    a_since = QueryText(
        "Start of period A, the one before (default: as long before `b_since` as B lasts). " + PERIOD_HELP
    )
    a_until = QueryText("End of period A (excluded; default: `b_since`). " + PERIOD_FORMS)
    b_since = QueryText(
        "Start of period B, the one after (default: 7 days before `b_until`). " + PERIOD_FORMS
    )
    b_until = QueryText("End of period B (excluded; default: now). " + PERIOD_FORMS)
    threshold_p95 = serializers.FloatField(
        required=False,
        min_value=0,
        help_text="A regression: B's p95 more than this many percent above A's (default 20).",
    )
    threshold_failure_rate = serializers.FloatField(
        required=False,
        min_value=0,
        max_value=100,
        help_text="A regression: B's failure rate more than this many points above A's (default 5).",
    )
    min_attempts = serializers.IntegerField(
        required=False,
        min_value=1,
        help_text="Attempts each side needs before a change is flagged (default 10): 1 failure of 2 is no "
        "regression.",
    )

    def thresholds(self) -> compare.Thresholds:
        return thresholds(self.validated_data)


def thresholds(params: dict[str, Any]) -> compare.Thresholds:
    """The thresholds of validated query parameters, the defaults for those not given."""
    return compare.Thresholds(
        p95=params.get("threshold_p95", compare.DEFAULT_THRESHOLD_P95),
        failure_rate=params.get("threshold_failure_rate", compare.DEFAULT_THRESHOLD_FAILURE_RATE),
        min_attempts=params.get("min_attempts", compare.DEFAULT_MIN_ATTEMPTS),
    )


def Count(help_text: str = "") -> serializers.IntegerField:  # noqa: N802 - reads like a field class
    return serializers.IntegerField(allow_null=True, help_text=help_text)


def _compare_fields() -> dict[str, serializers.Field]:
    """The compare row's fields in `compare.FIELDS` order (a test holds them together)."""
    side = {"a": "Period A (or the earlier image)", "b": "Period B (or the later image)"}
    fields: dict[str, serializers.Field] = {
        "cluster": serializers.CharField(),
        "namespace": serializers.CharField(),
        "workload_kind": serializers.CharField(help_text="`Pod` for a Pod without an owner."),
        "workload": serializers.CharField(),
        "container": serializers.CharField(),
        "kind": serializers.ChoiceField(choices=["init", "sidecar"]),
        "a_image": serializers.CharField(
            allow_null=True, help_text="`by=image`: the earlier tag; else null."
        ),
        "b_image": serializers.CharField(allow_null=True, help_text="`by=image`: the later tag; else null."),
        "presence": serializers.ChoiceField(
            choices=[compare.BOTH, compare.ONLY_A, compare.ONLY_B],
            help_text="`both`; `a`: only in period A (gone); `b`: only in period B (new; by image: one tag "
            "only, nothing to compare with).",
        ),
    }
    for s in ("a", "b"):
        fields[f"{s}_pods"] = Count(f"{side[s]}: Pods with an attempt; null without a row.")
    for s in ("a", "b"):
        fields[f"{s}_attempts"] = Count(f"{side[s]}: attempts.")
    fields["attempts_change"] = Count("b_attempts − a_attempts; null unless both.")
    for s in ("a", "b"):
        fields[f"{s}_failed"] = Count(f"{side[s]}: failed attempts.")
    for s in ("a", "b"):
        fields[f"{s}_failure_rate"] = Rate(f"{side[s]}: failed / finished.")
    fields["failure_rate_change_points"] = Rate("The failure rate's change in percentage points.")
    for name in compare.DURATIONS:
        for s in ("a", "b"):
            fields[f"{s}_{name}"] = Seconds(f"{side[s]}: {name.replace('duration_', '')} " + P)
    for name in compare.DURATIONS:
        fields[f"{name}_change"] = Seconds("b − a. " + SECONDS)
        fields[f"{name}_change_pct"] = Rate("(b − a) / a in percent; null when a is 0 or either is null.")
    fields["regression_p95"] = serializers.BooleanField(
        help_text="B's p95 more than `threshold_p95` percent above A's (both with `min_attempts`)."
    )
    fields["regression_failure_rate"] = serializers.BooleanField(
        help_text="B's failure rate more than `threshold_failure_rate` points above A's (both with "
        "`min_attempts`)."
    )
    fields["regression"] = serializers.BooleanField(help_text="Either regression.")
    return fields


CompareRowSerializer = type(
    "CompareRowSerializer",
    (Closed,),
    {
        **_compare_fields(),
        "__doc__": "One init container (or sidecar) of one workload in both periods, with the change.",
        "__module__": __name__,
    },
)


class CompareSideSerializer(Closed):
    since = serializers.DateTimeField(help_text="Start (included; from rollups: rounded down to the hour).")
    until = serializers.DateTimeField(help_text="End (excluded; from rollups: rounded up to the hour).")
    source = serializers.ChoiceField(  # type: ignore[assignment]  # a declared field, as in PodLogSerializer
        choices=["raw", "rollup"],
        help_text="Which rows answered this side: as in the init-containers report (`by=image`: raw).",
    )
    bound = serializers.CharField(
        required=False, help_text="Only with `source: rollup`: what the rollups guarantee (as in the report)."
    )


class CompareSerializer(Closed):
    by = serializers.ChoiceField(choices=[compare.BY_PERIOD, compare.BY_IMAGE])
    a = CompareSideSerializer(help_text="Period A (by image: the one period).")
    b = CompareSideSerializer(help_text="Period B (by image: the one period).")
    threshold_p95 = serializers.FloatField(help_text="Percent.")
    threshold_failure_rate = serializers.FloatField(help_text="Points.")
    min_attempts = serializers.IntegerField()
    regressions = serializers.IntegerField(help_text="Rows flagged `regression`.")
    rows = CompareRowSerializer(many=True, help_text="Regressions first, then by key.")


class CompareView(ReportApiView):
    query = CompareQuerySerializer
    report = "init-containers-compare"

    def document(self, params: dict[str, Any]) -> dict[str, Any]:
        return compare.compare_document(params, datetime.now(UTC), thresholds=thresholds(params))

    def csv(self, document: dict[str, Any]) -> str:
        return compare.csv_rows(document["rows"])

    @report_schema(
        "reports_init_containers_compare",
        CompareSerializer,
        CompareQuerySerializer,
        csv="With `format=csv`: the rows.",
    )
    def get(self, request: Request) -> Response | HttpResponse:
        """The init-containers rows of two periods side by side (or, `by=image`, of each image tag against
        the one before it), with the change of each figure and regressions flagged: p95 up by more than
        `threshold_p95` percent, or the failure rate up by more than `threshold_failure_rate` points."""
        return super().get(request)
