"""Loopback sandboxes for the club cashier, on the platform host under /_sandbox/wallet/
when SANDBOX_ENABLED (development and tests):

- nowpayments/  NOWPayments' API: POST v1/payment (a deposit address), GET v1/payment/<id>,
                POST v1/payout; IPN callbacks signed HMAC-SHA512 (x-nowpayments-sig) over
                the sorted JSON body. `_chain/deposit` stands in for the blockchain: coins
                arriving at an address with N confirmations (each call sends one IPN, so a
                test can repeat or reorder them); `_chain/payout` settles a payout.
- upbit/        Upbit's public ticker: GET v1/ticker?markets=KRW-BTC.
- bithumb/      Bithumb's public ticker: GET public/ticker/BTC_KRW.
                `_rates` sets the prices and takes a source down (or makes it stale).

State lives in Redis (the cache), as an external service keeps its own.
"""

from __future__ import annotations

import json
import secrets
import time
from urllib.parse import urlsplit

import httpx
from django.conf import settings
from django.core.cache import cache
from django.http import JsonResponse

from apps.core.sandbox import sandbox_view

from ..gateway import sign

DAY = 86_400
DEFAULT_PRICES = {"BTC": 140_000_000, "ETH": 5_000_000, "USDT": 1_450, "USDC": 1_450}


def _key(*parts) -> str:
    return "sandbox:wallet:" + ":".join(map(str, parts))


def _authorised(request) -> bool:
    return request.headers.get("x-api-key") == settings.WALLET_GATEWAY_API_KEY


def deliver(url: str, payload: dict) -> int:
    """POST a signed IPN; `.test` hosts are reached on loopback with their Host header."""
    parts = urlsplit(url)
    headers = {"x-nowpayments-sig": sign(payload), "content-type": "application/json"}
    target = url
    if parts.hostname and parts.hostname.endswith(".test"):
        headers["host"] = parts.netloc
        target = url.replace(parts.hostname, "127.0.0.1", 1)
    try:
        return httpx.post(target, content=json.dumps(payload), headers=headers, timeout=15).status_code
    except httpx.HTTPError:
        return 0


# ---------------------------------------------------------------------------- NOWPayments


@sandbox_view
def create_payment(request):
    if not _authorised(request):
        return JsonResponse({"statusCode": 403, "code": "INVALID_API_KEY", "message": "Invalid api key"}, status=403)
    body = json.loads(request.body or b"{}")
    for field in ("price_amount", "price_currency", "pay_currency", "order_id", "ipn_callback_url"):
        if not body.get(field):
            return JsonResponse({"statusCode": 400, "code": "INVALID_REQUEST_PARAMS", "message": field}, status=400)
    payment_id = str(secrets.randbelow(9 * 10**9) + 10**9)
    coin = body["pay_currency"].upper()
    payment = {
        "payment_id": payment_id,
        "payment_status": "waiting",
        "pay_address": f"sbx{coin.lower()}1{secrets.token_hex(16)}",
        "pay_currency": body["pay_currency"],
        "price_amount": body["price_amount"],
        "price_currency": body["price_currency"],
        "order_id": body["order_id"],
        "ipn_callback_url": body["ipn_callback_url"],
    }
    cache.set(_key("payment", payment_id), payment, DAY)
    return JsonResponse(payment, status=201)


@sandbox_view
def get_payment(request, payment_id: str):
    payment = cache.get(_key("payment", payment_id))
    if not _authorised(request) or payment is None:
        return JsonResponse({"statusCode": 404, "message": "not found"}, status=404)
    return JsonResponse(payment)


CHAIN_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sandbox chain</title></head>
<body><h1>Sandbox blockchain (NOWPayments sandbox)</h1>
<p>Send coins to a deposit address; each press sends the gateway's IPN to the club.</p>
<form method="post"><label>Address payment id <input name="address_payment_id" value="{payment}"></label><br>
<label>Amount (coin) <input name="amount" value="0.001"></label><br>
<label>Confirmations <input name="confirmations" value="3"></label><br>
<label>Transaction <input name="tx" value="{tx}"></label><br>
<button type="submit">Send</button></form><p id="result">{result}</p></body></html>"""


@sandbox_view
def chain_deposit(request):
    """{"address_payment_id", "amount", "confirmations", "tx"}: coins arriving at the
    address; the same `tx` again is the same payment (a repeated or reordered IPN).
    GET shows a form doing the same (for the demo: a newcomer's first deposit)."""
    from django.http import HttpResponse
    from django.utils.html import escape

    if request.method == "GET":
        page = CHAIN_PAGE.format(payment=escape(request.GET.get("payment", "")), tx=secrets.token_hex(6), result="")
        return HttpResponse(page)
    body = json.loads(request.body or b"{}") if request.content_type == "application/json" else request.POST.dict()
    parent = cache.get(_key("payment", body["address_payment_id"]))
    if parent is None:
        return JsonResponse({"message": "no such address"}, status=404)
    tx = body.get("tx") or secrets.token_hex(8)
    child_key = _key("tx", tx)
    payment_id = cache.get(child_key) or str(secrets.randbelow(9 * 10**9) + 10**9)
    cache.set(child_key, payment_id, DAY)
    confirmations = int(body.get("confirmations", 0))
    payload = {
        "payment_id": payment_id,
        "parent_payment_id": parent["payment_id"],
        "payment_status": body.get("status") or ("confirming" if confirmations < 1 else "confirmed"),
        "pay_address": parent["pay_address"],
        "pay_currency": parent["pay_currency"],
        "pay_amount": str(body["amount"]),
        "actually_paid": str(body["amount"]),
        "order_id": parent["order_id"],
        "confirmations": confirmations,
        "updated_at": int(time.time() * 1000),
    }
    status = deliver(parent["ipn_callback_url"], payload)
    if request.content_type != "application/json":
        from django.http import HttpResponse

        result = f"IPN delivered: HTTP {status}, {confirmations} confirmation(s), payment {payment_id}"
        return HttpResponse(CHAIN_PAGE.format(payment=parent["payment_id"], tx=tx, result=result))
    return JsonResponse({"delivered": status, "payment_id": payment_id})


@sandbox_view
def create_payout(request):
    if not _authorised(request):
        return JsonResponse({"statusCode": 403, "code": "INVALID_API_KEY", "message": "Invalid api key"}, status=403)
    body = json.loads(request.body or b"{}")
    rows = []
    for item in body.get("withdrawals") or []:
        known = cache.get(_key("payout-external", item.get("unique_external_id")))
        if known:  # the same external id again is the same payout
            rows.append(cache.get(_key("payout", known)))
            continue
        payout_id = str(secrets.randbelow(9 * 10**9) + 10**9)
        row = {**item, "id": payout_id, "status": "WAITING", "batch_withdrawal_id": payout_id}
        cache.set(_key("payout", payout_id), row, DAY)
        cache.set(_key("payout-external", item.get("unique_external_id")), payout_id, DAY)
        rows.append(row)
    if not rows:
        return JsonResponse({"statusCode": 400, "message": "withdrawals required"}, status=400)
    return JsonResponse({"id": rows[0]["batch_withdrawal_id"], "withdrawals": rows})


@sandbox_view
def chain_payout(request):
    """{"external_id", "status": "FINISHED" | "FAILED"}: the payout settles; its IPN is sent."""
    body = json.loads(request.body or b"{}")
    payout_id = cache.get(_key("payout-external", body["external_id"]))
    row = cache.get(_key("payout", payout_id)) if payout_id else None
    if row is None:
        return JsonResponse({"message": "no such payout"}, status=404)
    row = {**row, "status": body.get("status", "FINISHED")}
    cache.set(_key("payout", payout_id), row, DAY)
    payload = {k: row[k] for k in ("id", "address", "currency", "amount", "status", "batch_withdrawal_id")}
    payload["unique_external_id"] = row["unique_external_id"]
    return JsonResponse({"delivered": deliver(row["ipn_callback_url"], payload)})


# ---------------------------------------------------------------------------- rates


def _price(source: str, coin: str):
    state = cache.get(_key("rates")) or {}
    if source in state.get("down", []):
        return None, 0
    age = state.get("stale", {}).get(source, 0)
    return state.get("prices", DEFAULT_PRICES).get(coin), int((time.time() - age) * 1000)


@sandbox_view
def set_rates(request):
    """{"prices": {"BTC": 140000000, ...}, "down": ["upbit"], "stale": {"bithumb": 900}}"""
    cache.set(_key("rates"), json.loads(request.body or b"{}"), DAY)
    return JsonResponse({"ok": True})


@sandbox_view
def upbit_ticker(request):
    rows = []
    for market in request.GET.get("markets", "").split(","):
        coin = market.removeprefix("KRW-")
        price, stamp = _price("upbit", coin)
        if price is None:
            return JsonResponse({"error": {"name": 404, "message": "Code not found"}}, status=404)
        rows.append({"market": market, "trade_price": float(price), "timestamp": stamp, "trade_timestamp": stamp})
    return JsonResponse(rows, safe=False)


@sandbox_view
def bithumb_ticker(request, pair: str):
    coin = pair.split("_")[0].upper()
    price, stamp = _price("bithumb", coin)
    if price is None:
        return JsonResponse({"status": "5500", "message": "Invalid Parameter"}, status=200)
    return JsonResponse({"status": "0000", "data": {"closing_price": str(price), "date": str(stamp)}})
