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


@admin.register(m.Item)
class ItemAdmin(ReadOnlyAdminMixin, PermissionAdminMixin, admin.ModelAdmin):
    """Items are written through the API and the spreadsheet import (one rule, services/items.py)."""

    permission_resource = "item"
    list_display = ["code", "area", "kind", "status", "a", "b", "c", "exposure_k", "exposure_count", "response_count"]
    list_filter = ["status", "area", "kind"]
    search_fields = ["code", "stem"]


class ExamItemInline(ReadOnlyInline):
    model = m.ExamItem
    fields = ["position", "item"]


@admin.register(m.Exam)
class ExamAdmin(ReadOnlyAdminMixin, PermissionAdminMixin, admin.ModelAdmin):
    permission_resource = "exam"
    list_display = ["title", "kind", "status", "organisation", "klass", "time_limit_seconds"]
    list_filter = ["kind", "status"]
    inlines = [ExamItemInline]


class ResponseInline(ReadOnlyInline):
    model = m.Response
    fields = ["position", "item", "answer", "correct", "scored", "theta_after", "se_after", "answered_at"]


@admin.register(m.Attempt)
class AttemptAdmin(ReadOnlyAdminMixin, PermissionAdminMixin, admin.ModelAdmin):
    permission_resource = "attempt"
    list_display = [
        "student",
        "exam",
        "status",
        "n_answered",
        "theta",
        "se",
        "scaled_score",
        "percentile",
        "started_at",
    ]
    list_filter = ["status", "exam"]
    exclude = ["state"]
    inlines = [ResponseInline]


@admin.register(m.LiveRoom)
class LiveRoomAdmin(ReadOnlyAdminMixin, PermissionAdminMixin, admin.ModelAdmin):
    permission_resource = "exam"
    list_display = ["exam", "klass", "status", "started_at", "ends_at"]
    list_filter = ["status"]


@admin.register(m.ZoneSite)
class ZoneSiteAdmin(PermissionAdminMixin, admin.ModelAdmin):
    """The landing page's text (title, description, OpenGraph)."""

    permission_resource = "zone"
    permissions = {"view": "zone:read", "add": "zone:update", "change": "zone:update", "delete": "zone:update"}
    scope_rows = False
    list_display = ["title", "tagline", "field"]

    def save_model(self, request, obj, form, change):
        from .services.site import save_site

        save_site(obj, actor=request.user)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
