"""The crypto payment gateway: NOWPayments' API (x-api-key) and its IPN callbacks, signed
with HMAC-SHA512 over the JSON body with sorted keys (header `x-nowpayments-sig`).

    POST /v1/payment   {price_amount, price_currency, pay_currency, order_id, ipn_callback_url}
                       -> {payment_id, payment_status, pay_address, pay_currency, ...}
    POST /v1/payout    {withdrawals: [{address, currency, amount, ipn_callback_url,
                       unique_external_id}]} -> {id, withdrawals: [{id, status, ...}]}

Deposits to an address the gateway already issued arrive as new payments whose
`parent_payment_id` is the address's payment. The IPN's `confirmations` (which the sandbox
sends) is compared with WALLET_CONFIRMATIONS; without it, the gateway's own `finished`
status stands for enough confirmations (NOWPayments applies its per-coin policy).
"""

from __future__ import annotations

import hashlib
import hmac
import json

import httpx
from django.conf import settings


class GatewayError(Exception):
    pass


def canonical(payload: dict) -> bytes:
    return json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()


def sign(payload: dict, secret: str | None = None) -> str:
    key = (secret or settings.WALLET_GATEWAY_IPN_SECRET).encode()
    return hmac.new(key, canonical(payload), hashlib.sha512).hexdigest()


def verify(payload: dict, signature: str) -> bool:
    return bool(signature) and hmac.compare_digest(sign(payload), signature)


def _post(path: str, body: dict) -> dict:
    try:
        response = httpx.post(
            f"{settings.WALLET_GATEWAY_URL.rstrip('/')}{path}",
            json=body,
            headers={"x-api-key": settings.WALLET_GATEWAY_API_KEY},
            timeout=10,
        )
    except httpx.HTTPError as error:
        raise GatewayError(str(error)) from error
    if response.status_code >= 400:
        raise GatewayError(f"{path}: HTTP {response.status_code} {response.text[:200]}")
    return response.json()


def create_address(*, coin: str, order_id: str, ipn_url: str) -> dict:
    return _post(
        "/v1/payment",
        {
            "price_amount": 10_000,
            "price_currency": "krw",
            "pay_currency": coin.lower(),
            "order_id": order_id,
            "ipn_callback_url": ipn_url,
        },
    )


def payout(*, coin: str, address: str, amount: str, external_id: str, ipn_url: str) -> dict:
    return _post(
        "/v1/payout",
        {
            "withdrawals": [
                {
                    "address": address,
                    "currency": coin.lower(),
                    "amount": amount,
                    "ipn_callback_url": ipn_url,
                    "unique_external_id": external_id,
                }
            ]
        },
    )
