"""Toss Payments, API v1 (https://api.tosspayments.com): Basic auth with the secret key.

- The payer pays in Toss's payment window; Toss then sends them to our success URL with
  paymentKey, orderId and amount, and we confirm: POST /v1/payments/confirm.
- Webhooks (PAYMENT_STATUS_CHANGED) are not signed: we act only on what
  GET /v1/payments/{paymentKey} says. Toss retries a webhook 7 times over about 4 days
  until it gets HTTP 200.
- Refunds: POST /v1/payments/{paymentKey}/cancel, with an Idempotency-Key header.
"""

from __future__ import annotations

import base64

from apps.core import jsondepth

from .base import Adapter, BadWebhook, GatewayError, Verified, WebhookEvent

STATUS = {
    "DONE": "paid",
    "CANCELED": "refunded",
    "PARTIAL_CANCELED": "partially_refunded",
    "ABORTED": "failed",
    "EXPIRED": "failed",
    "READY": "pending",
    "IN_PROGRESS": "pending",
    "WAITING_FOR_DEPOSIT": "pending",
}


class Toss(Adapter):
    name = "toss"

    def headers(self) -> dict:
        token = base64.b64encode(f"{self.config.secret or ''}:".encode()).decode()
        return {"Authorization": f"Basic {token}", "Content-Type": "application/json"}

    def create_checkout(self, payment, *, notify_url: str, return_url: str) -> tuple[str, str]:
        # Toss's window opens from our checkout page (apps/payments/views.py), which passes
        # the client key, order id, amount and the success/fail URLs to Toss's SDK.
        return "", ""

    def _verified(self, data: dict) -> Verified:
        total = int(data.get("totalAmount", 0))
        balance = int(data.get("balanceAmount", total))
        return Verified(
            STATUS.get(data.get("status"), "pending"),
            total,
            data.get("paymentKey", ""),
            data.get("orderId", ""),
            total - balance,
        )

    def confirm(self, payment_key: str, order_id: str, amount: int) -> Verified:
        data = self.call(
            "POST", "/v1/payments/confirm", json={"paymentKey": payment_key, "orderId": order_id, "amount": amount}
        )
        return self._verified(data)

    def parse_webhook(self, body: bytes, headers) -> WebhookEvent:
        try:
            payload = jsondepth.loads(body)
            data = payload["data"]
            key = data["paymentKey"]
        except (ValueError, KeyError, TypeError) as exc:
            raise BadWebhook(f"not a Toss webhook: {exc}") from exc
        if payload.get("eventType") != "PAYMENT_STATUS_CHANGED":
            raise BadWebhook(f"unhandled Toss event {payload.get('eventType')}")
        event_id = f"{key}:{data.get('status')}:{data.get('lastTransactionKey') or payload.get('createdAt')}"
        return WebhookEvent(event_id, key, data.get("orderId", ""), payload)

    def verify(self, event: WebhookEvent, payment) -> Verified:
        try:
            return self._verified(self.call("GET", f"/v1/payments/{event.gateway_ref}"))
        except GatewayError as exc:
            raise BadWebhook(f"Toss does not know payment {event.gateway_ref}: {exc}") from exc

    def refund(self, payment, amount: int, reason: str, idempotency_key: str) -> str:
        data = self.client.request(
            "POST",
            self.url(f"/v1/payments/{payment.gateway_ref}/cancel"),
            headers={**self.headers(), "Idempotency-Key": idempotency_key},
            json={"cancelReason": reason, "cancelAmount": amount},
        )
        if data.status_code >= 400:
            raise GatewayError(f"toss {data.status_code}: {data.text[:300]}")
        cancels = data.json().get("cancels") or [{}]
        return cancels[-1].get("transactionKey", "")
