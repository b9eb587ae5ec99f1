"""The club's money: a double-entry ledger of KRW accounts (see services/core.py).

Every movement is a Transfer of two or more Postings that sum to zero. The database holds
the invariants, not only the Python: postings and transfers are append-only (triggers), a
transfer whose postings do not sum to zero cannot commit (a deferred constraint trigger), a
player's or table's balance cannot go below zero (a CHECK), an idempotency key is UNIQUE,
and a hold leaves `pending` at most once (a trigger).
"""

from __future__ import annotations

import pgtrigger
from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.core.deletion import _table_here
from apps.core.triggers import append_only

# The zero-sum check, run at COMMIT by deferred constraint triggers on both tables. Each
# firing row would cost a query; instead the first firing in a transaction checks, in one
# set-based query, every row from its own id up to the table's highest id (a batch's rows
# are contiguous: they are written under the books lock) and notes that highest id in a
# transaction-local setting, so the batch's other firings return at once. A row above that
# mark (written after an early `SET CONSTRAINTS ... IMMEDIATE`) is checked afresh. Tables
# are named through TG_TABLE_SCHEMA, not the search_path: at commit the connection may
# point elsewhere.
# The queries are shaped so that their cost is the batch's, never the table's: a closed id
# range (an open `id >= n` on a table without statistics yet is guessed at a third of the
# rows, and a seq scan follows) and one index lookup per transfer (LATERAL), not a join the
# planner may run as a merge over every posting. The older `GROUP BY … HAVING … LIMIT 1`
# form walked the whole posting table at each commit: ~300 ms at 70,000 postings, under the
# books lock.
ZERO_SUM_SQL = """
DECLARE
    mark text := coalesce(current_setting('wallet.{table}_checked', true), '');
    bad record;
    top bigint;
BEGIN
    IF split_part(mark, ':', 1) = TG_TABLE_SCHEMA AND NEW.id <= split_part(mark, ':', 2)::bigint THEN
        RETURN NULL;
    END IF;
    EXECUTE format('SELECT max(id) FROM %I.wallet_{table}', TG_TABLE_SCHEMA) INTO top;
    EXECUTE format({query}, TG_TABLE_SCHEMA) INTO bad USING NEW.id, top;
    IF bad.transfer_id IS NOT NULL THEN
        RAISE EXCEPTION 'wallet transfer % does not balance: % legs summing to %', bad.transfer_id, bad.legs, bad.total
            USING ERRCODE = '23514';
    END IF;
    PERFORM set_config('wallet.{table}_checked', TG_TABLE_SCHEMA || ':' || top, true);
    RETURN NULL;
END;
"""
_SUMS = (
    " CROSS JOIN LATERAL (SELECT coalesce(sum(p.amount), 0) AS total, count(*) AS legs"
    " FROM %1$I.wallet_posting p WHERE p.transfer_id = x.transfer_id) s"
    " WHERE s.total <> 0 OR s.legs < 2 LIMIT 1'"
)
TRANSFERS_FROM = (
    "'SELECT x.transfer_id, s.total, s.legs FROM"
    " (SELECT id AS transfer_id FROM %1$I.wallet_transfer WHERE id BETWEEN $1 AND $2) x" + _SUMS
)
POSTINGS_FROM = (
    "'SELECT x.transfer_id, s.total, s.legs FROM"
    " (SELECT DISTINCT transfer_id FROM %1$I.wallet_posting WHERE id BETWEEN $1 AND $2) x" + _SUMS
)


def PROTECT_WHERE_PRESENT(collector, field, sub_objs, using):
    """PROTECT where the wallet's tables exist (club schemas); elsewhere (deleting a user of
    an academy) there is nothing to protect and no table to look in."""
    if _table_here(using, field.model._meta.db_table) and sub_objs:
        models.PROTECT(collector, field, sub_objs, using)


PROTECT_WHERE_PRESENT.lazy_sub_objs = True


class Account(models.Model):
    """A KRW account. The balance is a cache of the sum of the account's postings, kept in
    the same transaction as each posting; `manage.py verify_wallet` proves it."""

    class Kind(models.TextChoices):
        PLAYER = "player", _("Player (available)")
        PENDING = "pending", _("Player (pending withdrawal)")
        ESCROW = "escrow", _("Table escrow")
        RAKE = "rake", _("House rake revenue")
        RAKEBACK = "rakeback", _("Rakeback expense")
        GATEWAY = "gateway", _("Gateway clearing")
        EQUITY = "equity", _("House equity")

    # Kinds whose balance may go below zero: the house's side of the books. A player's
    # money, a pending withdrawal and the chips on a table never can.
    MAY_GO_NEGATIVE = (Kind.RAKE, Kind.RAKEBACK, Kind.GATEWAY, Kind.EQUITY)

    code = models.CharField(_("code"), max_length=100, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=PROTECT_WHERE_PRESENT, null=True, blank=True, related_name="wallet_accounts"
    )
    reference = models.CharField(_("reference"), max_length=100, blank=True)
    balance = models.BigIntegerField(_("balance (KRW)"), default=0)
    allow_negative = models.BooleanField(_("may go negative"), default=False)
    # Hot accounts (house, escrows) are locked after the players' accounts, and so are held
    # for the shortest time; any fixed order avoids deadlocks, this one also queues less.
    hot = models.BooleanField(_("hot"), default=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("wallet account")
        verbose_name_plural = _("wallet accounts")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(allow_negative=True) | models.Q(balance__gte=0), name="wallet_account_not_negative"
            ),
            models.CheckConstraint(
                condition=~models.Q(kind__in=["player", "pending", "escrow"]) | models.Q(allow_negative=False),
                name="wallet_account_players_never_negative",
            ),
            models.UniqueConstraint(
                fields=["user", "kind"], condition=models.Q(user__isnull=False), name="wallet_account_one_per_user_kind"
            ),
        ]
        triggers = [pgtrigger.Protect(name="no_delete", operation=pgtrigger.Delete)]

    def __str__(self) -> str:
        return self.code


class Transfer(models.Model):
    """One movement of money: its postings sum to zero. Chained: `hash` covers this
    transfer's content, its postings and the hash of the transfer before (`seq` − 1)."""

    seq = models.BigIntegerField(_("sequence"), unique=True, editable=False)
    idempotency_key = models.CharField(_("idempotency key"), max_length=200, unique=True)
    kind = models.CharField(_("kind"), max_length=40)
    reference = models.CharField(_("reference"), max_length=200, blank=True)
    # sha256 of (kind, legs, reference): the same key with other content is refused.
    digest = models.CharField(_("content digest"), max_length=64)
    actor_id = models.BigIntegerField(_("actor id"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"))
    prev_hash = models.CharField(_("previous hash"), max_length=64)
    hash = models.CharField(_("hash"), max_length=64)

    class Meta:
        verbose_name = _("transfer")
        verbose_name_plural = _("transfers")
        ordering = ["seq"]
        triggers = [
            *append_only("wallet_transfer"),
            pgtrigger.Trigger(
                name="zero_sum",
                when=pgtrigger.After,
                operation=pgtrigger.Insert,
                timing=pgtrigger.Deferred,
                func=ZERO_SUM_SQL.format(table="transfer", query=TRANSFERS_FROM),
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.kind} {self.idempotency_key}"


class Posting(models.Model):
    """One leg of a transfer: a signed amount on one account. Never changed or removed;
    a mistake is corrected by another transfer."""

    transfer = models.ForeignKey(Transfer, on_delete=models.PROTECT, related_name="postings")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="postings")
    amount = models.BigIntegerField(_("amount (KRW)"))

    class Meta:
        verbose_name = _("posting")
        verbose_name_plural = _("postings")
        ordering = ["id"]
        constraints = [models.CheckConstraint(condition=~models.Q(amount=0), name="wallet_posting_not_zero")]
        indexes = [models.Index(fields=["account", "-id"], name="wallet_posting_account_idx")]
        triggers = [
            *append_only("wallet_posting"),
            # A posting added later to a committed transfer is caught here too.
            pgtrigger.Trigger(
                name="zero_sum",
                when=pgtrigger.After,
                operation=pgtrigger.Insert,
                timing=pgtrigger.Deferred,
                func=ZERO_SUM_SQL.format(table="posting", query=POSTINGS_FROM),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account_id} {self.amount:+d}"


class Hold(models.Model):
    """Money set aside from a player's available balance (a withdrawal in its 24 hours):
    placing it moves the amount to the player's pending account; it then leaves `pending`
    exactly once, posted (paid away) or voided (returned)."""

    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        POSTED = "posted", _("Posted")
        VOIDED = "voided", _("Voided")

    idempotency_key = models.CharField(_("idempotency key"), max_length=200, unique=True)
    kind = models.CharField(_("kind"), max_length=40)
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="holds")
    amount = models.BigIntegerField(_("amount (KRW)"))
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.PENDING)
    placed = models.ForeignKey(Transfer, on_delete=models.PROTECT, related_name="+")
    resolved = models.ForeignKey(Transfer, on_delete=models.PROTECT, related_name="+", null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)

    class Meta:
        verbose_name = _("hold")
        verbose_name_plural = _("holds")
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="wallet_hold_positive"),
            models.CheckConstraint(
                condition=models.Q(state="pending", resolved__isnull=True)
                | (~models.Q(state="pending") & models.Q(resolved__isnull=False)),
                name="wallet_hold_resolved_with_transfer",
            ),
        ]
        indexes = [models.Index(fields=["account", "state"], name="wallet_hold_account_idx")]
        triggers = [
            pgtrigger.Protect(name="no_delete", operation=pgtrigger.Delete),
            pgtrigger.Protect(
                name="resolved_once",
                operation=pgtrigger.Update,
                condition=pgtrigger.Condition(
                    "OLD.state <> 'pending' OR NEW.amount IS DISTINCT FROM OLD.amount"
                    " OR NEW.account_id IS DISTINCT FROM OLD.account_id OR NEW.placed_id IS DISTINCT FROM OLD.placed_id"
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount} ({self.state})"


class RakeShare(models.Model):
    """The part of a settled hand's rake attributed to one player (in proportion to what
    they put into the pots): what VIP levels and rakeback are computed from."""

    transfer = models.ForeignKey(Transfer, on_delete=models.PROTECT, related_name="rake_shares")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=PROTECT_WHERE_PRESENT, related_name="+")
    amount = models.BigIntegerField(_("rake (KRW)"))
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("rake share")
        verbose_name_plural = _("rake shares")
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="wallet_rake_share_positive"),
            models.UniqueConstraint(fields=["transfer", "user"], name="wallet_rake_share_once"),
        ]
        indexes = [models.Index(fields=["created_at", "user"], name="wallet_rake_share_time_idx")]
        triggers = append_only("wallet_rakeshare")

    def __str__(self) -> str:
        return f"{self.user_id}: {self.amount}"


class RakebackPayout(models.Model):
    """One player's rakeback for one ISO week: at most one (UNIQUE), so a re-run pays nothing."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=PROTECT_WHERE_PRESENT, related_name="+")
    week = models.CharField(_("ISO week"), max_length=8)  # 2026-W49
    rake = models.BigIntegerField(_("rake paid that week (KRW)"))
    window_rake = models.BigIntegerField(_("rake paid in the VIP window (KRW)"))
    level = models.CharField(_("VIP level"), max_length=20)
    percent = models.PositiveSmallIntegerField(_("rakeback %"))
    amount = models.BigIntegerField(_("rakeback (KRW)"))
    transfer = models.ForeignKey(Transfer, on_delete=models.PROTECT, related_name="+", null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("rakeback payout")
        verbose_name_plural = _("rakeback payouts")
        ordering = ["-week", "user_id"]
        constraints = [models.UniqueConstraint(fields=["user", "week"], name="wallet_rakeback_once_a_week")]
        triggers = append_only("wallet_rakebackpayout")

    def __str__(self) -> str:
        return f"{self.week} {self.user_id}: {self.amount}"


class DailyStats(models.Model):
    """The club's money for one day (Asia/Seoul), recomputed by the 03:00 task."""

    day = models.DateField(_("day"), unique=True)
    transfers = models.PositiveIntegerField(_("transfers"), default=0)
    hands = models.PositiveIntegerField(_("hands settled"), default=0)
    rake = models.BigIntegerField(_("rake (KRW)"), default=0)
    deposits = models.BigIntegerField(_("deposits (KRW)"), default=0)
    withdrawals = models.BigIntegerField(_("withdrawals (KRW)"), default=0)
    rakeback = models.BigIntegerField(_("rakeback (KRW)"), default=0)
    computed_at = models.DateTimeField(_("computed at"), default=timezone.now)

    class Meta:
        verbose_name = _("daily statistics")
        verbose_name_plural = _("daily statistics")
        ordering = ["-day"]

    def __str__(self) -> str:
        return self.day.isoformat()


class Coin(models.TextChoices):
    BTC = "BTC", "BTC"
    ETH = "ETH", "ETH"
    USDT = "USDT", "USDT"
    USDC = "USDC", "USDC"


class DepositAddress(models.Model):
    """A player's address for one coin, issued by the gateway once and reused."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=PROTECT_WHERE_PRESENT, related_name="+")
    coin = models.CharField(_("coin"), max_length=8, choices=Coin.choices)
    address = models.CharField(_("address"), max_length=200)
    payment_id = models.CharField(_("gateway payment id"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("deposit address")
        verbose_name_plural = _("deposit addresses")
        constraints = [models.UniqueConstraint(fields=["user", "coin"], name="wallet_deposit_address_once")]

    def __str__(self) -> str:
        return f"{self.coin} {self.address}"


class Deposit(models.Model):
    """Coins the gateway reported arriving at a player's address. Credited once, at the
    KRW rate at the moment it reaches the coin's confirmations; until then it waits."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Awaiting confirmations")
        CREDITED = "credited", _("Credited")
        FAILED = "failed", _("Failed")

    payment_id = models.CharField(_("gateway payment id"), max_length=64, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=PROTECT_WHERE_PRESENT, related_name="+")
    coin = models.CharField(_("coin"), max_length=8, choices=Coin.choices)
    address = models.CharField(_("address"), max_length=200)
    crypto_amount = models.DecimalField(_("amount (coin)"), max_digits=30, decimal_places=10)
    confirmations = models.PositiveIntegerField(_("confirmations"), default=0)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    rate = models.BigIntegerField(_("KRW per coin"), null=True, blank=True)
    krw_amount = models.BigIntegerField(_("credited (KRW)"), null=True, blank=True)
    transfer = models.ForeignKey(Transfer, on_delete=models.PROTECT, related_name="+", null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    credited_at = models.DateTimeField(_("credited at"), null=True, blank=True)

    class Meta:
        verbose_name = _("deposit")
        verbose_name_plural = _("deposits")
        ordering = ["-id"]
        triggers = [
            pgtrigger.Protect(name="no_delete", operation=pgtrigger.Delete),
            pgtrigger.Protect(
                name="credited_once",
                operation=pgtrigger.Update,
                condition=pgtrigger.Condition("OLD.status <> 'pending'"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.crypto_amount} {self.coin} ({self.status})"


class Withdrawal(models.Model):
    """A player's request to be paid out: held 24 hours (the money on their pending
    account), approved automatically or by cashiers, then paid through the gateway."""

    class Status(models.TextChoices):
        HELD = "held", _("On hold")
        SENDING = "sending", _("Sending")
        PAID = "paid", _("Paid")
        REJECTED = "rejected", _("Rejected")
        FAILED = "failed", _("Failed (returned)")

    idempotency_key = models.CharField(_("idempotency key"), max_length=200, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=PROTECT_WHERE_PRESENT, related_name="+")
    amount = models.BigIntegerField(_("amount (KRW)"))
    coin = models.CharField(_("coin"), max_length=8, choices=Coin.choices)
    address = models.CharField(_("address"), max_length=200)
    hold = models.OneToOneField(Hold, on_delete=models.PROTECT, related_name="withdrawal")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.HELD)
    approvals_required = models.PositiveSmallIntegerField(_("approvals required"), default=0)
    release_at = models.DateTimeField(_("held until"))
    rate = models.BigIntegerField(_("KRW per coin when sent"), null=True, blank=True)
    crypto_amount = models.DecimalField(_("amount sent (coin)"), max_digits=30, decimal_places=10, null=True)
    payout_id = models.CharField(_("gateway payout id"), max_length=64, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    created_at = models.DateTimeField(_("requested at"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("withdrawal")
        verbose_name_plural = _("withdrawals")
        ordering = ["release_at"]
        constraints = [models.CheckConstraint(condition=models.Q(amount__gt=0), name="wallet_withdrawal_positive")]
        indexes = [
            models.Index(fields=["status", "release_at"], name="wallet_withdrawal_queue_idx"),
            models.Index(fields=["user", "created_at"], name="wallet_withdrawal_user_idx"),
        ]
        triggers = [
            pgtrigger.Protect(name="no_delete", operation=pgtrigger.Delete),
            pgtrigger.Protect(
                name="final_once",
                operation=pgtrigger.Update,
                condition=pgtrigger.Condition("OLD.status IN ('paid', 'rejected', 'failed')"),
            ),
        ]

    def __str__(self) -> str:
        return f"₩{self.amount:,} → {self.coin} ({self.status})"


class Approval(models.Model):
    withdrawal = models.ForeignKey(Withdrawal, on_delete=models.PROTECT, related_name="approvals")
    cashier = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=PROTECT_WHERE_PRESENT, related_name="+")
    created_at = models.DateTimeField(_("approved at"), default=timezone.now)

    class Meta:
        verbose_name = _("approval")
        verbose_name_plural = _("approvals")
        constraints = [models.UniqueConstraint(fields=["withdrawal", "cashier"], name="wallet_approval_once")]

    def __str__(self) -> str:
        return f"{self.withdrawal_id} by {self.cashier_id}"


class CashierState(models.Model):
    """One row: whether the cashier is stopped (a broken invariant, a missing rate)."""

    halted = models.BooleanField(_("halted"), default=False)
    reason = models.TextField(_("reason"), blank=True)
    changed_at = models.DateTimeField(_("changed at"), default=timezone.now)

    class Meta:
        verbose_name = _("cashier state")
        verbose_name_plural = _("cashier state")

    def __str__(self) -> str:
        return "halted" if self.halted else "running"
