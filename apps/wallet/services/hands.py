"""A settled hand (called by the live tables): the rake leaves the table's escrow for the
house in one transfer, each player's attributed part is kept for rakeback, and the ledger
gets one summary event for the hand, never one per bet."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.translation import gettext as _

from ..models import RakeShare
from ..rake import HandRake
from . import core
from .records import money_moved


def settle_hand(*, table_ref: str, hand_ref: str, rake: HandRake, actor=None, summary: dict | None = None):
    """Book a finished hand. `rake.by_player` is keyed by user id (as the table passed the
    players to rake_hand). Returns the rake transfer, or None for a hand without rake.
    The same hand again books nothing twice (the hand's id is the key)."""
    if sum(rake.by_player.values()) != rake.total:
        raise core.invalid(rake=_("The players' parts of the rake do not sum to the hand's rake."))
    users = get_user_model().objects.in_bulk(list(rake.by_player))
    missing = [pk for pk in rake.by_player if pk not in users]
    if missing:
        raise core.invalid(rake=_("No such player: %(ids)s") % {"ids": ", ".join(map(str, missing))})
    with transaction.atomic():
        moved = None
        if rake.total:
            moved = core.transfer(
                key=f"hand:{table_ref}:{hand_ref}",
                kind="rake",
                legs=[(core.escrow_account(table_ref), -rake.total), (core.house_account("rake"), rake.total)],
                reference=f"{table_ref}:{hand_ref}",
                actor=actor,
            )
            if moved.replayed:
                return moved
            RakeShare.objects.bulk_create(
                RakeShare(transfer=moved, user_id=pk, amount=amount, created_at=moved.created_at)
                for pk, amount in rake.by_player.items()
                if amount
            )
        money_moved(
            "hand_settled",
            subject=("hand", f"{table_ref}:{hand_ref}"),
            actor=actor,
            data={
                "table": str(table_ref),
                "hand": str(hand_ref),
                "rake": rake.total,
                "rake_per_pot": list(rake.per_pot),
                **(summary or {}),
            },
            idempotency_key=f"wallet:hand:{table_ref}:{hand_ref}",
        )
    return moved
