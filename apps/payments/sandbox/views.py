"""Loopback sandboxes of the payment gateways, served on the platform host under
/_sandbox/payments/ when SANDBOX_ENABLED (development and tests):

- toss/    Toss Payments API v1: confirm, get, cancel (Basic auth with the secret key), a
           checkout page standing in for Toss's payment window, and PAYMENT_STATUS_CHANGED
           webhooks to the merchant's registered URL (derived from its return URL).
- payssam/ a 결제선생-style bill gateway: create/get/cancel bills, the page the bill link
           opens, and callbacks retried (via `_retry`, the stand-in for "every hour") until
           the merchant answers {"code": "0000"}.
- local/   the local sandbox gateway: checkouts, a pay/decline page, HMAC-signed webhooks.

Webhooks are sent from a background thread: the development server may serve both the
sandbox and the tenant from one worker thread.
"""

from __future__ import annotations

import base64
import json
import threading
import time
import uuid
from urllib.parse import urlencode, urlsplit

import httpx
from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from apps.core.sandbox import sandbox_view

from ..gateways.sandbox import sign
from ..models import SandboxPayment


def _post(url: str, body: bytes, headers: dict) -> httpx.Response | None:
    """POST to a tenant; development hosts (*.localhost, *.test) are reached on loopback."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    target = url
    extra = {}
    if host.endswith((".localhost", ".test")) or host == "localhost":
        target = url.replace(f"//{parts.netloc}", f"//127.0.0.1:{parts.port or 80}", 1)
        extra["Host"] = parts.netloc
    try:
        return httpx.post(
            target, content=body, headers={**headers, **extra, "Content-Type": "application/json"}, timeout=10
        )
    except httpx.HTTPError:
        return None


def _later(function, *args) -> None:
    threading.Thread(target=function, args=args, daemon=True).start()


def _body(request) -> dict:
    try:
        return json.loads(request.body or b"{}")
    except ValueError:
        return {}


# ---------------------------------------------------------------------------- Toss


def _toss_auth_ok(request) -> bool:
    expected = "Basic " + base64.b64encode(f"{settings.SANDBOX_TOSS_SECRET_KEY}:".encode()).decode()
    return request.headers.get("Authorization") == expected


def _toss_error(code: str, message: str, status: int) -> JsonResponse:
    return JsonResponse({"code": code, "message": message}, status=status)


def _toss_payment(p: SandboxPayment) -> dict:
    status = {"READY": "READY", "IN_PROGRESS": "IN_PROGRESS", "DONE": "DONE"}.get(p.status, p.status)
    return {
        "paymentKey": p.ref,
        "orderId": p.order_id,
        "orderName": p.title,
        "status": status,
        "totalAmount": p.amount,
        "balanceAmount": p.amount - p.cancelled_amount,
        "method": "카드",
        "approvedAt": p.approved_at.isoformat() if p.approved_at else None,
        "lastTransactionKey": f"{p.ref}-{p.cancelled_amount}-{status}",
        "cancels": [{"cancelAmount": p.cancelled_amount, "transactionKey": f"{p.ref}-c{p.cancelled_amount}"}]
        if p.cancelled_amount
        else None,
    }


def _toss_webhook(p: SandboxPayment) -> None:
    body = json.dumps(
        {"eventType": "PAYMENT_STATUS_CHANGED", "createdAt": timezone.now().isoformat(), "data": _toss_payment(p)}
    ).encode()
    parts = urlsplit(p.return_url)
    _post(f"{parts.scheme}://{parts.netloc}/api/v1/payments/webhooks/toss/", body, {})


@sandbox_view
def toss_checkout(request):
    """Stands in for Toss's payment window: pay, or decline."""
    params = request.GET if request.method == "GET" else request.POST
    if request.method == "POST":
        if params.get("action") != "pay":
            return redirect(
                params["failUrl"] + "?" + urlencode({"code": "PAY_PROCESS_CANCELED", "orderId": params["orderId"]})
            )
        payment = SandboxPayment.objects.create(
            gateway="toss",
            ref=f"tgen_{uuid.uuid4().hex[:20]}",
            order_id=params["orderId"],
            title=params.get("orderName", ""),
            amount=int(params["amount"]),
            status="IN_PROGRESS",
            return_url=params["successUrl"],
        )
        query = urlencode({"paymentKey": payment.ref, "orderId": payment.order_id, "amount": payment.amount})
        return redirect(f"{params['successUrl']}?{query}")
    return render(
        request, "payments/sandbox_checkout.html", {"gateway": "Toss", "params": params, "amount": params.get("amount")}
    )


@sandbox_view
def toss_confirm(request):
    if not _toss_auth_ok(request):
        return _toss_error("UNAUTHORIZED_KEY", "인증되지 않은 시크릿 키 혹은 클라이언트 키 입니다.", 401)
    data = _body(request)
    payment = SandboxPayment.objects.filter(gateway="toss", ref=data.get("paymentKey", "")).first()
    if payment is None or payment.order_id != data.get("orderId"):
        return _toss_error("NOT_FOUND_PAYMENT", "존재하지 않는 결제 정보 입니다.", 404)
    if int(data.get("amount", -1)) != payment.amount:
        return _toss_error("INVALID_REQUEST", "결제 금액이 일치하지 않습니다.", 400)
    if payment.status == "IN_PROGRESS":
        payment.status, payment.approved_at = "DONE", timezone.now()
        payment.save(update_fields=["status", "approved_at"])
        _later(_toss_webhook, payment)
    elif payment.status != "DONE":
        return _toss_error("ALREADY_PROCESSED_PAYMENT", "이미 처리된 결제 입니다.", 400)
    return JsonResponse(_toss_payment(payment))


@sandbox_view
def toss_payment(request, payment_key: str):
    if not _toss_auth_ok(request):
        return _toss_error("UNAUTHORIZED_KEY", "인증되지 않은 시크릿 키 혹은 클라이언트 키 입니다.", 401)
    payment = SandboxPayment.objects.filter(gateway="toss", ref=payment_key).first()
    if payment is None:
        return _toss_error("NOT_FOUND_PAYMENT", "존재하지 않는 결제 정보 입니다.", 404)
    return JsonResponse(_toss_payment(payment))


@sandbox_view
def toss_cancel(request, payment_key: str):
    if not _toss_auth_ok(request):
        return _toss_error("UNAUTHORIZED_KEY", "인증되지 않은 시크릿 키 혹은 클라이언트 키 입니다.", 401)
    payment = SandboxPayment.objects.filter(
        gateway="toss", ref=payment_key, status__in=["DONE", "PARTIAL_CANCELED"]
    ).first()
    if payment is None:
        return _toss_error("NOT_CANCELABLE_PAYMENT", "취소 할 수 없는 결제 입니다.", 400)
    amount = int(_body(request).get("cancelAmount") or payment.amount - payment.cancelled_amount)
    if amount > payment.amount - payment.cancelled_amount:
        return _toss_error("NOT_CANCELABLE_AMOUNT", "취소 할 수 없는 금액 입니다.", 400)
    payment.cancelled_amount += amount
    payment.status = "CANCELED" if payment.cancelled_amount == payment.amount else "PARTIAL_CANCELED"
    payment.save(update_fields=["cancelled_amount", "status"])
    return JsonResponse(_toss_payment(payment))


# ---------------------------------------------------------------------------- 결제선생-style bills


def _bill(p: SandboxPayment) -> dict:
    state = {"READY": "unpaid", "PAID": "paid", "CANCELLED": "cancelled", "PARTIAL": "partial_cancelled"}[p.status]
    return {
        "bill_id": p.ref,
        "state": state,
        "amount": p.amount,
        "cancelled_amount": p.cancelled_amount,
        "paid_at": p.approved_at.isoformat() if p.approved_at else None,
    }


def _bill_callback(p: SandboxPayment) -> None:
    response = _post(p.notify_url, json.dumps(_bill(p)).encode(), {})
    acknowledged = response is not None and response.status_code == 200 and _safe_json(response).get("code") == "0000"
    SandboxPayment.objects.filter(pk=p.pk).update(
        callbacks_sent=p.callbacks_sent + 1, callback_acknowledged=acknowledged
    )


def _safe_json(response) -> dict:
    try:
        return response.json()
    except ValueError:
        return {}


@sandbox_view
def bills(request):
    if request.headers.get("X-Api-Key") != settings.SANDBOX_PAYSSAM_API_KEY:
        return JsonResponse({"code": "4010", "message": "invalid api key"}, status=401)
    data = _body(request)
    missing = [f for f in ("bill_id", "amount", "callback_url") if not data.get(f)]
    if missing:
        return JsonResponse({"code": "4000", "message": f"missing {', '.join(missing)}"}, status=400)
    # The bill id is the idempotency key: the same bill again is the same bill.
    payment, _created = SandboxPayment.objects.get_or_create(
        gateway="payssam",
        ref=data["bill_id"],
        defaults={
            "order_id": data["bill_id"],
            "title": data.get("product_name", ""),
            "amount": int(data["amount"]),
            "status": "READY",
            "notify_url": data["callback_url"],
        },
    )
    short_url = request.build_absolute_uri(f"/_sandbox/payments/payssam/pay/{payment.ref}/")
    return JsonResponse({**_bill(payment), "short_url": short_url})


@sandbox_view
def bill(request, bill_id: str):
    if request.headers.get("X-Api-Key") != settings.SANDBOX_PAYSSAM_API_KEY:
        return JsonResponse({"code": "4010", "message": "invalid api key"}, status=401)
    payment = SandboxPayment.objects.filter(gateway="payssam", ref=bill_id).first()
    if payment is None:
        return JsonResponse({"code": "4040", "message": "no such bill"}, status=404)
    return JsonResponse(_bill(payment))


@sandbox_view
def bill_cancel(request, bill_id: str):
    if request.headers.get("X-Api-Key") != settings.SANDBOX_PAYSSAM_API_KEY:
        return JsonResponse({"code": "4010", "message": "invalid api key"}, status=401)
    payment = get_object_or_404(SandboxPayment, gateway="payssam", ref=bill_id, status__in=["PAID", "PARTIAL"])
    amount = int(_body(request).get("amount") or payment.amount - payment.cancelled_amount)
    if amount > payment.amount - payment.cancelled_amount:
        return JsonResponse({"code": "4001", "message": "amount exceeds the paid amount"}, status=400)
    payment.cancelled_amount += amount
    payment.status = "CANCELLED" if payment.cancelled_amount == payment.amount else "PARTIAL"
    payment.save(update_fields=["cancelled_amount", "status"])
    return JsonResponse(_bill(payment))


@sandbox_view
def bill_pay(request, bill_id: str):
    payment = get_object_or_404(SandboxPayment, gateway="payssam", ref=bill_id)
    if request.method == "POST" and request.POST.get("action") == "pay" and payment.status == "READY":
        payment.status, payment.approved_at = "PAID", timezone.now()
        payment.save(update_fields=["status", "approved_at"])
        _later(_bill_callback, payment)
        return render(request, "payments/sandbox_done.html", {"payment": payment})
    return render(
        request,
        "payments/sandbox_checkout.html",
        {"gateway": "결제선생", "amount": payment.amount, "title": payment.title},
    )


@sandbox_view
def bill_retry(request):
    """What the gateway does every hour for 24 hours: call back every paid bill whose
    callback was not yet answered with the success code."""
    pending = SandboxPayment.objects.filter(
        gateway="payssam", status="PAID", callback_acknowledged=False, callbacks_sent__lt=24
    )
    for payment in pending:
        _bill_callback(payment)
    return JsonResponse({"retried": len(pending)})


# ---------------------------------------------------------------------------- local sandbox gateway


def _checkout(p: SandboxPayment) -> dict:
    refunded = p.cancelled_amount
    status = p.status if not refunded else ("REFUNDED" if refunded == p.amount else "PARTIALLY_REFUNDED")
    return {"checkout_id": p.ref, "order_id": p.order_id, "status": status, "amount": p.amount, "refunded": refunded}


def _local_webhook(p: SandboxPayment) -> None:
    checkout = _checkout(p)
    # A retry of the same event carries the same id, as a real gateway's would.
    body = json.dumps(
        {
            "event_id": f"evt_{p.ref}_{checkout['status'].lower()}",
            "type": f"payment.{p.status.lower()}",
            **checkout,
            "paid_at": p.approved_at.isoformat() if p.approved_at else None,
        }
    ).encode()
    _post(p.notify_url, body, {"X-Sandbox-Signature": sign(settings.SANDBOX_GATEWAY_SECRET, body)})


@sandbox_view
def checkouts(request):
    if request.headers.get("X-Sandbox-Key") != settings.SANDBOX_GATEWAY_KEY:
        return JsonResponse({"error": "invalid key"}, status=401)
    data = _body(request)
    try:
        payment = SandboxPayment.objects.create(
            gateway="local",
            ref=f"chk_{uuid.uuid4().hex[:20]}",
            order_id=data["order_id"],
            title=data.get("title", ""),
            amount=int(data["amount"]),
            status="READY",
            notify_url=data["notify_url"],
            return_url=data.get("return_url", ""),
        )
    except (KeyError, ValueError, TypeError) as exc:
        return JsonResponse({"error": f"bad request: {exc}"}, status=400)
    return JsonResponse(
        {
            **_checkout(payment),
            "checkout_url": request.build_absolute_uri(f"/_sandbox/payments/local/pay/{payment.ref}/"),
        }
    )


@sandbox_view
def checkout_detail(request, checkout_id: str):
    if request.headers.get("X-Sandbox-Key") != settings.SANDBOX_GATEWAY_KEY:
        return JsonResponse({"error": "invalid key"}, status=401)
    payment = SandboxPayment.objects.filter(gateway="local", ref=checkout_id).first()
    if payment is None:
        return JsonResponse({"error": "no such checkout"}, status=404)
    return JsonResponse(_checkout(payment))


@sandbox_view
def checkout_refund(request, checkout_id: str):
    if request.headers.get("X-Sandbox-Key") != settings.SANDBOX_GATEWAY_KEY:
        return JsonResponse({"error": "invalid key"}, status=401)
    payment = get_object_or_404(SandboxPayment, gateway="local", ref=checkout_id, status="PAID")
    amount = int(_body(request).get("amount", 0))
    if amount <= 0 or amount > payment.amount - payment.cancelled_amount:
        return JsonResponse({"error": "bad amount"}, status=400)
    payment.cancelled_amount += amount
    payment.save(update_fields=["cancelled_amount"])
    return JsonResponse(_checkout(payment))


@sandbox_view
def checkout_pay(request, checkout_id: str):
    payment = get_object_or_404(SandboxPayment, gateway="local", ref=checkout_id)
    if request.method == "POST" and payment.status == "READY":
        payment.status = "PAID" if request.POST.get("action") == "pay" else "DECLINED"
        payment.approved_at = timezone.now() if payment.status == "PAID" else None
        payment.save(update_fields=["status", "approved_at"])
        _later(_local_webhook, payment)
        time.sleep(0)  # let the webhook thread start before the payer is sent back
        return (
            redirect(payment.return_url)
            if payment.return_url
            else render(request, "payments/sandbox_done.html", {"payment": payment})
        )
    return render(
        request,
        "payments/sandbox_checkout.html",
        {"gateway": "MegaCity sandbox", "amount": payment.amount, "title": payment.title},
    )


@sandbox_view
def redeliver(request, checkout_id: str):
    """Send the webhook of a checkout again (a gateway retry), for tests and demos."""
    payment = get_object_or_404(SandboxPayment, gateway="local", ref=checkout_id)
    _local_webhook(payment)
    return JsonResponse({"ok": True})
