from django.contrib import admin

from alerts.models import Alert, Notification, Receiver, Rule


@admin.register(Rule)
class RuleAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "enabled", "cause", "for_seconds", "attempts", "threshold_percent",
                    "window_seconds", "min_attempts", "cluster", "namespace")  # fmt: skip
    list_filter = ("kind", "enabled")
    list_editable = ("enabled",)


@admin.register(Receiver)
class ReceiverAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "url", "enabled")
    list_filter = ("kind", "enabled")


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    list_display = ("rule", "status", "cluster", "namespace", "workload", "pod_name", "cause", "opened_at",
                    "resolved_at")  # fmt: skip
    list_filter = ("status", "rule")
    search_fields = ("pod_name", "workload", "namespace")
    readonly_fields = [f.name for f in Alert._meta.fields]


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("uid", "rule", "event", "receiver", "status", "attempts", "created_at", "sent_at")
    list_filter = ("status", "event")
    readonly_fields = ("uid", "receiver", "rule", "event", "document", "status", "attempts", "created_at",
                       "next_attempt_at", "claimed_until", "sent_at", "last_error")  # fmt: skip
    exclude = ("alerts",)
