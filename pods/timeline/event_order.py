"""The order of a Pod's Events: the one rule the document, the page, the API and the CLI show them in.

core/v1 Events carry `firstTimestamp` with second resolution while events.k8s.io/v1 `eventTime` has
microseconds, so two Events of the same second cannot be ordered by their times: `Pulled` at 12:00:03
would sort after `Started` at 12:00:03.250. Events are ordered by the whole second they first happened
in, then by the kubelet's sequence for one container (Scheduled, Pulling, Pulled, Created, Started, then
everything else, failures included), then by the exact time, the last time and the uid.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from .times import parse_time, time_key

# The order in which the scheduler and the kubelet report one Pod's start (docs/kubernetes.md §5).
KUBELET_SEQUENCE = (
    "FailedScheduling",
    "Scheduled",
    "SuccessfulAttachVolume",
    "Pulling",
    "Pulled",
    "Created",
    "Started",
)
_RANK = {reason: rank for rank, reason in enumerate(KUBELET_SEQUENCE)}
_LAST = len(KUBELET_SEQUENCE)


def event_sort_key(
    first_at: datetime | None, reason: str, last_at: datetime | None, uid: str
) -> tuple[bool, datetime, int, datetime, datetime, str]:
    """The sort key of one Event (unknown times last)."""
    first = time_key(first_at)
    return (
        first_at is None,
        first.replace(microsecond=0),
        _RANK.get(reason, _LAST),
        first,
        time_key(last_at),
        uid,
    )


def document_event_key(event: dict[str, Any]) -> tuple[bool, datetime, int, datetime, datetime, str]:
    """`event_sort_key` of an Event as the timeline document shows it (times as RFC 3339 text)."""
    return event_sort_key(
        parse_time(event.get("first_at")),
        event.get("reason") or "",
        parse_time(event.get("last_at")),
        event.get("uid") or "",
    )


__all__ = ["KUBELET_SEQUENCE", "document_event_key", "event_sort_key"]
