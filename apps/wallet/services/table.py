"""What the live tables (apps/club, to come) call: chips onto a table, off it, and a
settled hand. Chips in play are in the table's escrow account; the club app tracks who
holds which stack, the wallet holds the money. Every call takes the caller's idempotency
key (a seat's buy-in id, a hand id), so a retried call has one effect."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from . import core
from .records import money_moved


def _positive(amount, field: str = "amount") -> int:
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise core.invalid(**{field: _("Give a positive whole number of won.")})
    return amount


def buy_in(*, user, table_ref: str, amount: int, key: str, actor=None):
    """Chips for `amount` won from the player's balance onto the table."""
    _positive(amount)
    with transaction.atomic():
        moved = core.transfer(
            key=f"buy_in:{key}",
            kind="buy_in",
            legs=[(core.player_account(user), -amount), (core.escrow_account(table_ref), amount)],
            reference=str(table_ref),
            actor=actor,
        )
        if not moved.replayed:
            money_moved(
                "buy_in",
                subject=moved,
                actor=actor,
                data={"player": user.pk, "table": str(table_ref), "amount": amount, "seq": moved.seq},
                idempotency_key=f"wallet:buy_in:{key}",
            )
    return moved


def cash_out(*, user, table_ref: str, amount: int, key: str, actor=None):
    """The player's stack (`amount` won) off the table, back to their balance."""
    _positive(amount)
    with transaction.atomic():
        moved = core.transfer(
            key=f"cash_out:{key}",
            kind="cash_out",
            legs=[(core.escrow_account(table_ref), -amount), (core.player_account(user), amount)],
            reference=str(table_ref),
            actor=actor,
        )
        if not moved.replayed:
            money_moved(
                "cash_out",
                subject=moved,
                actor=actor,
                data={"player": user.pk, "table": str(table_ref), "amount": amount, "seq": moved.seq},
                idempotency_key=f"wallet:cash_out:{key}",
            )
    return moved
