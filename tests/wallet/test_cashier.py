"""The cashier end to end: the club's services talk to the NOWPayments/Upbit/Bithumb
sandboxes over HTTP; the sandbox's signed IPNs reach the club through the real server."""

from datetime import timedelta
from decimal import Decimal

import httpx
import pytest
from django.utils import timezone

from apps.audit.models import AuditEntry
from apps.wallet.gateway import sign
from apps.wallet.models import Deposit, Withdrawal
from apps.wallet.services import cashier, core
from tests.utils import grant, make_user


def chain_deposit(club, address, amount, confirmations, tx, **extra):
    response = httpx.post(
        f"{club.sandbox}/nowpayments/_chain/deposit",
        json={
            "address_payment_id": address.payment_id,
            "amount": amount,
            "confirmations": confirmations,
            "tx": tx,
            **extra,
        },
        timeout=30,
    )
    response.raise_for_status()
    return response.json()["delivered"]


def set_rates(club, **body):
    httpx.post(f"{club.sandbox}/_rates", json=body, timeout=10).raise_for_status()


def player(club, name="alice"):
    with club.context():
        user = make_user(name)
        grant(user, "player")
    return user


def test_deposit_is_credited_once_after_confirmations_at_the_rate_then(cashier_club):
    club = cashier_club
    alice = player(club)
    with club.context():
        address = cashier.deposit_address(user=alice, coin="btc")
        assert cashier.deposit_address(user=alice, coin="BTC").pk == address.pk  # one address per coin
        assert address.address.startswith("sbxbtc1")
    assert chain_deposit(club, address, "0.001", 1, "tx1") == 200
    with club.context():
        assert Deposit.objects.get().status == "pending"
        assert core.balance(core.player_account(alice)) == 0
    set_rates(club, prices={"BTC": 150_000_000})  # the rate at confirmation counts
    assert chain_deposit(club, address, "0.001", 3, "tx1") == 200  # BTC needs 3
    assert chain_deposit(club, address, "0.001", 3, "tx1") == 200  # repeated
    assert chain_deposit(club, address, "0.001", 2, "tx1") == 200  # reordered: an older IPN late
    with club.context():
        deposit = Deposit.objects.get()
        assert (deposit.status, deposit.rate, deposit.krw_amount, deposit.confirmations) == (
            "credited",
            150_000_000,
            150_000,
            3,
        )
        assert core.balance(core.player_account(alice)) == 150_000
        assert core.balance(core.gateway_account("BTC")) == -150_000
        assert AuditEntry.objects.filter(action="wallet.deposit_credited").count() == 1


def test_eth_needs_twelve_confirmations_and_a_second_deposit_to_the_address_counts(cashier_club):
    club = cashier_club
    alice = player(club)
    with club.context():
        address = cashier.deposit_address(user=alice, coin="ETH")
    chain_deposit(club, address, "0.1", 11, "e1")
    chain_deposit(club, address, "0.2", 12, "e2")
    with club.context():
        assert dict(Deposit.objects.values_list("crypto_amount", "status")) == {
            Decimal("0.1"): "pending",
            Decimal("0.2"): "credited",
        }
        assert core.balance(core.player_account(alice)) == 1_000_000  # 0.2 × 5,000,000


def test_no_fresh_rate_stops_the_credit_and_the_fallback_source_is_used(cashier_club):
    club = cashier_club
    alice = player(club)
    with club.context():
        address = cashier.deposit_address(user=alice, coin="USDT")
    set_rates(club, down=["upbit", "bithumb"])
    assert chain_deposit(club, address, "100", 12, "u1") == 503  # the gateway will retry
    set_rates(club, stale={"upbit": 3600}, prices={"USDT": 1_400})  # Upbit stale: Bithumb stands in
    with club.context():
        assert core.balance(core.player_account(alice)) == 0
        assert not Deposit.objects.exists()  # all or nothing: the retried IPN starts afresh
    assert chain_deposit(club, address, "100", 12, "u1") == 200
    with club.context():
        assert core.balance(core.player_account(alice)) == 140_000


def test_ipn_with_a_bad_signature_or_another_clubs_payment_is_refused(cashier_club):
    club = cashier_club
    alice = player(club)
    with club.context():
        address = cashier.deposit_address(user=alice, coin="BTC")
    payload = {
        "payment_id": "999",
        "parent_payment_id": address.payment_id,
        "payment_status": "finished",
        "pay_currency": "btc",
        "actually_paid": "5",
        "confirmations": 6,
    }
    url = f"{club.base}/api/v1/wallet/webhooks/nowpayments/"
    headers = {"Host": club.domain}
    forged = httpx.post(url, json=payload, headers={**headers, "x-nowpayments-sig": sign(payload, "wrong")})
    assert forged.status_code == 403
    altered = httpx.post(
        url, json={**payload, "actually_paid": "50"}, headers={**headers, "x-nowpayments-sig": sign(payload)}
    )
    assert altered.status_code == 403
    other = {**payload, "parent_payment_id": "123456"}  # an address this club never issued
    assert httpx.post(url, json=other, headers={**headers, "x-nowpayments-sig": sign(other)}).status_code == 400
    with club.context():
        assert not Deposit.objects.exists()
        assert core.balance(core.player_account(alice)) == 0


def fund(club, user, amount):
    with club.context():
        core.transfer(
            key=f"fund:{user.pk}",
            kind="adjustment",
            legs=[(core.house_account("equity"), -amount), (core.player_account(user), amount)],
        )


def test_withdrawal_waits_24_hours_then_pays_out_at_the_rate_then(cashier_club):
    club = cashier_club
    alice = player(club)
    fund(club, alice, 500_000)
    with club.context():
        w = cashier.request_withdrawal(user=alice, amount=280_000, coin="BTC", address="bc1qexampleaddress00", key="w1")
        assert (
            cashier.request_withdrawal(
                user=alice, amount=280_000, coin="BTC", address="bc1qexampleaddress00", key="w1"
            ).pk
            == w.pk
        )
        assert (core.balance(core.player_account(alice)), core.balance(core.pending_account(alice))) == (
            220_000,
            280_000,
        )
        assert w.approvals_required == 0
        assert cashier.send_due_withdrawals() == []  # still in its 24 hours
        assert cashier.send_due_withdrawals(now=w.created_at + timedelta(hours=23, minutes=59)) == []
    set_rates(club, prices={"BTC": 140_000_000})
    with club.context():
        (sent,) = cashier.send_due_withdrawals(now=w.created_at + timedelta(hours=24, seconds=1))
        sent.refresh_from_db()
        assert (sent.status, sent.rate, str(sent.crypto_amount)) == ("sending", 140_000_000, "0.0020000000")
    httpx.post(
        f"{club.sandbox}/nowpayments/_chain/payout",
        json={"external_id": f"{club.schema}:withdrawal:{w.pk}", "status": "FINISHED"},
        timeout=30,
    ).raise_for_status()
    with club.context():
        w.refresh_from_db()
        assert w.status == "paid"
        assert core.balance(core.pending_account(alice)) == 0
        assert core.balance(core.gateway_account("BTC")) == 280_000


def test_a_failed_payout_returns_the_money(cashier_club):
    club = cashier_club
    alice = player(club)
    fund(club, alice, 50_000)
    with club.context():
        w = cashier.request_withdrawal(user=alice, amount=50_000, coin="ETH", address="0xexampleaddress000", key="w1")
        cashier.send_due_withdrawals(now=timezone.now() + timedelta(hours=25))
    httpx.post(
        f"{club.sandbox}/nowpayments/_chain/payout",
        json={"external_id": f"{club.schema}:withdrawal:{w.pk}", "status": "FAILED"},
        timeout=30,
    ).raise_for_status()
    with club.context():
        w.refresh_from_db()
        assert w.status == "failed"
        assert core.balance(core.player_account(alice)) == 50_000


def test_withdrawal_rules_minimum_rate_limit_and_approvals(cashier_club, settings):
    club = cashier_club
    alice = player(club)
    fund(club, alice, 30_000_000)
    with club.context():
        one, two = make_user("cashier1"), make_user("cashier2")
        grant(one, "cashier")
        grant(two, "cashier")
        with pytest.raises(core.WalletError) as error:
            cashier.request_withdrawal(user=alice, amount=9_999, coin="BTC", address="bc1qexampleaddress00", key="m")
        assert "amount" in error.value.message_dict
        with pytest.raises(core.WalletError) as error:
            cashier.request_withdrawal(user=alice, amount=10_000, coin="DOGE", address="bc1qexampleaddress00", key="m")
        assert "coin" in error.value.message_dict
        big = cashier.request_withdrawal(
            user=alice, amount=1_000_001, coin="BTC", address="bc1qexampleaddress00", key="b"
        )
        huge = cashier.request_withdrawal(
            user=alice, amount=10_000_001, coin="BTC", address="bc1qexampleaddress00", key="h"
        )
        assert (big.approvals_required, huge.approvals_required) == (1, 2)
        for i in range(8):
            cashier.request_withdrawal(
                user=alice, amount=10_000, coin="BTC", address="bc1qexampleaddress00", key=f"s{i}"
            )
        with pytest.raises(core.WalletError, match="10"):
            cashier.request_withdrawal(user=alice, amount=10_000, coin="BTC", address="bc1qexampleaddress00", key="x")
        with pytest.raises(core.WalletError):
            cashier.approve(big, actor=alice)  # a player is no cashier
        later = timezone.now() + timedelta(hours=25)
        sent = {w.pk for w in cashier.send_due_withdrawals(now=later)}
        assert big.pk not in sent and huge.pk not in sent and len(sent) == 8
        cashier.approve(big, actor=one)
        cashier.approve(huge, actor=one)
        cashier.approve(huge, actor=one)  # the same cashier twice counts once
        assert {w.pk for w in cashier.send_due_withdrawals(now=later)} == {big.pk}
        cashier.approve(huge, actor=two)
        assert {w.pk for w in cashier.send_due_withdrawals(now=later)} == {huge.pk}


def test_cashier_rejects_with_a_reason_and_the_money_returns(cashier_club):
    club = cashier_club
    alice = player(club)
    fund(club, alice, 2_000_000)
    with club.context():
        one = make_user("cashier1")
        grant(one, "cashier")
        w = cashier.request_withdrawal(
            user=alice, amount=1_500_000, coin="BTC", address="bc1qexampleaddress00", key="r"
        )
        with pytest.raises(core.WalletError):
            cashier.reject(w, actor=one, reason=" ")
        cashier.reject(w, actor=one, reason="KYC pending")
        assert Withdrawal.objects.get(pk=w.pk).status == "rejected"
        assert core.balance(core.player_account(alice)) == 2_000_000
        entry = AuditEntry.objects.get(action="wallet.withdrawal_rejected")
        assert entry.details["reason"] == "KYC pending"
        with pytest.raises(core.WalletError):
            cashier.approve(w, actor=one)


def test_a_broken_book_halts_the_cashier(cashier_club):
    club = cashier_club
    alice = player(club)
    fund(club, alice, 100_000)
    with club.context():
        cashier.halt("test: the books did not add up")
        with pytest.raises(cashier.CashierHalted):
            cashier.request_withdrawal(user=alice, amount=10_000, coin="BTC", address="bc1qexampleaddress00", key="h")
        with pytest.raises(cashier.CashierHalted):
            cashier.deposit_address(user=alice, coin="BTC")
        cashier.resume(actor=None)
        assert cashier.verify_or_halt() == []
        cashier.deposit_address(user=alice, coin="BTC")
