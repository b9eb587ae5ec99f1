"""Online payments: start one for anything payable, take the gateway's webhooks, refund.

A webhook is processed at most once per gateway event id (UNIQUE): the raw delivery is
stored, the payment is checked against the gateway's own account of it (signature or
re-query — never the webhook body alone), and in one transaction the payment is marked
paid, the payable is told (`on_paid`) and a ledger event is appended. A delivery repeated
any number of times, in sequence or all at once, has that one effect.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.core.services import require_won
from apps.ledger.services import append

from .gateways import BadWebhook, GatewayError, Verified, adapter_for
from .models import Gateway, GatewayConfig, Payment, PaymentRefund, WebhookDelivery
from .registry import kind_of, payable


def gateway_config(name: str | None = None) -> GatewayConfig:
    configs = GatewayConfig.objects.filter(enabled=True)
    config = (
        configs.filter(gateway=name).first() if name else (configs.filter(is_default=True).first() or configs.first())
    )
    if config is None:
        raise ValidationError({"gateway": _("No payment gateway is set up for online payments.")})
    return config


def site_url(domain: str | None = None) -> str:
    """The tenant's own address, for the gateway's return and notification URLs."""
    if domain is None:
        tenant = getattr(connection, "tenant", None)
        primary = tenant.get_primary_domain() if tenant is not None and hasattr(tenant, "get_primary_domain") else None
        domain = primary.domain if primary else "localhost"
    return settings.TENANT_URL_TEMPLATE.format(domain=domain).rstrip("/")


def start_payment(
    obj, *, gateway: str | None = None, amount: int | None = None, base_url: str | None = None, actor=None
) -> Payment:
    """A payment for a payable and the gateway's checkout for it. Asking again while a payment
    for the same thing and amount is pending returns that payment."""
    kind = kind_of(obj)
    info = payable(kind).describe(obj)
    amount = info.amount_due if amount is None else amount
    require_won(amount)
    if amount > info.amount_due:
        raise ValidationError({"amount": _("Only %(due)s won is due.") % {"due": f"{info.amount_due:,}"}})
    config = gateway_config(gateway)
    existing = (
        Payment.objects.filter(
            payable_kind=kind,
            payable_id=str(obj.pk),
            amount=amount,
            gateway=config.gateway,
            status=Payment.Status.PENDING,
        )
        .exclude(checkout_url="")
        .first()
    )
    if existing is not None:
        return existing
    payment = Payment.objects.create(
        payable_kind=kind,
        payable_id=str(obj.pk),
        title=info.title[:200],
        amount=amount,
        gateway=config.gateway,
        order_id=f"{connection.schema_name[:20]}-{uuid.uuid4().hex[:20]}",
        payer_name=info.payer_name[:100],
        payer_phone=info.payer_phone,
    )
    base = (base_url or site_url()).rstrip("/")
    notify_url = f"{base}/api/v1/payments/webhooks/{config.gateway}/"
    return_url = f"{base}/payments/return/{payment.order_id}/"
    try:
        ref, checkout = adapter_for(config).create_checkout(payment, notify_url=notify_url, return_url=return_url)
    except GatewayError as exc:
        Payment.objects.filter(pk=payment.pk).update(status=Payment.Status.FAILED)
        raise ValidationError({"gateway": str(exc)}) from exc
    payment.gateway_ref = ref
    payment.checkout_url = checkout or f"{base}/payments/checkout/{payment.order_id}/"
    payment.save(update_fields=["gateway_ref", "checkout_url"])
    append(
        "payment.started",
        subject=payment,
        actor=actor,
        data={"for": f"{kind}:{obj.pk}", "amount": amount, "gateway": config.gateway},
    )
    return payment


def _apply(payment: Payment, verified: Verified, *, source: str) -> str:
    """Bring a (locked) payment in line with the gateway's account. Returns what happened."""
    if verified.order_id and verified.order_id != payment.order_id:
        return "order mismatch"
    if verified.status == "paid":
        if verified.amount != payment.amount:
            return f"amount mismatch: gateway says {verified.amount}, we asked {payment.amount}"
        if payment.status != Payment.Status.PENDING:
            return "already " + payment.status
        handler = payable(payment.payable_kind)
        obj = handler.get(payment.payable_id)
        payment.status, payment.paid_at = Payment.Status.PAID, timezone.now()
        payment.gateway_ref = verified.gateway_ref or payment.gateway_ref
        payment.save(update_fields=["status", "paid_at", "gateway_ref"])
        append(
            "payment.gateway_paid",
            subject=payment,
            data={
                "for": f"{payment.payable_kind}:{payment.payable_id}",
                "amount": payment.amount,
                "gateway": payment.gateway,
                "source": source,
            },
            idempotency_key=f"gateway-paid:{payment.order_id}",
        )
        handler.on_paid(obj, payment, payment.amount)
        return "paid"
    if verified.status == "failed" and payment.status == Payment.Status.PENDING:
        payment.status = Payment.Status.FAILED
        payment.save(update_fields=["status"])
        return "failed"
    return "no change"


def handle_webhook(gateway: str, body: bytes, headers) -> tuple[int, dict | str]:
    """Process one delivery; returns the HTTP status and body the gateway expects."""
    if gateway not in Gateway.values:
        return 404, {"error": "unknown gateway"}
    config = GatewayConfig.objects.filter(gateway=gateway).first()
    if config is None:
        return 404, {"error": "gateway not configured here"}
    adapter = adapter_for(config)
    raw = _json(body)
    kept_headers = {k: v for k, v in headers.items() if k.lower().startswith(("x-", "content-", "user-agent"))}
    try:
        event = adapter.parse_webhook(body, headers)
    except BadWebhook as exc:
        WebhookDelivery.objects.create(
            gateway=gateway,
            event_id=f"rejected:{uuid.uuid4().hex}",
            payload=raw,
            headers=kept_headers,
            result=f"rejected: {exc}"[:200],
            processed_at=timezone.now(),
        )
        return 400, {"error": str(exc)}
    try:
        with transaction.atomic():
            delivery, created = _delivery(gateway, event, raw, kept_headers)
            if not created and delivery.processed_at:
                WebhookDelivery.objects.filter(pk=delivery.pk).update(repeats=delivery.repeats + 1)
                return _answer(adapter, delivery.result)
            payment = _locked_payment(gateway, event)
            if payment is None:
                delivery.result, delivery.processed_at = "unknown payment", timezone.now()
                delivery.save(update_fields=["result", "processed_at"])
                return 404, {"error": "no such payment here"}
            verified = adapter.verify(event, payment)
            result = _apply(payment, verified, source="webhook")
            delivery.payment, delivery.result, delivery.processed_at = payment, result[:200], timezone.now()
            delivery.save(update_fields=["payment", "result", "processed_at"])
    except BadWebhook as exc:
        return 400, {"error": str(exc)}
    return _answer(adapter, result)


def _locked_payment(gateway: str, event) -> Payment | None:
    found = Payment.objects.select_for_update().filter(gateway=gateway)
    if event.order_id:
        payment = found.filter(order_id=event.order_id).first()
        if payment is not None:
            return payment
    if event.gateway_ref:
        return found.filter(gateway_ref=event.gateway_ref).first()
    return None


def _delivery(gateway, event, raw, headers) -> tuple[WebhookDelivery, bool]:
    try:
        with transaction.atomic():
            return WebhookDelivery.objects.create(
                gateway=gateway, event_id=event.event_id, payload=raw, headers=headers
            ), True
    except IntegrityError:
        # The same event arrived before (or is arriving at this moment: the UNIQUE insert
        # waited for that transaction to commit).
        return WebhookDelivery.objects.select_for_update().get(gateway=gateway, event_id=event.event_id), False


def _answer(adapter, result: str) -> tuple[int, dict | str]:
    if result.startswith(("amount mismatch", "order mismatch")):
        return 409, {"error": result}
    return adapter.success_status, adapter.success_body or {"result": result}


def _json(body: bytes):
    import json

    try:
        return json.loads(body)
    except ValueError:
        return {"unparsed": body.decode("utf-8", "replace")[:5000]}


def confirm_return(payment: Payment, params) -> str:
    """The payer is back from the gateway: for Toss this is where the payment is confirmed."""
    config = gateway_config(payment.gateway)
    adapter = adapter_for(config)
    if payment.gateway == Gateway.TOSS:
        key, order, amount = params.get("paymentKey", ""), params.get("orderId", ""), params.get("amount", "")
        if order != payment.order_id or str(payment.amount) != amount:
            return "order mismatch"
        with transaction.atomic():
            locked = Payment.objects.select_for_update().get(pk=payment.pk)
            if locked.status != Payment.Status.PENDING:
                return locked.status
            locked.gateway_ref = key
            locked.save(update_fields=["gateway_ref"])
            try:
                verified = adapter.confirm(key, order, payment.amount)
            except GatewayError:
                return "failed"
            return _apply(locked, verified, source="return")
    return reconcile(payment)


def reconcile(payment: Payment) -> str:
    """Ask the gateway about a payment and apply what it says (missed webhooks)."""
    from .gateways.base import WebhookEvent

    if not payment.gateway_ref:
        return "no change"
    adapter = adapter_for(gateway_config(payment.gateway))
    with transaction.atomic():
        locked = Payment.objects.select_for_update().get(pk=payment.pk)
        try:
            verified = adapter.verify(WebhookEvent("", locked.gateway_ref, locked.order_id), locked)
        except BadWebhook:
            return "no change"
        return _apply(locked, verified, source="reconcile")


def reconcile_pending(older_than_minutes: int = 10) -> int:
    cutoff = timezone.now() - timedelta(minutes=older_than_minutes)
    done = 0
    for payment in Payment.objects.filter(status=Payment.Status.PENDING, created_at__lt=cutoff).exclude(gateway_ref=""):
        if reconcile(payment) == "paid":
            done += 1
    return done


def refund(payment: Payment, amount: int, *, reason: str, actor=None) -> PaymentRefund:
    """Give money back through the gateway (all or part), then tell the payable."""
    require_won(amount)
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the money is refunded.")})
    with transaction.atomic():
        locked = Payment.objects.select_for_update().get(pk=payment.pk)
        if locked.status not in (Payment.Status.PAID, Payment.Status.PARTIALLY_REFUNDED):
            raise ValidationError({"status": _("Only a paid payment can be refunded.")})
        if amount > locked.amount - locked.refunded_amount:
            raise ValidationError(
                {
                    "amount": _("At most %(left)s won can still be refunded.")
                    % {"left": f"{locked.amount - locked.refunded_amount:,}"}
                }
            )
        key = f"{locked.order_id}:refund:{locked.refunds.count() + 1}"
        # The payable's books first: if it refuses, the gateway is never asked. If the
        # gateway then fails, the transaction rolls the books back.
        handler = payable(locked.payable_kind)
        handler.on_refunded(handler.get(locked.payable_id), locked, amount)
        try:
            ref = adapter_for(gateway_config(locked.gateway)).refund(locked, amount, reason, key)
        except GatewayError as exc:
            raise ValidationError({"gateway": str(exc)}) from exc
        record = PaymentRefund.objects.create(
            payment=locked, amount=amount, reason=reason[:200], gateway_ref=ref or key
        )
        locked.refunded_amount += amount
        locked.status = (
            Payment.Status.REFUNDED if locked.refunded_amount == locked.amount else Payment.Status.PARTIALLY_REFUNDED
        )
        locked.save(update_fields=["refunded_amount", "status"])
        append("payment.gateway_refunded", subject=locked, actor=actor, data={"amount": amount, "reason": reason})
    return record
