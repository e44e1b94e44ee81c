"""Reads of the Events about a Pod's node and PersistentVolumeClaims (stored by pods.ingest.related).

The selectors gather them; the engine reads them (`pods.timeline.related.with_related` amends a Pod's
diagnosis with them) and the Pod page lists them with the Pod's own Events, marked with what they are
about (`about`: `{kind, name}`; null for the Pod's own).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Q

from pods.models import Pod, RelatedEvent
from pods.timeline import EventRecord, PodState, diagnose
from pods.timeline.document import event_entry
from pods.timeline.event_order import document_event_key
from pods.timeline.related import PVC_KIND, with_related


def _record(row: RelatedEvent) -> EventRecord:
    return EventRecord(
        uid=row.uid,
        namespace=row.involved_namespace,
        name="",
        pod_uid=row.involved_uid,
        pod_name=row.involved_name,
        type=row.type,
        reason=row.reason,
        message=row.message,
        count=row.count,
        first_at=row.first_at,
        last_at=row.last_at,
        source=row.source,
        resource_version=row.resource_version,
        involved_kind=row.involved_kind,
    )


def _holds_back(row: RelatedEvent, state: PodState) -> bool:
    if row.involved_kind == "Node":
        return bool(state.node) and row.involved_name == state.node
    return (
        row.involved_kind == PVC_KIND
        and row.involved_namespace == state.namespace
        and row.involved_name in state.claims
    )


def related_events(pods: Sequence[tuple[int, PodState]]) -> dict[tuple[int, str], list[EventRecord]]:
    """The stored Events about the node (`spec.nodeName`) and the claims
    (`spec.volumes[].persistentVolumeClaim.claimName`) of each (cluster id, Pod state), by (cluster id,
    uid), oldest first; one query."""
    match = Q()
    for cluster_id, state in pods:
        if state.node:
            match |= Q(cluster_id=cluster_id, involved_kind="Node", involved_name=state.node)
        if state.claims:
            match |= Q(
                cluster_id=cluster_id,
                involved_kind=PVC_KIND,
                involved_namespace=state.namespace,
                involved_name__in=list(state.claims),
            )
    if not match:
        return {}
    rows = list(RelatedEvent.objects.filter(match).order_by("first_at", "id"))
    return {
        (cluster_id, state.uid): [
            _record(r) for r in rows if r.cluster_id == cluster_id and _holds_back(r, state)
        ]
        for cluster_id, state in pods
    }


def related_for_pods(pods: Iterable[Pod]) -> dict[tuple[int, str], list[EventRecord]]:
    """`related_events` for stored Pods (their states decoded here)."""
    return related_events([(pod.cluster_id, pod.folded_state) for pod in pods if pod.state])


def _event(e: EventRecord) -> dict[str, Any]:
    """An Event about the Pod's Node or claim, shown among the Pod's own (`about` names its object)."""
    return {**event_entry(e), "container": "", "about": {"kind": e.involved_kind, "name": e.pod_name}}


def with_related_document(
    document: dict, state: PodState, related: Sequence[EventRecord], *, now: datetime, threshold: timedelta
) -> dict:
    """The Pod's timeline document with the Events about its node and claims among its own (marked by
    `about`; the Pod's own have `about: null`) and its diagnosis amended by them (`with_related`)."""
    for event in document["events"]:
        event.setdefault("about", None)
    if not related:
        return document
    events = document["events"] + [_event(e) for e in related]
    events.sort(key=document_event_key)  # the engine's one order of Events (pods.timeline.event_order)
    document["events"] = events
    if document.get("diagnosis"):
        amended = with_related(diagnose(state, now=now, threshold=threshold), state, related)
        if amended is not None:
            document["diagnosis"]["summary"] = amended.summary
    return document


__all__ = ["related_events", "related_for_pods", "with_related_document"]
