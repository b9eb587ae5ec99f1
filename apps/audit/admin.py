from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from apps.accounts.admin_mixins import PermissionAdminMixin
from apps.accounts.permissions import has_permission, require_permission
from apps.core.admin import ReadOnlyAdminMixin

from .export import csv_response
from .models import AuditEntry


class _DistinctValueFilter(admin.SimpleListFilter):
    field = ""

    def lookups(self, request, model_admin):
        values = model_admin.get_queryset(request).order_by().values_list(self.field, flat=True).distinct()
        return [(v, v) for v in sorted(v for v in values[:500] if v)]

    def queryset(self, request, queryset):
        return queryset.filter(**{self.field: self.value()}) if self.value() else queryset


class ActionFilter(_DistinctValueFilter):
    title = _("action")
    parameter_name = "action"
    field = "action"


class ActorFilter(_DistinctValueFilter):
    title = _("actor")
    parameter_name = "actor_username"
    field = "actor_username"


class ResourceTypeFilter(_DistinctValueFilter):
    title = _("resource type")
    parameter_name = "resource_type"
    field = "resource_type"


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdminMixin, PermissionAdminMixin, admin.ModelAdmin):
    """Read-only viewer; the database refuses changes anyway. `audit:read` holders with an
    `own` scope see only their own entries; `audit:export` adds the CSV export, which
    honours the current filters and search."""

    permissions = {"view": "audit:read", "add": None, "change": None, "delete": None}
    list_display = ["at", "actor_username", "action", "resource_type", "resource_id", "resource_repr", "ip"]
    list_filter = [ActionFilter, ActorFilter, ResourceTypeFilter, ("at", admin.DateFieldListFilter)]
    search_fields = ["actor_username", "action", "resource_type", "resource_id", "resource_repr", "user_agent"]
    date_hierarchy = "at"
    readonly_fields = [f.name for f in AuditEntry._meta.fields]
    list_per_page = 100
    show_full_result_count = False
    change_list_template = "admin/audit/auditentry/change_list.html"

    def get_actions(self, request):
        return {}

    def get_urls(self):
        name = f"{self.opts.app_label}_{self.opts.model_name}_export"
        export = path("export/", self.admin_site.admin_view(self.export_view), name=name)
        return [export, *super().get_urls()]

    def changelist_view(self, request, extra_context=None):
        extra_context = extra_context or {}
        if has_permission(request.user, "audit:export"):
            query = request.GET.urlencode()
            url = reverse(f"{self.admin_site.name}:{self.opts.app_label}_{self.opts.model_name}_export")
            extra_context["export_url"] = f"{url}?{query}" if query else url
        return super().changelist_view(request, extra_context)

    def export_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        require_permission(request.user, "audit:export", request=request)
        # The rows the changelist shows for these filters and search, all pages.
        changelist = self.get_changelist_instance(request)
        rows = changelist.get_queryset(request)
        filters = {k: v for k, v in request.GET.items() if k not in ("o", "p")}
        return csv_response(rows, request=request, filters=filters)
