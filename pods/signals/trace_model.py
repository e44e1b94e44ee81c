"""What a Pod startup's trace is made of (pods.signals.traces builds it): the startup's end, spans and
their events, the trace with its resource, and the deterministic ids.

Ids: the trace id is the first 16 bytes of sha256("<uid>:<generation>"), each span id the first 8 bytes
of sha256(trace id + the span's key), so exporting a startup again replaces it on backends that key
spans by id instead of adding a copy.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, NamedTuple

from pods.timeline.times import format_time, parse_time

SERVICE_NAME = "initscope"
Outcome = Literal["ready", "failed", "succeeded", "deleted"]
AttributeValue = str | bool | int | float
Attributes = dict[str, AttributeValue]
StatusCode = Literal["unset", "ok", "error"]

# OpenTelemetry's Kubernetes semantic conventions: the workload attribute of each controller kind.
WORKLOAD_ATTRIBUTES = {
    "Deployment": "k8s.deployment.name",
    "ReplicaSet": "k8s.replicaset.name",
    "StatefulSet": "k8s.statefulset.name",
    "DaemonSet": "k8s.daemonset.name",
    "Job": "k8s.job.name",
    "CronJob": "k8s.cronjob.name",
}


class StartupEnd(NamedTuple):
    """How and when a startup ended: `at` is an API time (see `startup_end`)."""

    generation: int
    outcome: Outcome
    at: datetime


@dataclass(frozen=True, slots=True)
class SpanEvent:
    name: str
    at: datetime
    attributes: Attributes = field(default_factory=dict)


@dataclass(slots=True)
class Span:
    """One span: `key` names it within its trace (the span id is derived from it)."""

    key: str
    name: str
    span_id: str  # 16 hex digits
    parent_id: str  # "" for the root
    start_at: datetime
    end_at: datetime
    attributes: Attributes = field(default_factory=dict)
    events: list[SpanEvent] = field(default_factory=list)
    status: StatusCode = "unset"
    status_message: str = ""


@dataclass(slots=True)
class StartupTrace:
    """A startup's trace: its id (32 hex digits), the resource attributes and the spans (root first)."""

    trace_id: str
    resource: Attributes
    spans: list[Span]

    @property
    def root(self) -> Span:
        return self.spans[0]

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types (the Celery task's message)."""
        return {
            "trace_id": self.trace_id,
            "resource": dict(self.resource),
            "spans": [
                {
                    "key": s.key,
                    "name": s.name,
                    "span_id": s.span_id,
                    "parent_id": s.parent_id,
                    "start_at": format_time(s.start_at),
                    "end_at": format_time(s.end_at),
                    "attributes": dict(s.attributes),
                    "events": [[e.name, format_time(e.at), dict(e.attributes)] for e in s.events],
                    "status": s.status,
                    "status_message": s.status_message,
                }
                for s in self.spans
            ],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> StartupTrace:
        spans = []
        for s in data["spans"]:
            spans.append(
                Span(
                    key=s["key"],
                    name=s["name"],
                    span_id=s["span_id"],
                    parent_id=s["parent_id"],
                    start_at=_time(s["start_at"]),
                    end_at=_time(s["end_at"]),
                    attributes=dict(s["attributes"]),
                    events=[SpanEvent(name, _time(at), dict(attrs)) for name, at, attrs in s["events"]],
                    status=s["status"],
                    status_message=s["status_message"],
                )
            )
        return cls(trace_id=data["trace_id"], resource=dict(data["resource"]), spans=spans)


def _time(text: object) -> datetime:
    parsed = parse_time(text)
    if parsed is None:
        raise ValueError(f"not a time: {text!r}")
    return parsed


# ---------------------------------------------------------------------------------------------- ids


def trace_id(uid: str, generation: int) -> str:
    """The startup's trace id: the first 16 bytes of sha256("<uid>:<generation>"), as 32 hex digits."""
    return _nonzero(hashlib.sha256(f"{uid}:{generation}".encode()).digest()[:16]).hex()


def span_id(trace: str, key: str) -> str:
    """A span's id: the first 8 bytes of sha256(trace id bytes + key), as 16 hex digits."""
    return _nonzero(hashlib.sha256(bytes.fromhex(trace) + key.encode()).digest()[:8]).hex()


def _nonzero(digest: bytes) -> bytes:
    # All zeros is the invalid id in OpenTelemetry (one chance in 2^64 or 2^128)
    return digest if any(digest) else digest[:-1] + b"\x01"
