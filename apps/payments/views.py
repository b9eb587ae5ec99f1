"""Tenant-host endpoints of online payments: gateway webhooks, the payer's return from the
gateway, and the checkout page that opens Toss's payment window."""

from __future__ import annotations

from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from . import services
from .models import Gateway, Payment
from .registry import payable


@csrf_exempt
@require_POST
def webhook(request, gateway: str):
    """Gateways call this with no session and no CSRF token; each adapter verifies them."""
    status, body = services.handle_webhook(gateway, request.body, request.headers)
    return JsonResponse(body, status=status, safe=False, json_dumps_params={"ensure_ascii": False})


def payment_return(request, order_id: str):
    payment = get_object_or_404(Payment, order_id=order_id)
    result = services.confirm_return(payment, request.GET)
    payment.refresh_from_db()
    handler = payable(payment.payable_kind)
    info = handler.describe(handler.model.objects.get(pk=payment.payable_id))
    return render(
        request,
        "payments/return.html",
        {
            "payment": payment,
            "result": result,
            "next": info.return_path,
            "failed": request.GET.get("code") or result == "failed",
        },
    )


def checkout(request, order_id: str):
    payment = get_object_or_404(Payment, order_id=order_id, status=Payment.Status.PENDING)
    if payment.gateway != Gateway.TOSS:
        if not payment.checkout_url or payment.checkout_url.endswith(f"/payments/checkout/{order_id}/"):
            raise Http404(_("No checkout page for this payment."))
        return redirect(payment.checkout_url)
    config = services.gateway_config(Gateway.TOSS)
    base = request.build_absolute_uri("/").rstrip("/")
    context = {
        "payment": payment,
        "client_key": config.client_key,
        "success_url": f"{base}/payments/return/{order_id}/",
        "fail_url": f"{base}/payments/return/{order_id}/",
        # The development sandbox stands in for Toss's JavaScript payment window.
        "sandbox_checkout": config.base_url.rstrip("/") + "/checkout" if "/_sandbox/" in config.base_url else "",
    }
    return render(request, "payments/checkout_toss.html", context)
