"""Grants: read access of a user or a group to a cluster, optionally narrowed to namespaces."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import models

from access.scope import ANY_CLUSTER, PatternError, check_pattern


def _check_namespaces(value: object) -> None:
    if value is None:
        return
    if not isinstance(value, list):
        raise ValidationError("a list of namespace names and patterns, or empty for the whole cluster")
    for pattern in value:
        try:
            check_pattern(pattern)
        except PatternError as exc:
            raise ValidationError(str(exc)) from exc


class Grant(models.Model):
    """`user` or `group` may read `cluster` ("*": every cluster), in `namespaces` (names and `*`/`?`
    patterns; null: the whole cluster), and read its Pods' logs when `logs`. `managed_by` names what
    wrote it (the file of a `load_access` run, which replaces exactly the grants it manages); empty for
    grants made in the admin."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="grants"
    )
    group = models.ForeignKey(Group, null=True, blank=True, on_delete=models.CASCADE, related_name="grants")
    cluster = models.CharField(
        max_length=253, help_text=f'A cluster\'s name, or "{ANY_CLUSTER}" for every one.'
    )
    namespaces = models.JSONField(
        null=True,
        blank=True,
        validators=[_check_namespaces],
        help_text='Namespace names and patterns such as "team-a-*" (a JSON list); empty: the whole cluster.',
    )
    logs = models.BooleanField(default=False, help_text="May read the logs of these Pods.")
    managed_by = models.CharField(max_length=500, blank=True, default="", db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("cluster", "id")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(user__isnull=False, group__isnull=True)
                | models.Q(user__isnull=True, group__isnull=False),
                name="grant_user_or_group",
            )
        ]

    def __str__(self) -> str:
        who = f"user {self.user}" if self.user_id else f"group {self.group}"
        where = ", ".join(self.namespaces) if self.namespaces else "every namespace"
        return f"{who}: {self.cluster} ({where}){' with logs' if self.logs else ''}"

    def clean(self) -> None:
        if (self.user_id is None) == (self.group_id is None):
            raise ValidationError("A grant is for a user or for a group (one of them).")
        if not self.cluster:
            raise ValidationError({"cluster": f'A cluster\'s name, or "{ANY_CLUSTER}".'})
        if self.namespaces == []:
            self.namespaces = None
