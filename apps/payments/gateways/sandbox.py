"""The local sandbox gateway: a checkout page on loopback where a parent "pays" (or
declines); the sandbox then sends a webhook signed with HMAC-SHA256 of the body
(X-Sandbox-Signature) to the tenant, carrying a unique event id.

    POST /v1/checkouts                 {order_id, amount, title, notify_url, return_url} -> {checkout_id, checkout_url}
    GET  /v1/checkouts/{id}            {checkout_id, order_id, status, amount, refunded}
                                       status: READY|PAID|DECLINED|REFUNDED|PARTIALLY_REFUNDED
    POST /v1/checkouts/{id}/refund     {amount}
"""

from __future__ import annotations

import hashlib
import hmac

from apps.core import jsondepth

from .base import Adapter, BadWebhook, GatewayError, Verified, WebhookEvent

STATUS = {
    "PAID": "paid",
    "READY": "pending",
    "DECLINED": "failed",
    "REFUNDED": "refunded",
    "PARTIALLY_REFUNDED": "partially_refunded",
}


def sign(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class LocalSandbox(Adapter):
    name = "sandbox"

    def headers(self) -> dict:
        return {"X-Sandbox-Key": self.config.client_key, "Content-Type": "application/json"}

    def create_checkout(self, payment, *, notify_url: str, return_url: str) -> tuple[str, str]:
        data = self.call(
            "POST",
            "/v1/checkouts",
            json={
                "order_id": payment.order_id,
                "amount": payment.amount,
                "title": payment.title,
                "notify_url": notify_url,
                "return_url": return_url,
            },
        )
        return data["checkout_id"], data["checkout_url"]

    def parse_webhook(self, body: bytes, headers) -> WebhookEvent:
        given = headers.get("X-Sandbox-Signature", "")
        if not hmac.compare_digest(sign(self.config.secret or "", body), given):
            raise BadWebhook("bad signature")
        try:
            payload = jsondepth.loads(body)
            return WebhookEvent(payload["event_id"], payload["checkout_id"], payload["order_id"], payload)
        except (ValueError, KeyError, TypeError) as exc:
            raise BadWebhook(f"not a sandbox webhook: {exc}") from exc

    def verify(self, event: WebhookEvent, payment) -> Verified:
        try:
            data = self.call("GET", f"/v1/checkouts/{event.gateway_ref}")
        except GatewayError as exc:
            raise BadWebhook(str(exc)) from exc
        return Verified(
            STATUS.get(data["status"], "pending"),
            int(data["amount"]),
            data["checkout_id"],
            data["order_id"],
            int(data.get("refunded", 0)),
        )

    def refund(self, payment, amount: int, reason: str, idempotency_key: str) -> str:
        self.call("POST", f"/v1/checkouts/{payment.gateway_ref}/refund", json={"amount": amount, "reason": reason})
        return idempotency_key
