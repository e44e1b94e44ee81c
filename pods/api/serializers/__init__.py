"""The API's shapes: one serializer per JSON object the endpoints return, the only copy of each shape.

The documents themselves are built elsewhere (`pods.timeline.timeline_document`, `pods.selectors`,
the watch health read model); these classes describe them for the OpenAPI schema (drf-spectacular reads
them, `pods.api.schema` closes every object with `additionalProperties: false`) and `docs/api.md`'s
reference is rendered from that schema (`python manage.py api_docs`). A test validates real responses of
every endpoint against the schema, so a field added on either side without the other fails it.

Conventions: times are RFC 3339 UTC strings ending in `Z`, or null when unknown (`Time`); strings that come
from the cluster are untrusted (escape them when you render them).

- `fields`: closed objects, times, strings, owners, the error body;
- `documents`: a Pod's summary and timeline document; `describe`: its spec facts and controller;
- `lists`: pages and query parameters of the list endpoints, workloads;
- `logs`: a container's log answer; `clusters`: watch health.
"""

from pods.api.serializers.clusters import (
    ClusterHealthSerializer,
    ClusterListSerializer,
    WatchStreamSerializer,
)
from pods.api.serializers.describe import (
    ContainerSpecSerializer,
    JobFactsSerializer,
    MountSerializer,
    ObjectRefSerializer,
    PodSpecSerializer,
    PodWorkloadSerializer,
    ProbeSerializer,
    Quantities,
    RolloutSerializer,
    SiblingSerializer,
    VolumeSerializer,
)
from pods.api.serializers.documents import (
    AttemptSerializer,
    ConditionSerializer,
    ContainerSerializer,
    DiagnosisSerializer,
    EventSerializer,
    GenerationSerializer,
    InvolvedSerializer,
    PodDocumentSerializer,
    PodFieldsSerializer,
    PodSummarySerializer,
    PullSerializer,
    ResourcesSerializer,
    RestartRuleSerializer,
    SignalSerializer,
    StepSerializer,
    WaitingSerializer,
)
from pods.api.serializers.fields import (
    UNTRUSTED,
    Closed,
    ErrorSerializer,
    OwnerSerializer,
    Text,
    Time,
)
from pods.api.serializers.lists import (
    ListQuerySerializer,
    PageSerializer,
    PodListQuerySerializer,
    PodPageSerializer,
    WorkloadDiagnosisSerializer,
    WorkloadListQuerySerializer,
    WorkloadPageSerializer,
    WorkloadSerializer,
)
from pods.api.serializers.logs import (
    LogAttemptSerializer,
    PodLogSerializer,
)

__all__ = [
    "AttemptSerializer",
    "Closed",
    "ClusterHealthSerializer",
    "ClusterListSerializer",
    "ConditionSerializer",
    "ContainerSerializer",
    "ContainerSpecSerializer",
    "DiagnosisSerializer",
    "ErrorSerializer",
    "EventSerializer",
    "GenerationSerializer",
    "InvolvedSerializer",
    "JobFactsSerializer",
    "ListQuerySerializer",
    "LogAttemptSerializer",
    "MountSerializer",
    "ObjectRefSerializer",
    "OwnerSerializer",
    "PageSerializer",
    "PodDocumentSerializer",
    "PodFieldsSerializer",
    "PodListQuerySerializer",
    "PodLogSerializer",
    "PodPageSerializer",
    "PodSpecSerializer",
    "PodSummarySerializer",
    "PodWorkloadSerializer",
    "ProbeSerializer",
    "PullSerializer",
    "Quantities",
    "ResourcesSerializer",
    "RestartRuleSerializer",
    "RolloutSerializer",
    "SiblingSerializer",
    "SignalSerializer",
    "StepSerializer",
    "Text",
    "Time",
    "UNTRUSTED",
    "VolumeSerializer",
    "WaitingSerializer",
    "WatchStreamSerializer",
    "WorkloadDiagnosisSerializer",
    "WorkloadListQuerySerializer",
    "WorkloadPageSerializer",
    "WorkloadSerializer",
]
