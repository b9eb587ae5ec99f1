"""The player's wallet pages: balance, history, deposit address, withdraw."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from apps.accounts.permissions import has_permission

from .models import Coin, Posting, Withdrawal
from .services import cashier, core, rakeback


def _player(request):
    if not has_permission(request.user, "wallet:read"):
        raise PermissionDenied(_("Only players have a wallet here."))


@login_required
def home(request):
    _player(request)
    user = request.user
    address = None
    if request.method == "POST" and request.POST.get("action") == "address":
        try:
            address = cashier.deposit_address(user=user, coin=request.POST.get("coin", ""), actor=user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
    elif request.method == "POST" and request.POST.get("action") == "withdraw":
        try:
            amount = int(request.POST.get("amount", "").replace(",", ""))
        except ValueError:
            messages.error(request, _("Amount: give a whole number of won."))
        else:
            try:
                cashier.request_withdrawal(
                    user=user,
                    amount=amount,
                    coin=request.POST.get("coin", ""),
                    address=request.POST.get("address", ""),
                    key=f"page:{user.pk}:{request.POST.get('nonce') or uuid.uuid4().hex}",
                    actor=user,
                )
                messages.success(request, _("Withdrawal requested: it is held for 24 hours."))
                return redirect("wallet-home")
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
    history = Posting.objects.filter(account__user=user, account__kind="player").select_related("transfer")
    level = rakeback.vip_level(user)
    return render(
        request,
        "wallet/home.html",
        {
            "balance": core.balance(core.player_account(user)),
            "pending": core.balance(core.pending_account(user)),
            "level": level,
            "history": history.order_by("-id")[:50],
            "withdrawals": Withdrawal.objects.filter(user=user).order_by("-id")[:20],
            "coins": Coin.values,
            "address": address,
            "address_confirmations": settings.WALLET_CONFIRMATIONS.get(address.coin) if address else None,
            "confirmations": settings.WALLET_CONFIRMATIONS,
            "nonce": uuid.uuid4().hex,
            "minimum": settings.WALLET_WITHDRAWAL_MIN,
            "sandbox_chain": (
                settings.WALLET_GATEWAY_URL.rstrip("/") + "/_chain/deposit" if settings.SANDBOX_ENABLED else ""
            ),
        },
    )
