from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from apps.accounts.admin_mixins import PermissionAdminMixin
from apps.core.admin import ReadOnlyInline, SecretField, SecretsForm, admin_permissions

from . import services
from .models import GatewayConfig, Payment, PaymentRefund, WebhookDelivery


class GatewayConfigForm(SecretsForm):
    secret = SecretField(label=_("secret key"))

    class Meta:
        model = GatewayConfig
        fields = ["gateway", "enabled", "is_default", "base_url", "client_key", "secret"]


@admin.register(GatewayConfig)
class GatewayConfigAdmin(PermissionAdminMixin, admin.ModelAdmin):
    permission_resource = "settings"
    permissions = admin_permissions("settings:read", "settings:update")
    scope_rows = False
    form = GatewayConfigForm
    list_display = ["gateway", "enabled", "is_default", "base_url", "client_key"]


class RefundInline(ReadOnlyInline):
    model = PaymentRefund
    readonly_fields = ["amount", "reason", "gateway_ref", "created_at"]


class DeliveryInline(ReadOnlyInline):
    model = WebhookDelivery
    fields = ["received_at", "event_id", "result", "repeats"]


@admin.register(Payment)
class PaymentAdmin(PermissionAdminMixin, admin.ModelAdmin):
    permission_resource = "payment"
    permissions = {"view": "payment:read", "add": None, "change": None, "delete": None}
    scope_rows = False
    list_display = ["created_at", "title", "amount", "gateway", "status", "refunded_amount", "paid_at"]
    list_filter = ["status", "gateway"]
    search_fields = ["order_id", "gateway_ref", "title", "payer_name"]
    readonly_fields = [f.name for f in Payment._meta.fields if f.name != "payer_phone"]
    exclude = ["payer_phone"]
    inlines = [RefundInline, DeliveryInline]
    actions = ["reconcile", "refund_in_full"]

    @admin.action(description=_("Ask the gateway again"), permissions=["view"])
    def reconcile(self, request, queryset):
        for payment in queryset:
            self.message_user(request, f"{payment.order_id}: {services.reconcile(payment)}")

    @admin.action(description=_("Refund in full through the gateway"), permissions=["refund"])
    def refund_in_full(self, request, queryset):
        for payment in queryset:
            try:
                services.refund(
                    payment,
                    payment.amount - payment.refunded_amount,
                    reason=str(_("Refunded in the back office")),
                    actor=request.user,
                )
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    messages.error(request, f"{payment.order_id} {field}: {' '.join(errors)}")

    def has_refund_permission(self, request) -> bool:
        from apps.accounts.permissions import has_permission

        return has_permission(request.user, "payment:refund")


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(PermissionAdminMixin, admin.ModelAdmin):
    permission_resource = "payment"
    permissions = {"view": "payment:read", "add": None, "change": None, "delete": None}
    scope_rows = False
    list_display = ["received_at", "gateway", "event_id", "result", "repeats", "payment"]
    list_filter = ["gateway", "result"]
    search_fields = ["event_id"]
    readonly_fields = [f.name for f in WebhookDelivery._meta.fields]
