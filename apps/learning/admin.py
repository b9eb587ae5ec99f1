"""The zone's back office. Rows are written by the services (ledger events, checks), so
the admin shows people, classes and links, and its actions call the services."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from apps.accounts.admin_mixins import PermissionAdminMixin
from apps.core.admin import ReadOnlyAdminMixin, ReadOnlyInline

from . import models as m
from .services import links


class StaffInline(ReadOnlyInline):
    model = m.StaffMembership
    fields = ["user", "kind"]


@admin.register(m.Organisation)
class OrganisationAdmin(ReadOnlyAdminMixin, PermissionAdminMixin, admin.ModelAdmin):
    permission_resource = "org"
    list_display = ["name", "code", "is_active"]
    search_fields = ["name", "code"]
    inlines = [StaffInline]


class EnrollmentInline(ReadOnlyInline):
    model = m.Enrollment
    fields = ["student", "is_active"]


@admin.register(m.Klass)
class KlassAdmin(ReadOnlyAdminMixin, PermissionAdminMixin, admin.ModelAdmin):
    permission_resource = "class"
    list_display = ["name", "organisation", "is_active"]
    list_filter = ["organisation"]
    search_fields = ["name"]
    inlines = [EnrollmentInline]


@admin.register(m.Student)
class StudentAdmin(ReadOnlyAdminMixin, PermissionAdminMixin, admin.ModelAdmin):
    permission_resource = "student"
    list_display = ["name", "nickname", "organisation"]
    list_filter = ["organisation"]
    search_fields = ["name", "nickname", "user__username"]
    fields = ["user", "name", "nickname", "organisation"]


@admin.register(m.ParentLink)
class ParentLinkAdmin(ReadOnlyAdminMixin, PermissionAdminMixin, admin.ModelAdmin):
    permission_resource = "link"
    list_display = ["parent", "student", "status", "via", "created_at", "decided_at", "decided_by"]
    list_filter = ["status"]
    actions = ["approve", "reject"]

    def _decide(self, request, queryset, approve: bool) -> None:
        done = 0
        for link in queryset:
            try:
                links.decide_link(link, approve=approve, actor=request.user, request=request)
                done += 1
            except ValidationError as exc:
                messages.error(request, f"{link}: {' '.join(exc.messages)}")
        if done:
            messages.success(request, _("%(count)d link(s) decided.") % {"count": done})

    @admin.action(description=_("Approve the selected links"), permissions=["change"])
    def approve(self, request, queryset):
        self._decide(request, queryset, True)

    @admin.action(description=_("Reject the selected links"), permissions=["change"])
    def reject(self, request, queryset):
        self._decide(request, queryset, False)

    def has_change_permission(self, request, obj=None) -> bool:
        # Deciding is the only change, and the service checks who may decide each link.
        return PermissionAdminMixin.has_change_permission(self, request, obj)

    def role_permission(self, admin_action: str) -> str | None:
        return "link:approve" if admin_action == "change" else super().role_permission(admin_action)
