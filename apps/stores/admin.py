"""The store back office (staff see their assigned stores). Store saves go through the
services (plan limits, ledger events); reviews, sessions, alerts and reports are read-only
records of what the connectors and jobs did."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from apps.accounts.admin_mixins import PermissionAdminMixin
from apps.core.admin import ReadOnlyAdminMixin, ReadPermissionOnlyMixin

from . import models as m
from .services import replies, stores


def _errors(request, exc: ValidationError) -> None:
    for message in exc.messages:
        messages.error(request, message)


class ReadOnly(ReadPermissionOnlyMixin, ReadOnlyAdminMixin, PermissionAdminMixin, admin.ModelAdmin):
    """Records: viewing needs `<resource>:read`; nobody adds, changes or deletes them here."""


class ListingInline(admin.TabularInline):
    model = m.Listing
    extra = 0
    fields = ["platform", "place_id", "url", "crawl_enabled", "last_synced_at"]
    readonly_fields = ["last_synced_at"]


class StaffInline(admin.TabularInline):
    model = m.StoreStaff
    extra = 0
    verbose_name = _("staff member")
    verbose_name_plural = _("staff")


@admin.register(m.Store)
class StoreAdmin(PermissionAdminMixin, admin.ModelAdmin):
    permission_resource = "store"
    list_display = ["name", "category", "address", "auto_reply_positive", "archived"]
    search_fields = ["name", "address"]
    inlines = [StaffInline, ListingInline]
    fieldsets = [
        (None, {"fields": ["name", "category", "address", "archived"]}),
        (_("Brand voice"), {"fields": ["tone", "signoff", "avoid_words", "reply_max_length", "auto_reply_positive"]}),
        (_("Alerts"), {"fields": ["alert_phone", "alert_telegram_chat_id", "quiet_start", "quiet_end"]}),
    ]

    def save_model(self, request, obj, form, change):
        fields = {name: form.cleaned_data[name] for name in stores.STORE_FIELDS if name in form.cleaned_data}
        try:
            if change:
                stores.update_store(obj, actor=request.user, **fields)
            else:
                created = stores.create_store(actor=request.user, **fields)
                obj.pk = created.pk
                obj.refresh_from_db()
        except ValidationError as exc:
            _errors(request, exc)
            raise


@admin.register(m.Review)
class ReviewAdmin(ReadOnly):
    permission_resource = "review"
    list_display = ["written_on", "store", "platform", "author", "rating", "sentiment", "reply_status"]
    list_filter = ["platform", "sentiment", "reply_status", "store"]
    search_fields = ["text", "author"]
    readonly_fields = [f.name for f in m.Review._meta.fields]


@admin.action(description=_("Approve the selected drafts"))
def approve_drafts(modeladmin, request, queryset):
    for draft in queryset:
        try:
            replies.approve(draft, actor=request.user)
        except ValidationError as exc:
            _errors(request, exc)


@admin.register(m.ReplyDraft)
class ReplyDraftAdmin(ReadOnly):
    permission_resource = "reply"
    list_display = ["review", "status", "source", "auto", "decided_at", "posted_at"]
    list_filter = ["status", "source"]
    readonly_fields = [f.name for f in m.ReplyDraft._meta.fields]
    actions = [approve_drafts]


@admin.register(m.IngestionSession)
class IngestionSessionAdmin(ReadOnly):
    permission_resource = "store"
    list_display = ["started_at", "store", "platform", "source", "status", "found", "new", "updated", "failed"]
    list_filter = ["platform", "source", "status"]
    readonly_fields = [f.name for f in m.IngestionSession._meta.fields]


@admin.register(m.Alert)
class AlertAdmin(ReadOnly):
    permission_resource = "alert"
    list_display = ["review", "reasons", "due_at", "sent_at"]
    readonly_fields = ["review", "reasons", "due_at", "sent_at"]


@admin.register(m.Report)
class ReportAdmin(ReadOnly):
    permission_resource = "report"
    list_display = ["store", "kind", "period_start", "period_end", "created_at"]
    list_filter = ["kind"]
    readonly_fields = ["store", "kind", "period_start", "period_end", "data"]


@admin.register(m.Subscription)
class SubscriptionAdmin(ReadOnly):
    permission_resource = "billing"
    scope_rows = False
    list_display = ["plan", "status", "grace_until"]
    readonly_fields = ["plan", "status", "grace_until"]
