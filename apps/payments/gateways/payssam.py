"""A 결제선생 (PaySSAM)-style bill-link gateway.

결제선생's API is not public; this follows how the issue and the seed describe it: staff send
a bill link to the parent's phone; our order id is the bill id and the bill id is the
idempotency key (creating the same bill again returns it); when the parent pays, the
gateway calls our callback URL and **retries every hour for 24 hours until it receives its
success code** — HTTP 200 with {"code": "0000"}. We verify a callback by asking the
gateway for the bill.

    POST /v1/bills                  {bill_id, merchant_id, amount, product_name, phone, callback_url}
    GET  /v1/bills/{bill_id}        {bill_id, state: unpaid|paid|cancelled|partial_cancelled, amount, cancelled_amount}
    POST /v1/bills/{bill_id}/cancel {amount, reason}
"""

from __future__ import annotations

from apps.core import jsondepth

from .base import Adapter, BadWebhook, GatewayError, Verified, WebhookEvent

STATUS = {"paid": "paid", "unpaid": "pending", "cancelled": "refunded", "partial_cancelled": "partially_refunded"}


class PaySsam(Adapter):
    name = "payssam"
    success_body = {"code": "0000", "message": "OK"}

    def headers(self) -> dict:
        return {"X-Api-Key": self.config.secret or "", "Content-Type": "application/json"}

    def create_checkout(self, payment, *, notify_url: str, return_url: str) -> tuple[str, str]:
        data = self.call(
            "POST",
            "/v1/bills",
            json={
                "bill_id": payment.order_id,
                "merchant_id": self.config.client_key,
                "amount": payment.amount,
                "product_name": payment.title,
                "phone": payment.payer_phone or "",
                "callback_url": notify_url,
            },
        )
        return data["bill_id"], data["short_url"]

    def parse_webhook(self, body: bytes, headers) -> WebhookEvent:
        try:
            payload = jsondepth.loads(body)
            bill_id, state = payload["bill_id"], payload["state"]
        except (ValueError, KeyError, TypeError) as exc:
            raise BadWebhook(f"not a bill callback: {exc}") from exc
        return WebhookEvent(f"{bill_id}:{state}", bill_id, bill_id, payload)

    def verify(self, event: WebhookEvent, payment) -> Verified:
        try:
            data = self.call("GET", f"/v1/bills/{event.gateway_ref}")
        except GatewayError as exc:
            raise BadWebhook(str(exc)) from exc
        return Verified(
            STATUS.get(data["state"], "pending"),
            int(data["amount"]),
            data["bill_id"],
            data["bill_id"],
            int(data.get("cancelled_amount", 0)),
        )

    def refund(self, payment, amount: int, reason: str, idempotency_key: str) -> str:
        self.call("POST", f"/v1/bills/{payment.gateway_ref}/cancel", json={"amount": amount, "reason": reason})
        return idempotency_key
