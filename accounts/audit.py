"""The audit log's one way in (`record`) and one way out (`json_lines`).

Recorded (docs/operations.md "Audit log"): sign-ins, sign-in failures and sign-outs (Django's signals,
accounts.signals), token creation, revocation and use (the first use in each minute: the same write that
moves `last_used_at`), log reads (the logs API), exports (report downloads: CSV, JSON), and changes of
any model labelled `access.Grant` when that app is installed (accounts.signals).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

import orjson
from django.http import HttpRequest

from accounts.models import AuditEvent

MAX_TARGET = 500
# The actions other apps record (the rest are recorded here and in accounts.signals).
LOGS_READ = AuditEvent.LOGS_READ
EXPORT = AuditEvent.EXPORT


def record(
    actor: Any, action: str, target: str = "", detail: dict[str, Any] | None = None, *, request: Any = None
) -> AuditEvent:
    """Write one audit line. `actor`: a user (anonymous counts as none), a user name (a failed sign-in's),
    or None; `request` (Django's or DRF's) gives the client address."""
    user = actor if getattr(actor, "is_authenticated", False) else None
    if user is not None:
        name = user.get_username()
    elif isinstance(actor, str):
        name = actor
    else:
        name = ""
    return AuditEvent.objects.create(
        actor=user,
        actor_name=name[:150],
        action=action,
        target=str(target)[:MAX_TARGET],
        detail=detail or {},
        ip=_address(request),
    )


def _address(request: Any) -> str | None:
    django_request: HttpRequest | None = getattr(request, "_request", request)
    if django_request is None:
        return None
    return django_request.META.get("REMOTE_ADDR") or None


def as_dict(event: AuditEvent) -> dict[str, Any]:
    return {
        "id": event.pk,
        "at": event.at.isoformat(),
        "actor": event.actor_name,
        "action": event.action,
        "target": event.target,
        "detail": event.detail,
        "ip": event.ip,
    }


def json_lines(events: Iterable[AuditEvent]) -> Iterator[bytes]:
    """One JSON object a line, oldest first as given."""
    for event in events:
        yield orjson.dumps(as_dict(event)) + b"\n"


def since(moment: datetime | None) -> Iterable[AuditEvent]:
    events = AuditEvent.objects.order_by("at", "id")
    if moment is not None:
        events = events.filter(at__gte=moment)
    return events.iterator(chunk_size=2000)
