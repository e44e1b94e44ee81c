from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone


class ApiToken(models.Model):
    """A user's read-only API token (accounts.tokens): found by `lookup`, checked against `digest`; usable
    until `expires_at` unless revoked. `last_used_at` moves at most once a minute."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    lookup = models.CharField(max_length=8, unique=True)
    digest = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"{self.name} (isc_{self.lookup}_…)"

    def state(self, now: datetime | None = None) -> str:
        """ "active", "expired" or "revoked"."""
        if self.revoked_at is not None:
            return "revoked"
        return "expired" if self.expires_at <= (now or timezone.now()) else "active"


class AuditEvent(models.Model):
    """One line of the audit log (accounts.audit.record is the only writer). `actor_name` keeps who it
    was after the user is deleted."""

    SIGN_IN = "sign-in"
    SIGN_IN_FAILED = "sign-in.failed"
    SIGN_OUT = "sign-out"
    TOKEN_CREATED = "token.created"  # noqa: S105 - an action name
    TOKEN_REVOKED = "token.revoked"  # noqa: S105 - an action name
    TOKEN_USED = "token.used"  # noqa: S105 - an action name
    LOGS_READ = "logs.read"
    EXPORT = "export"
    GRANT_SAVED = "grant.saved"
    GRANT_DELETED = "grant.deleted"
    ACTIONS = [
        (SIGN_IN, "signed in"),
        (SIGN_IN_FAILED, "sign-in failed"),
        (SIGN_OUT, "signed out"),
        (TOKEN_CREATED, "token created"),
        (TOKEN_REVOKED, "token revoked"),
        (TOKEN_USED, "token used (first use in a minute)"),
        (LOGS_READ, "log read"),
        (EXPORT, "export downloaded"),
        (GRANT_SAVED, "grant saved"),
        (GRANT_DELETED, "grant deleted"),
    ]

    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_name = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=32, choices=ACTIONS)
    target = models.CharField(max_length=500, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["action", "at"], name="accounts_audit_action_at")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_name or '-'} {self.action} {self.target}"
