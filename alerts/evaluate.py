"""One evaluation: every rule's findings (`alerts.conditions`) against its open alerts, in one transaction
per rule (the rule's row locked, so two beats never open the same alert twice).

A finding without an open alert opens one; an open alert whose finding is gone is resolved (`over`: at
once when its Pod is Ready, finished or gone, else after INITSCOPE_ALERT_RESOLVE_SECONDS without it); the
rest are kept (those found get their diagnosis and `last_seen_at` updated; Alertmanager receivers get
them again every `messages.ALERTMANAGER_REFRESH`). The alerts opened (or resolved) together are grouped
by their `group_key` (one rollout's Pods stuck on one cause) into one notification per receiver, written
to the outbox (`Notification`) in the same transaction and queued after commit (`alerts.outbox.queue`).
A rule switched off resolves its open alerts.
"""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial

from django.conf import settings
from django.db import transaction

from alerts import conditions, messages, outbox
from alerts.models import Alert, Notification, Receiver, Rule
from pods.models import Pod

log = logging.getLogger(__name__)


@dataclass(slots=True)
class Evaluation:
    opened: int = 0
    resolved: int = 0
    kept: int = 0
    notifications: int = 0


def evaluate(now: datetime | None = None) -> Evaluation:
    """Evaluate every rule now; returns the counts."""
    now = now or datetime.now(UTC)
    result = Evaluation()
    stuck: list[conditions.StuckPod] | None = None
    for rule_id in Rule.objects.order_by("id").values_list("id", flat=True):
        with transaction.atomic():
            rule = Rule.objects.select_for_update().filter(id=rule_id).first()
            if rule is None:
                continue
            findings: dict[str, conditions.Finding] = {}
            if rule.enabled and rule.per_pod:
                if stuck is None:
                    stuck = conditions.stuck_pods(now)
                findings = conditions.pod_findings(rule, stuck, now)
            elif rule.enabled:
                findings = conditions.workload_findings(rule, now)
            apply(rule, findings, now, result)
    return result


def apply(rule: Rule, findings: dict[str, conditions.Finding], now: datetime, result: Evaluation) -> None:
    """Open, keep and resolve `rule`'s alerts for `findings`; write the notifications (in the caller's
    transaction)."""
    open_alerts = {a.subject: a for a in Alert.objects.filter(rule=rule, status=Alert.OPEN)}
    opened: list[Alert] = []
    kept: list[Alert] = []
    for subject, found in findings.items():
        alert = open_alerts.get(subject)
        if alert is not None:
            alert.summary, alert.last_seen_at = found.summary, now
            kept.append(alert)
            continue
        opened.append(
            Alert(
                rule=rule,
                subject=subject,
                group_key=found.group_key,
                cluster=found.cluster,
                namespace=found.namespace,
                workload_kind=found.workload_kind,
                workload=found.workload,
                pod_uid=found.pod_uid,
                pod_name=found.pod_name,
                container=found.container,
                cause=found.cause,
                summary=found.summary,
                opened_at=found.since,
                last_seen_at=now,
            )
        )
    absent = [alert for subject, alert in open_alerts.items() if subject not in findings]
    resolved = absent if not rule.enabled else over(absent, now)
    gone = {alert.id for alert in resolved}
    kept += [alert for alert in absent if alert.id not in gone]
    for alert in resolved:
        alert.status, alert.resolved_at = Alert.RESOLVED, now
    for alert in opened:
        alert.refreshed_at = now
    seen = [a for a in kept if a.subject in findings]
    managers = [r for r in targets() if r is not None and r.kind == Receiver.ALERTMANAGER]
    stale = now - messages.ALERTMANAGER_REFRESH
    refresh = [a for a in seen if (a.refreshed_at or a.opened_at) <= stale] if managers else []
    for alert in refresh:
        alert.refreshed_at = now
    Alert.objects.bulk_update(seen, ["summary", "last_seen_at", "refreshed_at"], batch_size=500)
    Alert.objects.bulk_update(resolved, ["status", "resolved_at"], batch_size=500)
    opened = Alert.objects.bulk_create(opened, batch_size=500)
    result.opened += len(opened)
    result.resolved += len(resolved)
    result.kept += len(kept)
    ids = write_notifications(rule, opened, Notification.FIRING, now)
    ids += write_notifications(rule, resolved, Notification.RESOLVED, now)
    ids += write_notifications(rule, refresh, Notification.FIRING, now, receivers=managers)
    result.notifications += len(ids)
    if ids:
        transaction.on_commit(partial(outbox.queue, ids))


def over(absent: Sequence[Alert], now: datetime) -> list[Alert]:
    """The alerts among `absent` (their condition not found now) to resolve: a Pod's at once when the Pod
    is Ready, finished, deleted or gone; any other once not found for INITSCOPE_ALERT_RESOLVE_SECONDS (a
    crash loop's Pod is not stuck while its next attempt runs, a rate wavers at its threshold)."""
    quiet = now - timedelta(seconds=settings.INITSCOPE_ALERT_RESOLVE_SECONDS)
    uids = {alert.pod_uid for alert in absent if alert.pod_uid}
    live = set(
        Pod.objects.filter(uid__in=uids, deleted_at__isnull=True, ready=False, terminal=False).values_list(
            "cluster__name", "uid"
        )
    )
    return [
        alert
        for alert in absent
        if alert.last_seen_at <= quiet or (alert.pod_uid and (alert.cluster, alert.pod_uid) not in live)
    ]


def targets() -> list[Receiver | None]:
    """Where notifications go: the default webhook (None) when INITSCOPE_ALERT_WEBHOOK_URL is set, and
    every enabled receiver."""
    found: list[Receiver | None] = [None] if settings.INITSCOPE_ALERT_WEBHOOK_URL else []
    return found + list(Receiver.objects.filter(enabled=True))


def facts(alert: Alert) -> messages.AlertFacts:
    return messages.AlertFacts(
        id=str(alert.uid),
        status=alert.status,
        cluster=alert.cluster,
        namespace=alert.namespace,
        workload_kind=alert.workload_kind,
        workload=alert.workload,
        pod=alert.pod_name,
        pod_uid=alert.pod_uid,
        container=alert.container,
        cause=alert.cause,
        diagnosis=alert.summary,
        starts_at=alert.opened_at,
        ends_at=alert.resolved_at,
    )


def write_notifications(
    rule: Rule,
    alerts: Sequence[Alert],
    event: str,
    now: datetime,
    receivers: Sequence[Receiver | None] | None = None,
) -> list[int]:
    """One outbox row per group of `alerts` and receiver (`receivers`, else `targets()`); their ids."""
    if not alerts:
        return []
    if receivers is None:
        receivers = targets()
    if not receivers:
        return []
    groups: dict[str, list[Alert]] = defaultdict(list)
    for alert in alerts:
        groups[alert.group_key].append(alert)
    ids = []
    for members in groups.values():
        members.sort(key=lambda a: (a.pod_name, a.subject))
        for receiver in receivers:
            uid = uuid.uuid4()
            doc = messages.document(
                notification_id=str(uid),
                event=event,
                rule_name=rule.name,
                rule_kind=rule.kind,
                alerts=[facts(a) for a in members],
                public_url=settings.INITSCOPE_PUBLIC_URL,
                now=now,
            )
            notification = Notification.objects.create(
                uid=uid,
                receiver=receiver,
                rule=rule,
                event=event,
                document=doc,
                created_at=now,
                next_attempt_at=now,
            )
            notification.alerts.set(members)
            ids.append(notification.id)
    return ids


__all__ = ["Evaluation", "apply", "evaluate", "targets", "write_notifications"]
