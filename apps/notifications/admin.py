from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from apps.accounts.admin_mixins import PermissionAdminMixin
from apps.core.admin import ReadOnlyAdminMixin, SecretField, SecretsForm, admin_permissions

from . import services
from .models import Message, Preference, ProviderConfig, Template


@admin.register(Message)
class MessageAdmin(ReadOnlyAdminMixin, PermissionAdminMixin, admin.ModelAdmin):
    permission_resource = "notification"
    permissions = {"view": "notification:read", "add": None, "change": None, "delete": None}
    list_display = [
        "created_at",
        "template",
        "recipient_name",
        "channel",
        "priority",
        "status",
        "attempts",
        "fallback_used",
        "sent_at",
    ]
    list_filter = ["status", "channel", "priority", "template", "fallback_used"]
    search_fields = ["recipient_name", "contact_ref", "text", "provider_message_id", "key"]
    readonly_fields = [f.name for f in Message._meta.fields if f.name != "address"]
    exclude = ["address"]
    date_hierarchy = "created_at"
    actions = ["resend"]

    def has_send_permission(self, request) -> bool:
        from apps.accounts.permissions import has_permission

        return has_permission(request.user, "notification:send")

    @admin.action(description=_("Send again"), permissions=["send"])
    def resend(self, request, queryset):
        for message in queryset:
            services.resend(message, actor=request.user)
        self.message_user(
            request, ngettext("%d message queued again.", "%d messages queued again.", len(queryset)) % len(queryset)
        )


@admin.register(Template)
class TemplateAdmin(PermissionAdminMixin, admin.ModelAdmin):
    permission_resource = "notification"
    permissions = admin_permissions("notification:manage")
    scope_rows = False
    list_display = ["code", "name", "provider_template_code", "approved", "priority", "active"]
    list_filter = ["approved", "priority", "active"]
    search_fields = ["code", "name", "body"]

    def save_model(self, request, obj, form, change):
        # Changed Alimtalk text needs Kakao's approval again before it may be sent.
        if change and "body" in form.changed_data:
            obj.approved = False
            messages.warning(request, _("The text changed: Kakao must approve it again before Alimtalk sends it."))
        super().save_model(request, obj, form, change)


class ProviderConfigForm(SecretsForm):
    secret = SecretField(label=_("secret"))

    class Meta:
        model = ProviderConfig
        fields = [
            "channel",
            "enabled",
            "base_url",
            "account",
            "sender",
            "sms_from",
            "access_key",
            "secret",
            "rate_per_second",
        ]


@admin.register(ProviderConfig)
class ProviderConfigAdmin(PermissionAdminMixin, admin.ModelAdmin):
    permission_resource = "notification"
    permissions = admin_permissions("notification:manage")
    scope_rows = False
    form = ProviderConfigForm
    list_display = ["channel", "enabled", "base_url", "account", "sender", "rate_per_second"]


@admin.register(Preference)
class PreferenceAdmin(PermissionAdminMixin, admin.ModelAdmin):
    permission_resource = "notification"
    permissions = admin_permissions("notification:manage")
    scope_rows = False
    list_display = ["contact_ref", "channels", "marketing_opt_out", "muted"]
    search_fields = ["contact_ref"]
