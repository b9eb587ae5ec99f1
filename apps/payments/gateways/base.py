from __future__ import annotations

from dataclasses import dataclass, field

import httpx

TIMEOUT = httpx.Timeout(15.0, connect=5.0)


class GatewayError(Exception):
    """The gateway refused or could not be reached."""


class BadWebhook(Exception):
    """A webhook we cannot read or verify."""


@dataclass
class WebhookEvent:
    event_id: str  # what makes a repeated delivery recognisable (UNIQUE per gateway)
    gateway_ref: str = ""
    order_id: str = ""
    raw: dict = field(default_factory=dict)


@dataclass
class Verified:
    """The gateway's own account of a payment, fetched or signed — never the webhook's word."""

    status: str  # paid | pending | cancelled | failed | refunded | partially_refunded
    amount: int
    gateway_ref: str
    order_id: str
    refunded: int = 0


class Adapter:
    name = ""
    # What the gateway must receive to stop retrying a webhook.
    success_status = 200
    success_body: dict | str = ""

    def __init__(self, config, client: httpx.Client | None = None):
        self.config = config
        self.client = client or httpx.Client(timeout=TIMEOUT)

    def url(self, path: str) -> str:
        return f"{self.config.base_url.rstrip('/')}{path}"

    def call(self, method: str, path: str, **kwargs) -> dict:
        try:
            response = self.client.request(method, self.url(path), headers=self.headers(), **kwargs)
        except httpx.HTTPError as exc:
            raise GatewayError(f"{self.name} unreachable: {exc}") from exc
        if response.status_code >= 400:
            raise GatewayError(f"{self.name} {response.status_code}: {response.text[:300]}")
        return response.json()

    def headers(self) -> dict:
        return {}

    # The steps every gateway implements.
    def create_checkout(self, payment, *, notify_url: str, return_url: str) -> tuple[str, str]:
        raise NotImplementedError

    def parse_webhook(self, body: bytes, headers) -> WebhookEvent:
        raise NotImplementedError

    def verify(self, event: WebhookEvent, payment) -> Verified:
        raise NotImplementedError

    def refund(self, payment, amount: int, reason: str, idempotency_key: str) -> str:
        raise NotImplementedError


def adapter_for(config) -> Adapter:
    from .payssam import PaySsam
    from .sandbox import LocalSandbox
    from .toss import Toss

    return {"toss": Toss, "payssam": PaySsam, "sandbox": LocalSandbox}[config.gateway](config)
