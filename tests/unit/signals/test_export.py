"""The edge of the traces (pods.signals.export): the SDK's spans carry the builder's ids, times, parents,
statuses and events as OTLP encodes them, and the resource keeps the Kubernetes attributes first."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans

from pods.signals.export import readable_spans
from pods.signals.traces import build_trace
from tests.unit.signals.states import UID, at, ready_pod


def nanos(moment: datetime) -> int:
    """Nanoseconds since the epoch, computed without floats."""
    return (moment - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1) * 1000


def _attributes(key_values) -> dict:
    return {kv.key: getattr(kv.value, kv.value.WhichOneof("value")) for kv in key_values}


def test_the_otlp_request_holds_the_builders_spans(monkeypatch):
    monkeypatch.setenv("OTEL_RESOURCE_ATTRIBUTES", "k8s.cluster.name=other,deployment.environment.name=prod")
    trace = build_trace(ready_pod(), cluster="prod")
    request = encode_spans(readable_spans(trace))
    (resource_spans,) = request.resource_spans
    resource = _attributes(resource_spans.resource.attributes)
    assert resource["k8s.cluster.name"] == "prod", "the environment cannot rename the cluster"
    assert resource["deployment.environment.name"] == "prod", "but adds to the resource"
    assert (resource["service.name"], resource["k8s.pod.uid"]) == ("initscope", UID)
    (scope_spans,) = resource_spans.scope_spans
    sent = {span.span_id.hex(): span for span in scope_spans.spans}
    assert len(sent) == len(trace.spans)
    for span in trace.spans:
        got = sent[span.span_id]
        assert got.trace_id.hex() == trace.trace_id
        assert got.parent_span_id.hex() == span.parent_id
        assert got.name == span.name
        assert (got.start_time_unix_nano, got.end_time_unix_nano) == (
            nanos(span.start_at),
            nanos(span.end_at),
        )
        assert got.status.code == {"unset": 0, "ok": 1, "error": 2}[span.status]
        assert _attributes(got.attributes) == span.attributes
    root = sent[trace.root.span_id]
    assert root.end_time_unix_nano == nanos(at(25))
    assert [(e.name, e.time_unix_nano) for e in root.events][1] == (
        "PodScheduled",
        nanos(at(1)),
    )
    failed = sent[next(s.span_id for s in trace.spans if s.key == "container/migrate/attempt/0/0")]
    assert (failed.status.code, failed.status.message) == (2, "Error")
