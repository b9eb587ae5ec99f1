"""The cashier (seed 004 Phase 5): crypto in, crypto out, KRW inside.

Deposits: a player asks for an address per coin (issued once by the gateway); the gateway's
signed IPN reports coins arriving with their confirmations; at the coin's threshold the
deposit is credited once, at the KRW rate of that moment, from the gateway's clearing
account to the player. A repeated or reordered IPN has one effect (the deposit row is
UNIQUE per gateway payment, confirmations only grow, the credit is one keyed transfer).

Withdrawals: minimum ₩10,000; at most 10 an hour per player; the amount is held (moved to
the player's pending account) for 24 hours; up to ₩1,000,000 it goes out by itself, above
that one cashier approves, above WALLET_WITHDRAWAL_TWO_CASHIERS_ABOVE two different
cashiers; then it is converted at the rate of that moment and paid out through the gateway,
whose callback posts the hold (paid) or voids it (failed: the money returns).

A missing or stale rate, or a broken invariant (verify), stops the cashier: nothing is
credited or paid out until a floor manager resumes it.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import ROUND_DOWN, Decimal

import sentry_sdk
import structlog
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts.permissions import has_permission

from .. import gateway, rates
from ..models import Approval, CashierState, Coin, Deposit, DepositAddress, Withdrawal
from . import core
from .records import money_moved

log = structlog.get_logger("megacity.wallet")
WEBHOOK_PATH = "/api/v1/wallet/webhooks/nowpayments/"


class CashierHalted(core.WalletError):
    pass


# ---------------------------------------------------------------------------- halt


def state() -> CashierState:
    row, _created = CashierState.objects.get_or_create(pk=1)
    return row


def check_running() -> None:
    row = state()
    if row.halted:
        raise CashierHalted(
            {"cashier": [_("The cashier is stopped: %(reason)s") % {"reason": row.reason}]}, code="halted"
        )


def halt(reason: str, *, actor=None) -> None:
    """Stop the cashier, with a fatal Sentry event: money may not add up."""
    with transaction.atomic():
        CashierState.objects.update_or_create(
            pk=1, defaults={"halted": True, "reason": reason[:2000], "changed_at": timezone.now()}
        )
        money_moved("cashier_halted", subject=("cashier", 1), actor=actor, data={"reason": reason[:500]})
    sentry_sdk.capture_message(f"wallet: cashier halted in {connection.schema_name}: {reason[:200]}", level="fatal")
    log.critical("wallet.cashier_halted", schema=connection.schema_name, reason=reason[:500])


def resume(*, actor) -> None:
    with transaction.atomic():
        CashierState.objects.update_or_create(
            pk=1, defaults={"halted": False, "reason": "", "changed_at": timezone.now()}
        )
        money_moved("cashier_resumed", subject=("cashier", 1), actor=actor, data={})


def verify_or_halt() -> list[str]:
    from ..integrity import problems

    found = problems()
    if found:
        halt("; ".join(found[:5]))
    return found


# ---------------------------------------------------------------------------- deposits


def site_url() -> str:
    """The club's own address (for the gateway's callbacks), from its primary domain; a
    schema_context() outside a request has no tenant object, only the schema name."""
    from django_tenants.utils import get_tenant_domain_model

    domain = (
        get_tenant_domain_model()
        .objects.filter(tenant__schema_name=connection.schema_name)
        .order_by("-is_primary", "id")
        .values_list("domain", flat=True)
        .first()
    )
    return settings.TENANT_URL_TEMPLATE.format(domain=domain or "localhost").rstrip("/")


def _coin(coin: str) -> str:
    coin = (coin or "").upper()
    if coin not in Coin.values:
        raise core.invalid(coin=_("Choose one of %(coins)s.") % {"coins": ", ".join(Coin.values)})
    return coin


def deposit_address(*, user, coin: str, actor=None) -> DepositAddress:
    """The player's address for `coin`, asked of the gateway the first time."""
    coin = _coin(coin)
    existing = DepositAddress.objects.filter(user=user, coin=coin).first()
    if existing:
        return existing
    check_running()
    answer = gateway.create_address(
        coin=coin, order_id=f"{connection.schema_name}:{user.pk}:{coin}", ipn_url=site_url() + WEBHOOK_PATH
    )
    with transaction.atomic():
        address, created = DepositAddress.objects.get_or_create(
            user=user,
            coin=coin,
            defaults={"address": answer["pay_address"], "payment_id": str(answer["payment_id"])},
        )
        if created:
            money_moved(
                "deposit_address_issued",
                subject=address,
                actor=actor or user,
                data={"player": user.pk, "coin": coin, "address": address.address},
            )
    return address


def handle_ipn(payload: dict, signature: str) -> str:
    """A gateway callback (deposit or payout). Returns what it did; raises WalletError on a
    bad signature or body (nothing written), RateUnavailable when a credit needs a rate."""
    if not gateway.verify(payload, signature):
        raise core.invalid("bad_signature", signature=_("The IPN signature does not match."))
    if "withdrawals" in payload or payload.get("batch_withdrawal_id") or payload.get("unique_external_id"):
        return _payout_ipn(payload)
    return _deposit_ipn(payload)


def _deposit_ipn(payload: dict) -> str:
    try:
        payment_id = str(payload["payment_id"])
        parent = str(payload.get("parent_payment_id") or payment_id)
        coin = _coin(payload["pay_currency"])
        amount = Decimal(str(payload.get("actually_paid") or payload.get("pay_amount")))
        status = payload["payment_status"]
    except (KeyError, ArithmeticError, TypeError) as error:
        raise core.invalid(payload=_("Not a deposit IPN: %(error)s") % {"error": error}) from error
    address = DepositAddress.objects.filter(payment_id=parent).select_related("user").first()
    if address is None:
        raise core.invalid(payment_id=_("No deposit address for payment %(id)s.") % {"id": parent})
    if amount <= 0:
        return "ignored"
    confirmations = payload.get("confirmations")
    need = settings.WALLET_CONFIRMATIONS[coin]
    confirmed = (int(confirmations) >= need) if confirmations is not None else status in ("finished", "confirmed")
    with transaction.atomic():
        deposit, _created = Deposit.objects.get_or_create(
            payment_id=payment_id,
            defaults={
                "user": address.user,
                "coin": coin,
                "address": address.address,
                "crypto_amount": amount,
                "confirmations": int(confirmations or 0),
            },
        )
        deposit = Deposit.objects.select_for_update().get(pk=deposit.pk)
        if deposit.status != Deposit.Status.PENDING:
            return "already " + deposit.status  # a repeat, or an IPN overtaken by a later one
        if status in ("failed", "expired", "refunded"):
            Deposit.objects.filter(pk=deposit.pk).update(status=Deposit.Status.FAILED)
            return "failed"
        if confirmations is not None and int(confirmations) > deposit.confirmations:
            Deposit.objects.filter(pk=deposit.pk).update(confirmations=int(confirmations))
        if not confirmed:
            return "waiting"
        check_running()
        rate = rates.krw_rate(coin)  # RateUnavailable: nothing written, the gateway retries
        krw = int((deposit.crypto_amount * rate).to_integral_value(rounding=ROUND_DOWN))
        moved = core.transfer(
            key=f"deposit:{payment_id}",
            kind="deposit",
            legs=[(core.gateway_account(coin), -krw), (core.player_account(address.user), krw)],
            reference=payment_id,
        )
        Deposit.objects.filter(pk=deposit.pk).update(
            status=Deposit.Status.CREDITED,
            rate=rate,
            krw_amount=krw,
            transfer=moved,
            credited_at=timezone.now(),
            confirmations=max(deposit.confirmations, int(confirmations or need)),
        )
        money_moved(
            "deposit_credited",
            subject=deposit,
            actor=address.user,
            data={
                "player": address.user.pk,
                "coin": coin,
                "crypto": str(deposit.crypto_amount),
                "rate": rate,
                "amount": krw,
                "payment_id": payment_id,
            },
        )
    return "credited"


# ---------------------------------------------------------------------------- withdrawals


def approvals_needed(amount: int) -> int:
    if amount <= settings.WALLET_WITHDRAWAL_AUTO_MAX:
        return 0
    return 2 if amount > settings.WALLET_WITHDRAWAL_TWO_CASHIERS_ABOVE else 1


def request_withdrawal(*, user, amount, coin: str, address: str, key: str, actor=None) -> Withdrawal:
    coin = _coin(coin)
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise core.invalid(amount=_("Give a whole number of won."))
    if amount > core.MAX_AMOUNT:
        raise core.invalid(amount=_("At most ₩%(max)s.") % {"max": f"{core.MAX_AMOUNT:,}"})
    if amount < settings.WALLET_WITHDRAWAL_MIN:
        raise core.invalid(
            amount=_("The smallest withdrawal is ₩%(min)s.") % {"min": f"{settings.WALLET_WITHDRAWAL_MIN:,}"}
        )
    address = (address or "").strip()
    if not 10 <= len(address) <= 200:
        raise core.invalid(address=_("Give the %(coin)s address to pay to.") % {"coin": coin})
    existing = Withdrawal.objects.filter(idempotency_key=key).first()
    if existing:
        if (existing.user_id, existing.amount, existing.coin, existing.address) != (user.pk, amount, coin, address):
            raise core.invalid("idempotency_conflict", idempotency_key=_("This key was used for another withdrawal."))
        return existing
    check_running()
    with transaction.atomic():
        # The books lock serialises the requests (books before rows): the hourly count holds.
        core.lock_books()
        since = timezone.now() - timedelta(hours=1)
        if Withdrawal.objects.filter(user=user, created_at__gte=since).count() >= settings.WALLET_WITHDRAWALS_PER_HOUR:
            raise core.invalid(
                "rate_limited",
                amount=_("At most %(n)s withdrawals an hour.") % {"n": settings.WALLET_WITHDRAWALS_PER_HOUR},
            )
        hold = core.place_hold(user=user, amount=amount, key=f"withdrawal:{key}", kind="withdrawal", actor=actor)
        withdrawal = Withdrawal.objects.create(
            idempotency_key=key,
            user=user,
            amount=amount,
            coin=coin,
            address=address,
            hold=hold,
            approvals_required=approvals_needed(amount),
            release_at=timezone.now() + timedelta(hours=settings.WALLET_WITHDRAWAL_HOLD_HOURS),
        )
        money_moved(
            "withdrawal_requested",
            subject=withdrawal,
            actor=actor or user,
            data={
                "player": user.pk,
                "amount": amount,
                "coin": coin,
                "approvals_required": withdrawal.approvals_required,
                "release_at": withdrawal.release_at.isoformat(),
            },
        )
    return withdrawal


def approve(withdrawal: Withdrawal, *, actor) -> Withdrawal:
    if not has_permission(actor, "withdrawal:approve"):
        raise core.invalid("forbidden", cashier=_("Only a cashier may approve withdrawals."))
    if actor.pk == withdrawal.user_id:
        raise core.invalid("own", cashier=_("Nobody approves their own withdrawal."))
    with transaction.atomic():
        locked = Withdrawal.objects.select_for_update().get(pk=withdrawal.pk)
        if locked.status != Withdrawal.Status.HELD:
            raise core.invalid(status=_("This withdrawal is %(s)s.") % {"s": locked.get_status_display()})
        _approval, created = Approval.objects.get_or_create(withdrawal=locked, cashier=actor)
        if created:
            money_moved(
                "withdrawal_approved",
                subject=locked,
                actor=actor,
                data={"player": locked.user_id, "amount": locked.amount, "approvals": locked.approvals.count()},
            )
    return locked


def reject(withdrawal: Withdrawal, *, actor, reason: str) -> Withdrawal:
    if not has_permission(actor, "withdrawal:approve"):
        raise core.invalid("forbidden", cashier=_("Only a cashier may reject withdrawals."))
    if not (reason or "").strip():
        raise core.invalid(reason=_("Say why the withdrawal is rejected."))
    with transaction.atomic():
        locked = Withdrawal.objects.select_for_update().get(pk=withdrawal.pk)
        if locked.status != Withdrawal.Status.HELD:
            raise core.invalid(status=_("This withdrawal is %(s)s.") % {"s": locked.get_status_display()})
        core.void_hold(locked.hold, actor=actor)
        Withdrawal.objects.filter(pk=locked.pk).update(
            status=Withdrawal.Status.REJECTED, reason=reason.strip(), finished_at=timezone.now()
        )
        money_moved(
            "withdrawal_rejected",
            subject=locked,
            actor=actor,
            data={"player": locked.user_id, "amount": locked.amount, "reason": reason.strip()[:200]},
        )
    locked.refresh_from_db()
    return locked


def to_coin(amount: int, rate: int) -> Decimal:
    """KRW to coin at `rate`, rounded down to 8 places (never pay out more than held)."""
    return (Decimal(amount) / Decimal(rate)).quantize(Decimal("0.00000001"), rounding=ROUND_DOWN)


def send_due_withdrawals(*, now=None) -> list[Withdrawal]:
    """Pay out every held withdrawal whose 24 hours are over and whose approvals are in.
    A missing rate stops here (they stay held); a gateway error leaves that one held."""
    now = now or timezone.now()
    check_running()
    sent = []
    due = Withdrawal.objects.filter(status=Withdrawal.Status.HELD, release_at__lte=now).order_by("release_at")
    for candidate in due:
        if candidate.approvals.count() < candidate.approvals_required:
            continue
        rate = rates.krw_rate(candidate.coin)
        with transaction.atomic():
            locked = Withdrawal.objects.select_for_update(skip_locked=True).filter(pk=candidate.pk).first()
            if locked is None or locked.status != Withdrawal.Status.HELD:
                continue
            Withdrawal.objects.filter(pk=locked.pk).update(
                status=Withdrawal.Status.SENDING, rate=rate, crypto_amount=to_coin(locked.amount, rate)
            )
        locked.refresh_from_db()
        try:
            answer = gateway.payout(
                coin=locked.coin,
                address=locked.address,
                amount=str(locked.crypto_amount),
                external_id=f"{connection.schema_name}:withdrawal:{locked.pk}",
                ipn_url=site_url() + WEBHOOK_PATH,
            )
        except gateway.GatewayError as error:
            log.warning("wallet.payout_failed_to_send", withdrawal=locked.pk, error=str(error))
            Withdrawal.objects.filter(pk=locked.pk, status=Withdrawal.Status.SENDING).update(
                status=Withdrawal.Status.HELD
            )
            continue
        with transaction.atomic():
            Withdrawal.objects.filter(pk=locked.pk).update(payout_id=str(answer["withdrawals"][0]["id"]))
            money_moved(
                "withdrawal_sent",
                subject=locked,
                actor="cashier",
                data={
                    "player": locked.user_id,
                    "amount": locked.amount,
                    "coin": locked.coin,
                    "crypto": str(locked.crypto_amount),
                    "rate": rate,
                },
            )
        sent.append(locked)
    return sent


def _payout_ipn(payload: dict) -> str:
    external = str(payload.get("unique_external_id") or "")
    prefix = f"{connection.schema_name}:withdrawal:"
    if not external.startswith(prefix):
        raise core.invalid(unique_external_id=_("Not a payout of this club."))
    status = str(payload.get("status", "")).upper()
    with transaction.atomic():
        withdrawal = Withdrawal.objects.select_for_update().filter(pk=int(external[len(prefix) :])).first()
        if withdrawal is None:
            raise core.invalid(unique_external_id=_("No such withdrawal."))
        if withdrawal.status != Withdrawal.Status.SENDING:
            return "already " + withdrawal.status
        if status == "FINISHED":
            core.post_hold(withdrawal.hold, to_account=core.gateway_account(withdrawal.coin))
            new = Withdrawal.Status.PAID
        elif status in ("FAILED", "REJECTED"):
            core.void_hold(withdrawal.hold)
            new = Withdrawal.Status.FAILED
        else:
            return "waiting"
        Withdrawal.objects.filter(pk=withdrawal.pk).update(status=new, finished_at=timezone.now())
        money_moved(
            f"withdrawal_{new}",
            subject=withdrawal,
            actor="gateway",
            data={"player": withdrawal.user_id, "amount": withdrawal.amount, "coin": withdrawal.coin},
        )
    return new
