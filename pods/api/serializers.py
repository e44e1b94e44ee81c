"""Serializers that document the API's shapes for the OpenAPI schema and validate query parameters.

The documents themselves are built by `pods.timeline.timeline_document` / `pods.selectors.pod_summary`;
these classes describe them (drf-spectacular reads them) rather than rebuilding them field by field.
"""

from rest_framework import serializers

from pods.timeline import DIAGNOSIS_CODES


class OwnerSerializer(serializers.Serializer):
    kind = serializers.CharField()
    name = serializers.CharField()


class DiagnosisSerializer(serializers.Serializer):
    code = serializers.ChoiceField(choices=list(DIAGNOSIS_CODES))
    container = serializers.CharField(allow_blank=True)
    summary = serializers.CharField()
    since = serializers.DateTimeField(allow_null=True)


class StepSerializer(serializers.Serializer):
    name = serializers.CharField()
    container = serializers.CharField(allow_blank=True)
    since = serializers.DateTimeField(allow_null=True)
    label = serializers.CharField()


class PullSerializer(serializers.Serializer):
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
    pull_seconds = serializers.FloatField(allow_null=True)
    wait_seconds = serializers.FloatField(allow_null=True)
    image_bytes = serializers.IntegerField(allow_null=True)
    already_present = serializers.BooleanField()


class AttemptSerializer(serializers.Serializer):
    number = serializers.IntegerField(help_text="The container's restartCount while this attempt ran.")
    generation = serializers.IntegerField(help_text="Init generation; grows when the sandbox is recreated.")
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
    exit_code = serializers.IntegerField(allow_null=True)
    reason = serializers.CharField(allow_blank=True)
    message = serializers.CharField(allow_blank=True, help_text="Termination message (untrusted text).")
    signal = serializers.IntegerField(allow_null=True)
    known = serializers.BooleanField(help_text="False: restartCount proves it happened; details unknown.")


class ContainerSerializer(serializers.Serializer):
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=["init", "sidecar", "app"])
    index = serializers.IntegerField()
    image = serializers.CharField()
    restart_count = serializers.IntegerField()
    state = serializers.CharField(allow_blank=True)
    state_reason = serializers.CharField(allow_blank=True)
    pull = PullSerializer(allow_null=True)
    attempts = AttemptSerializer(many=True)


class EventSerializer(serializers.Serializer):
    type = serializers.CharField()
    reason = serializers.CharField()
    message = serializers.CharField(help_text="Untrusted text from the cluster.")
    count = serializers.IntegerField()
    first_at = serializers.DateTimeField(allow_null=True)
    last_at = serializers.DateTimeField(allow_null=True)
    container = serializers.CharField(allow_blank=True)


class PodSummarySerializer(serializers.Serializer):
    cluster = serializers.CharField()
    uid = serializers.CharField()
    namespace = serializers.CharField()
    name = serializers.CharField()
    owner = OwnerSerializer(allow_null=True)
    node = serializers.CharField(allow_blank=True)
    phase = serializers.CharField(allow_blank=True)
    status = serializers.CharField(help_text="kubectl's STATUS column.")
    restarts = serializers.IntegerField(help_text="kubectl's RESTARTS column.")
    created_at = serializers.DateTimeField(allow_null=True)
    deleted_at = serializers.DateTimeField(allow_null=True)
    step = serializers.CharField(allow_blank=True)
    step_since = serializers.DateTimeField(allow_null=True)
    stuck = serializers.BooleanField()
    diagnosis = DiagnosisSerializer(allow_null=True)


class PodDocumentSerializer(serializers.Serializer):
    cluster = serializers.CharField()
    uid = serializers.CharField()
    namespace = serializers.CharField()
    name = serializers.CharField()
    owner = OwnerSerializer(allow_null=True)
    node = serializers.CharField(allow_blank=True)
    restart_policy = serializers.CharField()
    phase = serializers.CharField(allow_blank=True)
    status = serializers.CharField()
    restarts = serializers.IntegerField()
    created_at = serializers.DateTimeField(allow_null=True)
    scheduled_at = serializers.DateTimeField(allow_null=True)
    initialized_at = serializers.DateTimeField(allow_null=True)
    ready_at = serializers.DateTimeField(allow_null=True)
    deleted_at = serializers.DateTimeField(allow_null=True)
    stuck = serializers.BooleanField()
    diagnosis = DiagnosisSerializer(allow_null=True)
    step = StepSerializer()
    containers = ContainerSerializer(many=True)
    events = EventSerializer(many=True)


class PodListQuerySerializer(serializers.Serializer):
    cluster = serializers.CharField(required=False, allow_blank=True)
    namespace = serializers.CharField(required=False, allow_blank=True)
    workload = serializers.CharField(required=False, allow_blank=True, help_text="`name` or `Kind/name`.")
    status = serializers.CharField(
        required=False, allow_blank=True, help_text="STATUS text(s), comma-separated."
    )
    stuck = serializers.BooleanField(required=False, allow_null=True, default=None)
    search = serializers.CharField(required=False, allow_blank=True)
    page = serializers.IntegerField(required=False, min_value=1, default=1)
    page_size = serializers.IntegerField(required=False, min_value=1, max_value=500, default=50)
