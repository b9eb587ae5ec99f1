from django.db import models
from django.utils.translation import gettext_lazy as _

from apps.core.pii import EncryptedTextField


class Gateway(models.TextChoices):
    SANDBOX = "sandbox", _("Local sandbox")
    TOSS = "toss", _("Toss Payments")
    PAYSSAM = "payssam", _("결제선생 (bill link)")


class GatewayConfig(models.Model):
    """The tenant's own account with a payment gateway."""

    gateway = models.CharField(_("gateway"), max_length=10, choices=Gateway.choices, unique=True)
    enabled = models.BooleanField(_("enabled"), default=True)
    is_default = models.BooleanField(_("default"), default=False)
    base_url = models.URLField(_("API base URL"), help_text=_("The gateway's API, or the sandbox in development."))
    client_key = models.CharField(_("client key / merchant id"), max_length=200, blank=True)
    secret = EncryptedTextField(_("secret key"), blank=True, null=True, help_text=_("Never shown."))

    class Meta:
        verbose_name = _("payment gateway")
        verbose_name_plural = _("payment gateways")

    def __str__(self) -> str:
        return self.get_gateway_display()


class Payment(models.Model):
    """An online payment of something payable (an invoice…) through a gateway."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for payment")
        PAID = "paid", _("Paid")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")
        REFUNDED = "refunded", _("Refunded")
        PARTIALLY_REFUNDED = "partially_refunded", _("Partially refunded")

    payable_kind = models.CharField(_("for"), max_length=40)
    payable_id = models.CharField(_("for id"), max_length=40)
    title = models.CharField(_("title"), max_length=200)
    amount = models.BigIntegerField(_("amount (KRW)"))
    gateway = models.CharField(_("gateway"), max_length=10, choices=Gateway.choices)
    order_id = models.CharField(_("order id"), max_length=64, unique=True)
    gateway_ref = models.CharField(_("gateway reference"), max_length=200, blank=True, db_index=True)
    checkout_url = models.URLField(_("checkout URL"), max_length=500, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.PENDING, db_index=True)
    refunded_amount = models.BigIntegerField(_("refunded (KRW)"), default=0)
    payer_name = models.CharField(_("payer"), max_length=100, blank=True)
    payer_phone = EncryptedTextField(_("payer phone"), blank=True, null=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    paid_at = models.DateTimeField(_("paid"), null=True, blank=True)

    class Meta:
        verbose_name = _("online payment")
        verbose_name_plural = _("online payments")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["payable_kind", "payable_id"], name="payments_payable_idx")]
        constraints = [models.CheckConstraint(condition=models.Q(amount__gt=0), name="payments_amount_positive")]

    def __str__(self) -> str:
        return f"{self.order_id} {self.amount:,} ({self.get_status_display()})"


class WebhookDelivery(models.Model):
    """Every webhook a gateway delivered, raw. The gateway's event id is UNIQUE: a delivery
    repeated any number of times is processed once."""

    gateway = models.CharField(_("gateway"), max_length=10, choices=Gateway.choices)
    event_id = models.CharField(_("event id"), max_length=200)
    payment = models.ForeignKey(
        Payment, verbose_name=_("payment"), null=True, blank=True, on_delete=models.SET_NULL, related_name="deliveries"
    )
    payload = models.JSONField(_("payload"))
    headers = models.JSONField(_("headers"), default=dict)
    received_at = models.DateTimeField(_("received"), auto_now_add=True)
    processed_at = models.DateTimeField(_("processed"), null=True, blank=True)
    result = models.CharField(_("result"), max_length=200, blank=True)
    repeats = models.PositiveIntegerField(_("repeated deliveries"), default=0)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-received_at"]
        constraints = [models.UniqueConstraint(fields=["gateway", "event_id"], name="payments_webhook_once")]

    def __str__(self) -> str:
        return f"{self.gateway}:{self.event_id}"


class PaymentRefund(models.Model):
    payment = models.ForeignKey(Payment, verbose_name=_("payment"), on_delete=models.PROTECT, related_name="refunds")
    amount = models.BigIntegerField(_("amount (KRW)"))
    reason = models.CharField(_("reason"), max_length=200)
    gateway_ref = models.CharField(_("gateway reference"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("refunded"), auto_now_add=True)

    class Meta:
        verbose_name = _("online refund")
        verbose_name_plural = _("online refunds")
        constraints = [models.CheckConstraint(condition=models.Q(amount__gt=0), name="payments_refund_positive")]

    def __str__(self) -> str:
        return f"{self.amount:,} ← {self.payment.order_id}"


class SandboxPayment(models.Model):
    """What the loopback gateway sandboxes hold (platform host; development and tests)."""

    gateway = models.CharField(max_length=10)
    ref = models.CharField(max_length=64, unique=True)
    order_id = models.CharField(max_length=64)
    title = models.CharField(max_length=200)
    amount = models.BigIntegerField()
    status = models.CharField(max_length=20, default="READY")
    notify_url = models.URLField(max_length=500, blank=True)
    return_url = models.URLField(max_length=500, blank=True)
    cancelled_amount = models.BigIntegerField(default=0)
    callbacks_sent = models.PositiveIntegerField(default=0)
    callback_acknowledged = models.BooleanField(default=False)
    approved_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("sandbox payment")
        verbose_name_plural = _("sandbox payments")

    def __str__(self) -> str:
        return f"{self.gateway}:{self.ref}"
