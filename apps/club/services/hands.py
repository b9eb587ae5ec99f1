"""Hand end, booked in one transaction (the write-behind of the live state): the `Hand`
row with its events in order and its PHH actions, the seats' new stacks, and the hand's
result posted to the wallet (`settle_hand`: the rake from the table's escrow to the house,
with each player's attributed share and the stack changes in the ledger event). Chips
never leave the escrow except as rake or a cash-out, so the escrow's balance is always the
sum of the seats' stacks (`verify_hands` checks it)."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from apps.wallet.rake import HandRake
from apps.wallet.services import core as wallet_core
from apps.wallet.services import hands as wallet_hands

from .. import engine
from ..models import Hand, Seat, Table


class StaleHand(Exception):
    pass


def refill_bank(bank: float, hands: int) -> tuple[float, int]:
    """(time bank, hands since its last refill) after a hand dealt to the player: every
    CLUB_TIME_BANK_REFILL_HANDS hands it gains CLUB_TIME_BANK_REFILL_SECONDS, up to
    CLUB_TIME_BANK_MAX_SECONDS."""
    if hands >= settings.CLUB_TIME_BANK_REFILL_HANDS:
        return min(settings.CLUB_TIME_BANK_MAX_SECONDS, bank + settings.CLUB_TIME_BANK_REFILL_SECONDS), 0
    return bank, hands


def book_hand(*, table_id: int, hand: dict, game: engine.Game, result: engine.Result, actor=None) -> Hand:
    """Write a finished hand. Conservation is asserted first (stacks + rake = before)."""
    setup = game.setup
    assert sum(result.final_stacks) + result.rake == sum(setup.stacks), "chips not conserved"
    with transaction.atomic():
        table = Table.objects.select_for_update().get(pk=table_id)
        existing = Hand.objects.filter(table=table, number=setup.number).first()
        if existing is not None:  # booked already (a retry after a crash between commit and Redis)
            return existing
        seated = dict(Seat.objects.filter(table=table, user__isnull=False).values_list("number", "user_id"))
        if setup.number != table.hands_played + 1 or any(
            seated.get(seat) != user for seat, user in zip(setup.seats, setup.users, strict=True)
        ):
            # A hand left in Redis by an earlier life of this table (a club dropped and made
            # again under the same schema): not this table's, never booked.
            raise StaleHand(f"table {table_id}: hand {setup.number} does not belong to the table as it is")
        phh_actions = engine.phh_actions(game)
        booked = Hand.objects.create(
            pk=hand.get("id"),  # reserved at the deal: hand_end named it before this booking
            table=table,
            number=setup.number,
            started_at=datetime.fromisoformat(hand["started_at"]),
            ended_at=timezone.now(),
            button_seat=hand["button"],
            small_blind=setup.small_blind,
            big_blind=setup.big_blind,
            seats=[
                {"seat": s, "user": u, "blind": b}
                for s, u, b in zip(setup.seats, setup.users, setup.posted, strict=True)
            ],
            starting_stacks=setup.stacks,
            final_stacks=result.final_stacks,
            rake=result.rake,
            rake_per_pot=result.rake_per_pot,
            deck_hash=hand["hash"],
            deck="".join(setup.deck),
            salt=setup.salt,
            events=hand["events"],
            actions=phh_actions,
        )
        booked.players.set(setup.users)
        seats = {seat.number: seat for seat in Seat.objects.select_for_update().filter(table=table)}
        timed_out = set(hand.get("timed_out", []))
        banks = hand.get("banks") or [None] * len(setup.seats)
        for number, user, stack, bank in zip(setup.seats, setup.users, result.final_stacks, banks, strict=True):
            seat = seats[number]
            if seat.user_id != user:
                continue
            seat.stack = stack
            if bank is not None:
                seat.time_bank, seat.bank_hands = refill_bank(bank, seat.bank_hands + 1)
            if user in timed_out and seat.status == Seat.Status.ACTIVE:
                seat.status = Seat.Status.SITTING_OUT
            if stack == 0 and seat.status == Seat.Status.ACTIVE:
                seat.status = Seat.Status.SITTING_OUT
            seat.save(update_fields=["stack", "status", "time_bank", "bank_hands"])
        table.hands_played = setup.number
        table.button_seat = hand["button"]
        table.small_blind_seat, table.big_blind_seat = hand.get("blind_seats") or (None, None)
        table.save(update_fields=["hands_played", "button_seat", "small_blind_seat", "big_blind_seat"])
        # The club's books last, held to the commit: every money movement of the club and
        # both server processes queue for it, so only the wallet's part of the booking runs
        # under it. Before the ledger's chain, as every money movement takes them (a hand
        # without rake writes its ledger event first and may then cash players out). The
        # table's and seats' rows come first, as in every seating change.
        wallet_core.lock_books()
        rake = HandRake(
            result.rake,
            tuple(result.rake_per_pot),
            {user: part for user, part in zip(setup.users, result.rake_by_position, strict=True) if part},
        )
        wallet_hands.settle_hand(
            table_ref=table.escrow_ref,
            hand_ref=booked.ref,
            rake=rake,
            actor=actor,
            summary={
                "hand_id": booked.pk,
                "deltas": {
                    str(user): final - start
                    for user, start, final in zip(setup.users, setup.stacks, result.final_stacks, strict=True)
                },
            },
        )
        from .seating import _cash_out

        for seat in seats.values():
            if seat.user_id and (seat.leaving or table.status == Table.Status.CLOSED):
                _cash_out(seat, actor=actor)
    return booked
