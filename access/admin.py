from django.contrib import admin

from access.models import Grant


@admin.register(Grant)
class GrantAdmin(admin.ModelAdmin):
    list_display = ("__str__", "cluster", "logs", "managed_by", "created_at")
    list_filter = ("cluster", "logs", "managed_by")
    search_fields = ("user__username", "group__name", "cluster")
    autocomplete_fields = ("user", "group")
