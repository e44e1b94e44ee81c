"""The edge of the traces: which startups a batch ended, the task's message after commit, and OTLP/HTTP.

`pods.ingest.batch.ingest_batch` calls `watch_startups` before folding a batch (how each stored Pod's
startup stood) and `StartupWatch.after_fold` with the changed states: a startup that ended in this batch
(`traces.ended_now`) is built into its trace (pure, `pods.signals.traces`) and, once the transaction has
committed, handed to the Celery task `pods.tasks.export_trace`, which calls `export_trace` here (the
OpenTelemetry SDK's OTLP/HTTP exporter; the task retries when it fails). Nothing here can break ingest:
every failure is logged and dropped.

Which startups: only on clusters a watcher serves (`Cluster.watched`; never recordings), and only ends
Initscope saw happen: a Pod it had stored before the batch, or one that came in through a watch event (a
Pod the first list of a cluster, or a relist, shows already Ready started before Initscope watched it).
Once per startup: the batch that ends it is the only one whose before/after differ (the stored `PodState`
says so across restarts); a claim in Redis (`initscope:traces:<cluster>:<uid>:<generation>`, kept
`CLAIM_DAYS`; in-process without Redis) keeps a readiness lost and regained from sending it again. A
repeat after the claim expired, or a retry, sends the same ids: backends keying by id replace the copy.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache, partial
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import Event, ReadableSpan
from opentelemetry.sdk.trace.export import SpanExportResult
from opentelemetry.sdk.util.instrumentation import InstrumentationScope
from opentelemetry.trace import SpanContext, SpanKind, Status, StatusCode, TraceFlags
from opentelemetry.util.re import parse_env_headers

from pods.models import Cluster
from pods.signals.traces import StartupEnd, StartupTrace, build_trace, ended_now, startup_end
from pods.timeline import PodState
from pods.timeline.times import UNIX_EPOCH

if TYPE_CHECKING:  # pods.ingest imports this module
    from pods.ingest.items import WatchItem

log = logging.getLogger(__name__)

CLAIM_DAYS = 7
_LOCAL_CLAIMS_MAX = 100_000
_local_claims: OrderedDict[str, None] = OrderedDict()
_SCOPE = InstrumentationScope("initscope.pods.signals.traces")
_STATUS = {"unset": StatusCode.UNSET, "ok": StatusCode.OK, "error": StatusCode.ERROR}


class ExportFailed(Exception):
    """The OTLP receiver did not take the trace (after the exporter's own retries)."""


# ------------------------------------------------------------------------------------ during ingest


@dataclass(slots=True)
class StartupWatch:
    """How the startups of one batch's Pods stood before it was folded."""

    cluster: str
    before: dict[str, StartupEnd | None]  # stored (seen) Pods: their startup's end, None while it goes on
    from_watch: set[str] = field(default_factory=set)  # Pods that came in through a watch event

    def after_fold(self, states: Mapping[str, PodState]) -> None:
        """Build the trace of every startup that ended in this batch; queue them after commit."""
        ended: list[tuple[str, int, dict[str, Any]]] = []
        for uid, state in states.items():
            try:
                end = startup_end(state)
                if end is None:
                    continue
                if uid in self.before:
                    if not ended_now(self.before[uid], end):
                        continue
                elif uid not in self.from_watch:
                    continue  # first seen in a list, already past its startup
                trace = build_trace(state, cluster=self.cluster, end=end)
            except Exception:  # noqa: BLE001 - a trace must never break ingest
                log.exception("could not build the startup trace of Pod %s", uid)
                continue
            if trace is not None:
                ended.append((uid, end.generation, trace.to_dict()))
        if ended:
            transaction.on_commit(partial(queue_traces, self.cluster, ended))


def traces_on(cluster: Cluster) -> bool:
    """Whether the batches of `cluster` send startup traces: traces are on and the cluster is watched."""
    return bool(settings.INITSCOPE_TRACES) and cluster.watched


def watch_startups(
    cluster: Cluster, states: Mapping[str, PodState], items: Iterable[tuple[str, WatchItem]]
) -> StartupWatch | None:
    """Before a batch is folded: None when traces are off or the cluster is not watched."""
    if not traces_on(cluster):
        return None
    try:
        before = {uid: startup_end(state) for uid, state in states.items() if state.seen}
    except Exception:  # noqa: BLE001 - a trace must never break ingest
        log.exception("could not read the startups of cluster %s", cluster.name)
        return None
    from_watch = {uid for uid, item in items if item.kind == "pod" and item.type}
    return StartupWatch(cluster.name, before, from_watch)


def queue_traces(cluster: str, ended: list[tuple[str, int, dict[str, Any]]]) -> None:
    """After commit: one `export_trace` task per startup not claimed yet (failures are logged)."""
    from pods.tasks import export_trace as export_task  # pods.tasks imports ingest, which imports this

    for uid, generation, trace in ended:
        try:
            if claim(cluster, uid, generation):
                export_task.delay(trace)
        except Exception:  # noqa: BLE001 - the broker may be down: ingest goes on
            log.exception("could not queue the startup trace of Pod %s (cluster %s)", uid, cluster)


def claim(cluster: str, uid: str, generation: int) -> bool:
    """True the first time a startup is claimed for export (within `CLAIM_DAYS`)."""
    from pods.watch.lock import redis_client

    key = f"initscope:traces:{cluster}:{uid}:{generation}"
    client = redis_client()
    if client is not None:
        return bool(client.set(key, "1", nx=True, ex=int(timedelta(days=CLAIM_DAYS).total_seconds())))
    if key in _local_claims:
        return False
    _local_claims[key] = None
    while len(_local_claims) > _LOCAL_CLAIMS_MAX:
        _local_claims.popitem(last=False)
    return True


# ------------------------------------------------------------------------------------------- export


def export_trace(data: dict[str, Any]) -> int:
    """Send one startup trace (`StartupTrace.to_dict()`) over OTLP/HTTP; the number of spans sent.

    Raises `ExportFailed` when the receiver did not take it (the task retries)."""
    trace = StartupTrace.from_dict(data)
    spans = readable_spans(trace)
    result = _exporter(settings.INITSCOPE_TRACES_ENDPOINT, _headers()).export(spans)
    if result is not SpanExportResult.SUCCESS:
        raise ExportFailed(f"{settings.INITSCOPE_TRACES_ENDPOINT} did not take trace {trace.trace_id}")
    return len(spans)


def _headers() -> tuple[tuple[str, str], ...]:
    """OTEL_EXPORTER_OTLP_TRACES_HEADERS, else OTEL_EXPORTER_OTLP_HEADERS (`key=value,...`)."""
    text = settings.OTEL_EXPORTER_OTLP_TRACES_HEADERS or settings.OTEL_EXPORTER_OTLP_HEADERS
    return tuple(sorted(parse_env_headers(text, liberal=True).items())) if text else ()


@lru_cache(maxsize=4)
def _exporter(endpoint: str, headers: tuple[tuple[str, str], ...]) -> OTLPSpanExporter:
    return OTLPSpanExporter(endpoint=endpoint, headers=dict(headers))


def _nanos(at: datetime) -> int:
    return (at - UNIX_EPOCH) // timedelta(microseconds=1) * 1000


def readable_spans(trace: StartupTrace) -> list[ReadableSpan]:
    """The SDK's spans for a trace, with its own ids and times (no tracer: nothing here is "now")."""
    # `Resource.create` adds the SDK's attributes and OTEL_RESOURCE_ATTRIBUTES; ours win over both
    resource = Resource.create(dict(trace.resource))
    trace_int = int(trace.trace_id, 16)
    flags = TraceFlags(TraceFlags.SAMPLED)
    out = []
    for span in trace.spans:
        parent = (
            SpanContext(trace_int, int(span.parent_id, 16), is_remote=False, trace_flags=flags)
            if span.parent_id
            else None
        )
        out.append(
            ReadableSpan(
                name=span.name,
                context=SpanContext(trace_int, int(span.span_id, 16), is_remote=False, trace_flags=flags),
                parent=parent,
                resource=resource,
                attributes=dict(span.attributes),
                events=[Event(e.name, dict(e.attributes), timestamp=_nanos(e.at)) for e in span.events],
                kind=SpanKind.INTERNAL,
                status=Status(_STATUS[span.status], span.status_message or None)
                if span.status == "error"
                else Status(_STATUS[span.status]),
                start_time=_nanos(span.start_at),
                end_time=_nanos(span.end_at),
                instrumentation_scope=_SCOPE,
            )
        )
    return out


def stored_trace(cluster: str, uid: str) -> StartupTrace | None:
    """The trace of a stored Pod's current startup, when it has ended (to export it again)."""
    from pods.models import Pod
    from pods.timeline.codec import decode_state

    row = Pod.objects.filter(cluster__name=cluster, uid=uid).values_list("state", flat=True).first()
    if row is None:
        return None
    return build_trace(decode_state(row), cluster=cluster)


__all__ = [
    "CLAIM_DAYS",
    "ExportFailed",
    "StartupWatch",
    "claim",
    "export_trace",
    "queue_traces",
    "readable_spans",
    "stored_trace",
    "watch_startups",
]
