from django.contrib import admin

from apps.accounts.admin_mixins import PermissionAdminMixin
from apps.core.admin import ReadOnlyAdminMixin

from .models import Event


@admin.register(Event)
class EventAdmin(ReadOnlyAdminMixin, PermissionAdminMixin, admin.ModelAdmin):
    """Read-only: the ledger is append-only, in the admin as in the database."""

    permissions = {"view": "ledger:read", "add": None, "change": None, "delete": None}

    list_display = ["seq", "occurred_at", "kind", "subject_type", "subject_id", "actor"]
    list_filter = ["kind", "subject_type"]
    search_fields = ["kind", "subject_id", "actor", "hash"]
    readonly_fields = [f.name for f in Event._meta.fields]
    date_hierarchy = "occurred_at"
