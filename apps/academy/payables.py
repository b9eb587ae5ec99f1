"""Invoices are payable online (apps.payments): what is due, and what a gateway payment or
refund does to the family's books."""

from __future__ import annotations

from apps.payments.registry import Payable, PayableInfo, register_payable

from .models import Guardian, Invoice
from .services import billing


@register_payable("academy.invoice")
class InvoicePayable(Payable):
    model = Invoice

    def describe(self, obj: Invoice) -> PayableInfo:
        guardian = Guardian.objects.filter(family=obj.family_id).order_by("pk").first()
        return PayableInfo(
            amount_due=obj.due,
            title=f"{obj.number} · {obj.family.name}",
            reference=obj.number,
            payer_name=guardian.name if guardian else obj.family.name,
            payer_phone=(guardian.phone or "") if guardian else "",
            return_path=f"/portal/invoices/{obj.pk}/",
        )

    def on_paid(self, obj: Invoice, payment, amount: int) -> None:
        billing.record_payment(
            obj.family,
            amount,
            method="gateway",
            invoice=obj,
            reference=f"{payment.gateway}:{payment.gateway_ref or payment.order_id}",
            idempotency_key=f"gateway:{payment.order_id}",
        )

    def on_refunded(self, obj: Invoice, payment, amount: int) -> None:
        billing.pay_out_refund(obj.family, amount, method="gateway", reason=f"{payment.gateway} refund", invoice=obj)
