"""Reads of the alerts: open ones first, then the recently resolved (the page and the API)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import QuerySet

from access.scope import EVERYTHING, Scope
from alerts import messages
from alerts.models import Alert

RECENT = timedelta(days=7)
LIMIT = 500


def alert_list(
    *, status: str = "", now: datetime | None = None, limit: int = LIMIT, scope: Scope = EVERYTHING
) -> list[Alert]:
    """Open alerts (newest first), then those resolved within `RECENT` (newest first); `status` keeps one.
    `scope`: only the alerts of its clusters and namespaces (an alert about a whole cluster, without a
    namespace, needs a grant of the whole cluster)."""
    now = now or datetime.now(UTC)
    qs: QuerySet[Alert] = Alert.objects.select_related("rule").filter(scope.q(cluster="cluster"))
    open_alerts = (
        list(qs.filter(status=Alert.OPEN).order_by("-opened_at", "-id")[:limit])
        if status != "resolved"
        else []
    )
    resolved: list[Alert] = []
    if status != "open":
        resolved = list(
            qs.filter(status=Alert.RESOLVED, resolved_at__gte=now - RECENT).order_by("-resolved_at", "-id")[
                : max(limit - len(open_alerts), 0)
            ]
        )
    return open_alerts + resolved


def alert_entry(alert: Alert) -> dict[str, Any]:
    """One alert as the API serves it (times as datetimes; the serializer formats them)."""
    public = settings.INITSCOPE_PUBLIC_URL
    pod = {"name": alert.pod_name, "uid": alert.pod_uid} if alert.pod_uid else None
    return {
        "id": str(alert.uid),
        "status": alert.status,
        "rule": {"name": alert.rule.name, "kind": alert.rule.kind},
        "cluster": alert.cluster,
        "namespace": alert.namespace,
        "workload": {"kind": alert.workload_kind, "name": alert.workload},
        "pod": pod,
        "container": alert.container,
        "cause": alert.cause,
        "diagnosis": alert.summary,
        "opened_at": alert.opened_at,
        "last_seen_at": alert.last_seen_at,
        "resolved_at": alert.resolved_at,
        "url": messages.pod_url(public, alert.pod_uid)
        if alert.pod_uid
        else messages.workload_url(
            public, alert.cluster, alert.namespace, alert.workload_kind, alert.workload
        ),
    }
