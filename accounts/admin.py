"""Tokens (revocable here; made on the Tokens page or by `manage.py tokens create`, since a key is shown
only once) and the audit log, read-only for everyone, exportable as JSON lines."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest, StreamingHttpResponse

from accounts import api_tokens, audit
from accounts.models import ApiToken, AuditEvent


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("name", "user", "lookup", "created_at", "expires_at", "last_used_at", "revoked_at")
    list_filter = ("revoked_at",)
    search_fields = ("name", "lookup", "user__username")
    readonly_fields = ("user", "name", "lookup", "digest", "created_at", "expires_at", "last_used_at",
                       "revoked_at")  # fmt: skip
    actions = ["revoke"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description="Revoke the selected tokens", permissions=["delete"])
    def revoke(self, request: HttpRequest, queryset: Any) -> None:
        revoked = sum(api_tokens.revoke(t, actor=request.user, request=request) for t in queryset)
        self.message_user(request, f"{revoked} token(s) revoked.")


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ("at", "actor_name", "action", "target", "ip")
    list_filter = ("action",)
    search_fields = ("actor_name", "target")
    date_hierarchy = "at"
    actions = ["export_json_lines"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description="Export the selected lines as JSON lines", permissions=["view"])
    def export_json_lines(self, request: HttpRequest, queryset: Any) -> StreamingHttpResponse:
        events = queryset.order_by("at", "id").iterator(chunk_size=2000)
        response = StreamingHttpResponse(audit.json_lines(events), content_type="application/x-ndjson")
        response["Content-Disposition"] = 'attachment; filename="audit.jsonl"'
        return response
