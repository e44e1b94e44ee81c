"""Alert rules, receivers, alerts and the outbox of notifications (docs/signals.md "Alerts")."""

from __future__ import annotations

import uuid
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from pods.timeline.model import DIAGNOSIS_CODES, TERMINAL_DIAGNOSES

# The causes a Pod can be stuck on: the engine's diagnosis codes but the terminal ones
# (pods/timeline/model.py).
STUCK_CAUSES = tuple(code for code in DIAGNOSIS_CODES if code not in TERMINAL_DIAGNOSES)


class Rule(models.Model):
    """One alerting rule. Pod rules alert per rule × Pod, workload rules per rule × workload."""

    POD_STUCK, CRASH_LOOP, FAILURE_RATE, P95_REGRESSION = "pod-stuck", "crash-loop", "failure-rate", "p95-up"
    KINDS = [
        (POD_STUCK, "Pod stuck longer than T (on a cause, or any)"),
        (CRASH_LOOP, "Crash loop reaching N attempts"),
        (FAILURE_RATE, "Workload init failure rate over X% in the window"),
        (P95_REGRESSION, "Workload init p95 up more than Y% against its 7-day baseline"),
    ]
    POD_KINDS = (POD_STUCK, CRASH_LOOP)

    name = models.CharField(max_length=100, unique=True)
    kind = models.CharField(max_length=32, choices=KINDS)
    enabled = models.BooleanField(default=True)
    cause = models.CharField(
        max_length=32,
        blank=True,
        default="",
        choices=[("", "any cause")] + [(code, code) for code in STUCK_CAUSES],
        help_text="pod-stuck: the engine's diagnosis code the Pod is stuck on (empty: any).",
    )
    for_seconds = models.PositiveIntegerField(
        default=0, help_text="pod-stuck: T, how long the Pod has been stuck on the cause (seconds)."
    )
    attempts = models.PositiveIntegerField(
        default=3, help_text="crash-loop: N, the attempts of the failing container (current generation)."
    )
    threshold_percent = models.FloatField(
        default=0.0,
        help_text="failure-rate: X, the failure rate in percent; p95-up: Y, the p95's rise in percent.",
    )
    window_seconds = models.PositiveIntegerField(
        default=3600, help_text="Workload rules: the window ending now that is judged (seconds)."
    )
    min_attempts = models.PositiveIntegerField(
        default=10, help_text="Workload rules: attempts needed in the window (and in the baseline)."
    )
    cluster = models.CharField(max_length=253, blank=True, default="", help_text="Only this cluster.")
    namespace = models.CharField(max_length=253, blank=True, default="", help_text="Only this namespace.")

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name

    @property
    def per_pod(self) -> bool:
        return self.kind in self.POD_KINDS


def http_url(value: str) -> None:
    """An http(s) URL with a host; unlike URLField's rule, a cluster's short service name
    (`http://alertmanager:9093`) is one."""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationError("Enter an http:// or https:// URL with a host.")


class Receiver(models.Model):
    """Where notifications go, besides the default webhook of INITSCOPE_ALERT_WEBHOOK_URL."""

    WEBHOOK, SLACK, ALERTMANAGER = "webhook", "slack", "alertmanager"
    KINDS = [
        (WEBHOOK, "Generic JSON webhook"),
        (SLACK, "Slack-compatible incoming webhook"),
        (ALERTMANAGER, "Alertmanager (POST /api/v2/alerts)"),
    ]

    name = models.CharField(max_length=100, unique=True)
    kind = models.CharField(max_length=32, choices=KINDS, default=WEBHOOK)
    url = models.CharField(
        max_length=2000,
        validators=[http_url],
        help_text="Alertmanager: its base URL (http://alertmanager:9093); the others: the full URL.",
    )
    secret = models.CharField(
        max_length=200,
        blank=True,
        default="",
        help_text="Generic webhook: sign each body with HMAC-SHA256 (header X-Initscope-Signature).",
    )
    enabled = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.kind})"


class Alert(models.Model):
    """One alert: a rule's condition holding for one Pod (or workload), from when it opened until resolved.

    `uid` is the stable alert id every notification carries (receivers deduplicate by it)."""

    OPEN, RESOLVED = "open", "resolved"

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    rule = models.ForeignKey(Rule, on_delete=models.CASCADE, related_name="alerts")
    # `pod:<cluster>/<uid>` or `workload:<cluster>/<ns>/<Kind>/<name>`
    subject = models.CharField(max_length=600)
    group_key = models.CharField(max_length=900)  # what one notification groups (same rollout, same cause)
    status = models.CharField(max_length=16, default=OPEN)
    cluster = models.CharField(max_length=253)
    namespace = models.CharField(max_length=253, blank=True, default="")
    workload_kind = models.CharField(max_length=63, blank=True, default="")
    workload = models.CharField(max_length=253, blank=True, default="")
    pod_uid = models.CharField(max_length=64, blank=True, default="")
    pod_name = models.CharField(max_length=253, blank=True, default="")
    container = models.CharField(max_length=253, blank=True, default="")
    cause = models.CharField(max_length=32, blank=True, default="")
    summary = models.TextField(blank=True, default="")  # the diagnosis in plain words (untrusted text)
    opened_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    # When a firing message last carried it: Alertmanager receivers get it again every
    # `alerts.messages.ALERTMANAGER_REFRESH` (their firing alerts expire at `endsAt`).
    refreshed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-opened_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "subject"], condition=Q(status="open"), name="alert_one_open_per_subject"
            )
        ]
        indexes = [models.Index(fields=["status", "-opened_at"], name="alert_status_opened")]

    def __str__(self) -> str:
        return f"{self.rule.name}: {self.subject} ({self.status})"


class Notification(models.Model):
    """The outbox: one message to one receiver, written in the evaluation's transaction and sent at least
    once (`uid` is its idempotency key). `receiver` null: the default webhook
    (INITSCOPE_ALERT_WEBHOOK_URL)."""

    PENDING, SENT, FAILED = "pending", "sent", "failed"
    FIRING, RESOLVED = "firing", "resolved"

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    receiver = models.ForeignKey(Receiver, null=True, blank=True, on_delete=models.CASCADE)
    rule = models.ForeignKey(Rule, on_delete=models.CASCADE, related_name="notifications")
    event = models.CharField(max_length=16)  # firing | resolved
    alerts = models.ManyToManyField(Alert, related_name="notifications")
    document = models.JSONField()  # what is sent, receiver-independent (alerts.messages renders it)
    status = models.CharField(max_length=16, default=PENDING)
    attempts = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField()
    next_attempt_at = models.DateTimeField()
    claimed_until = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["next_attempt_at"], name="notification_pending", condition=Q(status="pending")
            )
        ]

    def __str__(self) -> str:
        return f"{self.event} {self.uid} ({self.status})"
