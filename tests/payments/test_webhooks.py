import json
import threading

import httpx
import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection
from django_tenants.utils import schema_context

from apps.academy.models import Invoice
from apps.academy.models import Payment as AcademyPayment
from apps.academy.services import billing
from apps.ledger.models import Event
from apps.notifications.models import Message
from apps.payments import services
from apps.payments.gateways.sandbox import sign
from apps.payments.models import Payment, SandboxPayment, WebhookDelivery

from .conftest import browser, configure_gateways, pay_on_sandbox, sandbox_record, wait_paid


def start(billed, gateway=None) -> Payment:
    with billed["t"].context():
        return services.start_payment(billed["invoice"], gateway=gateway, base_url=billed["base"])


def one_effect(t, invoice) -> None:
    with t.context():
        invoice.refresh_from_db()
        assert invoice.status == Invoice.Status.PAID and invoice.paid == 200_000
        assert AcademyPayment.objects.filter(method="gateway").count() == 1
        assert Event.objects.filter(kind="payment.received").count() == 1
        assert Event.objects.filter(kind="payment.gateway_paid").count() == 1
        assert Message.objects.filter(template__code="receipt").count() == 1


def test_sandbox_checkout_pays_the_invoice_through_the_webhook(billed):
    payment = start(billed)
    assert payment.checkout_url.startswith("http://localhost:")
    with browser(billed["server"]) as client:
        # amounts read as in the portal: "200,000원", never "200000원" (issue 12, defect 11)
        assert "결제 200,000원" in client.get(payment.checkout_url, headers={"Accept-Language": "ko"}).text
    page = pay_on_sandbox(billed["server"], payment.checkout_url)
    assert page.status_code == 200 and "/payments/return/" in str(page.url)
    # the return page asks the gateway, so it already shows the payment done
    assert "200,000원 결제가 완료되었습니다" in page.text, page.text
    wait_paid(billed["t"], billed["invoice"])
    one_effect(billed["t"], billed["invoice"])
    with billed["t"].context():
        payment.refresh_from_db()
        assert payment.status == "paid"
        # The payer's return (which asks the gateway) or the webhook: whichever came first
        # took effect, the other found it done.
        import time

        deadline = time.monotonic() + 15
        while not WebhookDelivery.objects.filter(payment=payment).exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        delivery = WebhookDelivery.objects.get(payment=payment)
        assert delivery.result in ("paid", "already paid") and delivery.payload["order_id"] == payment.order_id
        assert "X-Sandbox-Signature" in delivery.headers or "x-sandbox-signature" in {
            k.lower() for k in delivery.headers
        }


def _signed_delivery(billed, payment) -> bytes:
    checkout = sandbox_record(ref=payment.gateway_ref)
    return json.dumps(
        {
            "event_id": f"evt_{checkout.ref}_paid",
            "type": "payment.paid",
            "checkout_id": checkout.ref,
            "order_id": checkout.order_id,
            "status": "PAID",
            "amount": checkout.amount,
            "refunded": 0,
        }
    ).encode()


def test_a_delivery_repeated_100_times_has_exactly_one_effect(billed):
    payment = start(billed)
    pay_on_sandbox(billed["server"], payment.checkout_url)
    wait_paid(billed["t"], billed["invoice"])
    body = _signed_delivery(billed, payment)
    headers = {"X-Sandbox-Signature": sign(settings.SANDBOX_GATEWAY_SECRET, body), "Content-Type": "application/json"}
    url = f"http://127.0.0.1:{billed['server'].port}/api/v1/payments/webhooks/sandbox/"
    with httpx.Client(headers={"Host": f"{billed['t'].domain}"}, timeout=10) as client:
        answers = {client.post(url, content=body, headers=headers).status_code for _ in range(100)}
    assert answers == {200}
    one_effect(billed["t"], billed["invoice"])
    with billed["t"].context():
        assert WebhookDelivery.objects.get(event_id=f"evt_{payment.gateway_ref}_paid").repeats >= 99


def test_concurrent_deliveries_of_one_event_have_exactly_one_effect(billed):
    payment = start(billed)
    with schema_context("public"):
        SandboxPayment.objects.filter(ref=payment.gateway_ref).update(status="PAID")  # paid; webhook not yet sent
    body = _signed_delivery(billed, payment)
    headers = {"X-Sandbox-Signature": sign(settings.SANDBOX_GATEWAY_SECRET, body)}
    results, barrier = [], threading.Barrier(40)

    def deliver():
        try:
            with billed["t"].context():
                barrier.wait()
                results.append(services.handle_webhook("sandbox", body, headers)[0])
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [200] * 40
    one_effect(billed["t"], billed["invoice"])


def test_forged_signature_is_refused_and_recorded(billed):
    payment = start(billed)
    body = _signed_delivery(billed, payment)
    with billed["t"].context():
        status, _body = services.handle_webhook("sandbox", body, {"X-Sandbox-Signature": "0" * 64})
        assert status == 400
        assert WebhookDelivery.objects.get().result.startswith("rejected: bad signature")
        billed["invoice"].refresh_from_db()
        assert billed["invoice"].status == Invoice.Status.ISSUED


def test_amount_mismatch_is_refused(billed):
    payment = start(billed)
    with schema_context("public"):
        SandboxPayment.objects.filter(ref=payment.gateway_ref).update(amount=150_000, status="PAID")
    body = _signed_delivery(billed, payment)
    with billed["t"].context():
        status, answer = services.handle_webhook(
            "sandbox", body, {"X-Sandbox-Signature": sign(settings.SANDBOX_GATEWAY_SECRET, body)}
        )
        assert status == 409 and "amount mismatch" in answer["error"]
        billed["invoice"].refresh_from_db()
        assert billed["invoice"].paid == 0
        payment.refresh_from_db()
        assert payment.status == "pending"


def test_a_webhook_on_another_tenants_host_changes_nothing(billed, live_tenant):
    other = live_tenant("academy")
    with other.t.context() if hasattr(other, "t") else other.context():
        configure_gateways(billed["server"])
    payment = start(billed)
    with schema_context("public"):
        SandboxPayment.objects.filter(ref=payment.gateway_ref).update(status="PAID")
    body = _signed_delivery(billed, payment)
    url = f"http://127.0.0.1:{billed['server'].port}/api/v1/payments/webhooks/sandbox/"
    response = httpx.post(
        url,
        content=body,
        headers={"Host": other.domain, "X-Sandbox-Signature": sign(settings.SANDBOX_GATEWAY_SECRET, body)},
    )
    assert response.status_code == 404
    with billed["t"].context():
        billed["invoice"].refresh_from_db()
        assert billed["invoice"].paid == 0
    with other.context():
        assert WebhookDelivery.objects.get().result == "unknown payment"


def test_toss_pays_on_return_and_a_forged_webhook_is_checked_by_requery(billed):
    payment = start(billed, gateway="toss")
    assert payment.checkout_url.endswith(f"/payments/checkout/{payment.order_id}/")
    with billed["t"].context():
        other = services.start_payment(billed["invoice"], gateway="toss", amount=100_000, base_url=billed["base"])
    # A forged "DONE" webhook for a payment Toss never approved: the re-query says otherwise.
    forged = json.dumps(
        {
            "eventType": "PAYMENT_STATUS_CHANGED",
            "createdAt": "2026-12-01T00:00:00.000",
            "data": {"paymentKey": "tgen_forged", "orderId": other.order_id, "status": "DONE", "totalAmount": 100_000},
        }
    ).encode()
    with billed["t"].context():
        status, _answer = services.handle_webhook("toss", forged, {})
        assert status == 400
        other.refresh_from_db()
        assert other.status == "pending"
    # The real thing: checkout page → Toss window (sandbox) → return → confirm.
    page = pay_on_sandbox(billed["server"], f"{billed['base']}/payments/checkout/{payment.order_id}/")
    assert page.status_code == 200 and ("결제가 완료" in page.text or "Payment complete" in page.text)
    wait_paid(billed["t"], billed["invoice"])
    import time

    time.sleep(1)  # Toss's own webhook for the same payment arrives too: no second effect
    one_effect(billed["t"], billed["invoice"])


def test_payssam_retries_its_callback_until_it_gets_the_success_code(billed):
    from apps.payments.models import GatewayConfig

    payment = start(billed, gateway="payssam")
    with billed["t"].context():
        GatewayConfig.objects.filter(gateway="payssam").delete()  # our endpoint can't take it yet
    pay_on_sandbox(billed["server"], payment.checkout_url)
    import time

    deadline = time.monotonic() + 10
    while sandbox_record(ref=payment.order_id).callbacks_sent == 0 and time.monotonic() < deadline:
        time.sleep(0.1)
    bill = sandbox_record(ref=payment.order_id)
    assert bill.callbacks_sent == 1 and not bill.callback_acknowledged
    with billed["t"].context():
        configure_gateways(billed["server"])
    retry = f"http://localhost:{billed['server'].port}/_sandbox/payments/payssam/_retry"
    assert httpx.post(retry).json() == {"retried": 1}
    bill = sandbox_record(ref=payment.order_id)
    assert bill.callback_acknowledged and bill.callbacks_sent == 2
    assert httpx.post(retry).json() == {"retried": 0}
    one_effect(billed["t"], billed["invoice"])


def test_refunds_through_the_gateway_come_out_of_family_credit(billed):
    payment = start(billed)
    pay_on_sandbox(billed["server"], payment.checkout_url)
    wait_paid(billed["t"], billed["invoice"])
    with billed["t"].context():
        payment.refresh_from_db()
        with pytest.raises(ValidationError):
            services.refund(payment, 50_000, reason="no credit yet")  # the family has no credit
        assert sandbox_record(ref=payment.gateway_ref).cancelled_amount == 0
        billing.credit_invoice(billed["invoice"], 50_000, description="수업 취소분")
        services.refund(payment, 50_000, reason="수업 취소분 환불")
        payment.refresh_from_db()
        assert (payment.status, payment.refunded_amount) == ("partially_refunded", 50_000)
        assert billing.family_credit(billed["kid"].family) == 0
        with pytest.raises(ValidationError):
            services.refund(payment, 200_000, reason="too much")
    assert sandbox_record(ref=payment.gateway_ref).cancelled_amount == 50_000
