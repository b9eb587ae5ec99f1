from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from apps.core.deletion import SET_NULL_WHERE_PRESENT, created_by_field

from .base import Timestamped


class Invoice(Timestamped):
    """A bill to a family (청구), in integer KRW. What is still due is `total - paid`;
    unpaid amounts stay due on their invoice and overpayments become family credit that
    the next invoice takes up."""

    class Kind(models.TextChoices):
        MONTHLY = "monthly", _("Monthly tuition")
        ENROLLMENT = "enrollment", _("On enrollment")
        PASS = "pass", _("Session pass")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        ISSUED = "issued", _("Issued")
        PARTIALLY_PAID = "partially_paid", _("Partially paid")
        PAID = "paid", _("Paid")
        CANCELLED = "cancelled", _("Cancelled")

    family = models.ForeignKey(
        "academy.Family", verbose_name=_("family"), on_delete=models.PROTECT, related_name="invoices"
    )
    number = models.CharField(_("number"), max_length=20, unique=True)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, default=Kind.MONTHLY)
    period = models.DateField(_("month"), null=True, blank=True, help_text=_("First day of the month billed."))
    issued_on = models.DateField(_("issued"))
    due_on = models.DateField(_("due"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.ISSUED, db_index=True)
    total = models.BigIntegerField(_("total (KRW)"), default=0)
    paid = models.BigIntegerField(_("paid (KRW)"), default=0)
    reminders_sent = models.PositiveSmallIntegerField(_("reminders sent"), default=0)
    created_by = created_by_field()

    class Meta:
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        ordering = ["-issued_on", "-number"]
        constraints = [
            # Monthly invoicing runs every day and may run twice: one invoice per family and month.
            models.UniqueConstraint(
                fields=["family", "period"],
                condition=models.Q(kind="monthly") & ~models.Q(status="cancelled"),
                name="academy_invoice_monthly_once",
            ),
            models.CheckConstraint(condition=models.Q(paid__gte=0), name="academy_invoice_paid_not_negative"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def due(self) -> int:
        return max(self.total - self.paid, 0) if self.status != self.Status.CANCELLED else 0


class InvoiceLine(models.Model):
    class Kind(models.TextChoices):
        TUITION = "tuition", _("Tuition")
        PRORATION = "proration", _("Proration")
        SIBLING_DISCOUNT = "sibling_discount", _("Sibling discount")
        MULTI_CLASS_DISCOUNT = "multi_class_discount", _("Multi-class discount")
        REFUND = "refund", _("Refund")
        ADJUSTMENT = "adjustment", _("Adjustment")

    invoice = models.ForeignKey(Invoice, verbose_name=_("invoice"), on_delete=models.CASCADE, related_name="lines")
    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices)
    description = models.CharField(_("description"), max_length=200)
    amount = models.BigIntegerField(_("amount (KRW)"), help_text=_("Negative for discounts and refunds."))
    enrollment = models.ForeignKey(
        "academy.Enrollment",
        verbose_name=_("enrollment"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="invoice_lines",
    )

    class Meta:
        verbose_name = _("invoice line")
        verbose_name_plural = _("invoice lines")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.description}: {self.amount:,}"


class InvoiceCounter(models.Model):
    """The last invoice number given out per month; taken under a row lock."""

    month = models.CharField(max_length=7, primary_key=True)  # "2026-11"
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.month}: {self.last}"


class Payment(Timestamped):
    """Money received from a family (수납): at the desk or through a payment gateway."""

    class Method(models.TextChoices):
        CASH = "cash", _("Cash")
        TRANSFER = "transfer", _("Bank transfer")
        CARD = "card", _("Card at the desk")
        GATEWAY = "gateway", _("Online (payment gateway)")

    family = models.ForeignKey(
        "academy.Family", verbose_name=_("family"), on_delete=models.PROTECT, related_name="payments"
    )
    invoice = models.ForeignKey(
        Invoice, verbose_name=_("for invoice"), null=True, blank=True, on_delete=models.PROTECT, related_name="payments"
    )
    amount = models.BigIntegerField(_("amount (KRW)"))
    method = models.CharField(_("method"), max_length=10, choices=Method.choices)
    reference = models.CharField(_("reference"), max_length=120, blank=True)
    idempotency_key = models.CharField(_("idempotency key"), max_length=200, unique=True, null=True, blank=True)
    received_at = models.DateTimeField(_("received"))
    unallocated = models.BigIntegerField(_("credit left (KRW)"), default=0)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=SET_NULL_WHERE_PRESENT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-received_at"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="academy_payment_positive"),
            models.CheckConstraint(condition=models.Q(unallocated__gte=0), name="academy_payment_credit_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.amount:,} {self.get_method_display()}"


class Allocation(models.Model):
    """How much of a payment went to which invoice."""

    payment = models.ForeignKey(
        Payment, verbose_name=_("payment"), on_delete=models.PROTECT, related_name="allocations"
    )
    invoice = models.ForeignKey(
        Invoice, verbose_name=_("invoice"), on_delete=models.PROTECT, related_name="allocations"
    )
    amount = models.BigIntegerField(_("amount (KRW)"))

    class Meta:
        verbose_name = _("allocation")
        verbose_name_plural = _("allocations")
        constraints = [models.CheckConstraint(condition=models.Q(amount__gt=0), name="academy_allocation_positive")]

    def __str__(self) -> str:
        return f"{self.amount:,} → {self.invoice_id}"


class Refund(Timestamped):
    """Money paid back to a family, e.g. after a withdrawal under the refund rule."""

    family = models.ForeignKey(
        "academy.Family", verbose_name=_("family"), on_delete=models.PROTECT, related_name="refunds"
    )
    enrollment = models.ForeignKey(
        "academy.Enrollment",
        verbose_name=_("enrollment"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="refunds",
    )
    invoice = models.ForeignKey(
        Invoice, verbose_name=_("invoice"), null=True, blank=True, on_delete=models.PROTECT, related_name="refunds"
    )
    amount = models.BigIntegerField(_("amount (KRW)"))
    reason = models.CharField(_("reason"), max_length=200)
    method = models.CharField(_("method"), max_length=10, choices=Payment.Method.choices)
    refunded_at = models.DateTimeField(_("refunded"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=SET_NULL_WHERE_PRESENT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        ordering = ["-refunded_at"]
        constraints = [models.CheckConstraint(condition=models.Q(amount__gt=0), name="academy_refund_positive")]


class InvoiceRun(Timestamped):
    """One run of "issue this month's invoices" (이번 달 청구서 발행), done by a Celery task
    with live progress (ws/academy/invoicing/<id>/) rather than inside the request that
    asked for it: an academy of 500 families takes tens of seconds. At most one unfinished
    run per month: asking again while it runs returns it."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Issuing")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    period = models.DateField(_("month"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    families_done = models.PositiveIntegerField(_("families done"), default=0)
    families_total = models.PositiveIntegerField(_("families"), default=0)
    issued = models.PositiveIntegerField(_("invoices issued"), default=0)
    error = models.TextField(_("error"), blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    created_by = created_by_field(_("started by"))

    class Meta:
        verbose_name = _("invoicing run")
        verbose_name_plural = _("invoicing runs")
        constraints = [
            models.UniqueConstraint(
                fields=["period"],
                condition=models.Q(status__in=["queued", "running"]),
                name="academy_one_unfinished_invoice_run_per_month",
            )
        ]

    def __str__(self):
        return f"{self.period:%Y-%m} ({self.get_status_display()})"

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)
