"""Rooms, tables and seats: every write here is a service (keyword-only `actor=`, one
transaction, its ledger event in it). Money moves only through the wallet's table services:
a buy-in from the player's balance into the table's escrow, a cash-out back, each keyed so a
retry moves it once, and all-or-nothing with the seat change (one transaction)."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from apps.core.services import invalid, record, require_won
from apps.wallet.services import table as wallet_table

from .. import live
from ..models import STAKES, Room, Seat, Table, WaitingEntry


def _changed(table: Table) -> None:
    """Tell the table's sockets and the lobby once the transaction commits."""
    schema_table = (table.pk,)
    transaction.on_commit(lambda: live.seats_changed(*schema_table))


@transaction.atomic
def create_room(*, name: str, actor=None) -> Room:
    name = (name or "").strip()
    if not name:
        raise invalid(name=_("Give the room a name."))
    if Room.objects.filter(name=name).exists():
        raise invalid(name=_("A room with this name exists."))
    room = Room.objects.create(name=name)
    record("club.room_created", room, actor=actor, name=name)
    return room


@transaction.atomic
def open_table(
    *,
    room: Room,
    name: str,
    small_blind: int,
    big_blind: int,
    max_seats: int = 9,
    min_buy_in_bb: int = 40,
    max_buy_in_bb: int = 100,
    action_seconds: int = 20,
    actor=None,
) -> Table:
    """A new table with its empty seats, open for play."""
    name = (name or "").strip()
    if not name:
        raise invalid(name=_("Give the table a name."))
    if (small_blind, big_blind) not in STAKES:
        allowed = ", ".join(f"₩{s:,}/₩{b:,}" for s, b in STAKES)
        raise invalid(big_blind=_("Stakes must be one of %(allowed)s.") % {"allowed": allowed})
    if max_seats not in (6, 9):
        raise invalid(max_seats=_("A table has 6 or 9 seats."))
    if not (0 < min_buy_in_bb <= max_buy_in_bb):
        raise invalid(min_buy_in_bb=_("The minimum buy-in must be positive and at most the maximum."))
    if not (5 <= action_seconds <= 120):
        raise invalid(action_seconds=_("The action clock runs 5 to 120 seconds."))
    if Table.objects.filter(room=room, name=name).exists():
        raise invalid(name=_("This room already has a table with this name."))
    table = Table.objects.create(
        room=room,
        name=name,
        small_blind=small_blind,
        big_blind=big_blind,
        max_seats=max_seats,
        min_buy_in_bb=min_buy_in_bb,
        max_buy_in_bb=max_buy_in_bb,
        action_seconds=action_seconds,
    )
    Seat.objects.bulk_create(Seat(table=table, number=n) for n in range(1, max_seats + 1))
    record("club.table_opened", table, actor=actor, stakes=[small_blind, big_blind], seats=max_seats)
    _changed(table)
    return table


def set_table_status(*, table: Table, status: str, actor=None) -> Table:
    """Open or close a table. Closing stands every player up: at once if no hand is in play,
    otherwise when the hand ends."""
    if status not in Table.Status.values:
        raise invalid(status=_("Status is open or closed."))
    with transaction.atomic():
        table = Table.objects.select_for_update().get(pk=table.pk)
        table.status = status
        table.save(update_fields=["status"])
        record("club.table_status", table, actor=actor, status=status)
        _changed(table)
    if status == Table.Status.CLOSED:
        # Each player on their own, after the status commits: standing up takes the table's
        # lock before any row lock, as hand end does (apps.club.live).
        for seat in table.seats.filter(user__isnull=False).select_related("user"):
            stand_up(table=table, user=seat.user, actor=actor)
    return table


def _seat_of(table: Table, user) -> Seat | None:
    return Seat.objects.select_for_update().filter(table=table, user=user).first()


@transaction.atomic
def take_seat(*, table: Table, user, seat_number: int, amount: int, key: str, actor=None) -> Seat:
    """Sit `user` at `seat_number` with a buy-in of `amount` won from their wallet. `key`
    (the client's idempotency key) makes a retried request sit them once and charge once."""
    require_won(amount)
    if isinstance(seat_number, bool) or not isinstance(seat_number, int):
        raise invalid(seat=_("Give the seat's number."))
    key = (key or "").strip()
    if not key or len(key) > 80:
        raise invalid(key=_("Give an idempotency key of 1 to 80 characters."))
    table = Table.objects.select_for_update().get(pk=table.pk)
    seated = _seat_of(table, user)
    if seated is not None:
        if seated.number == seat_number and key == seated.buy_in_key:
            return seated  # the same request again
        raise invalid(seat=_("You already have a seat at this table."))
    if table.status != Table.Status.OPEN:
        raise invalid(table=_("This table is closed."))
    if not (table.min_buy_in <= amount <= table.max_buy_in):
        raise invalid(
            amount=_("The buy-in at this table is ₩%(low)s to ₩%(high)s.")
            % {"low": f"{table.min_buy_in:,}", "high": f"{table.max_buy_in:,}"}
        )
    seat = Seat.objects.select_for_update().filter(table=table, number=seat_number).first()
    if seat is None:
        raise invalid(seat=_("No seat %(n)s at this table.") % {"n": seat_number})
    if seat.user_id is not None:
        raise invalid(seat=_("This seat is taken."))
    first = WaitingEntry.objects.filter(table=table).first()
    if first is not None and first.user_id != user.pk and not _free_beyond_waiting(table):
        raise invalid(seat=_("Players on the waiting list are seated first."))
    wallet_table.buy_in(
        user=user, table_ref=table.escrow_ref, amount=amount, key=f"club:{table.pk}:{user.pk}:{key}", actor=actor
    )
    seat.user = user
    seat.stack = amount
    seat.status = Seat.Status.ACTIVE
    seat.session += 1
    seat.missed_hands = 0
    seat.leaving = False
    seat.buy_in_key = key
    # The dead-button rule: a newcomer waits for the big blind (dealt at once if the table
    # has too few players for the rule, apps.club.engine.plan_hand).
    seat.waiting_for_bb = True
    seat.time_bank = settings.CLUB_TIME_BANK_SECONDS
    seat.bank_hands = 0
    seat.save()
    WaitingEntry.objects.filter(table=table, user=user).delete()
    record("club.seat_taken", seat, actor=actor or user, table=table.pk, player=user.pk, amount=amount)
    _changed(table)
    return seat


def _free_beyond_waiting(table: Table) -> bool:
    """More empty seats than players waiting: anyone may take one."""
    empty = table.seats.filter(user__isnull=True).count()
    return empty > table.waiting.count()


def stand_up(*, table: Table, user, actor=None) -> Seat | None:
    """Leave the table: the stack goes back to the wallet (cash-out). A player in the hand
    being played leaves when it ends (their turn is folded by the clock). Under the table's
    lock, so a hand cannot be dealt to them between the check and the cash-out."""
    with live.table_lock(table.pk), transaction.atomic():
        seat = _seat_of(table, user)
        if seat is None:
            raise invalid(seat=_("You have no seat at this table."))
        if live.in_hand(table.pk, user.pk):
            seat.leaving = True
            seat.status = Seat.Status.SITTING_OUT
            seat.save(update_fields=["leaving", "status"])
            record("club.seat_leaving", seat, actor=actor or user, table=table.pk, player=user.pk)
        else:
            _cash_out(seat, actor=actor or user)
        _changed(table)
        return seat


def _cash_out(seat: Seat, *, actor) -> None:
    """The seat's stack back to its player's wallet, and the seat emptied (inside a transaction)."""
    table = seat.table
    user = seat.user
    if seat.stack:
        wallet_table.cash_out(
            user=user,
            table_ref=table.escrow_ref,
            amount=seat.stack,
            key=f"club:{table.pk}:{seat.number}:{seat.session}",
            actor=actor,
        )
    record("club.seat_left", seat, actor=actor, table=table.pk, player=user.pk, amount=seat.stack)
    seat.user = None
    seat.stack = 0
    seat.status = Seat.Status.EMPTY
    seat.leaving = False
    seat.waiting_for_bb = False
    seat.missed_hands = 0
    seat.save()
    first = WaitingEntry.objects.filter(table=table).select_related("user").first()
    if first is not None:
        waiting_user = first.user_id
        transaction.on_commit(lambda: live.tell_user(waiting_user, {"t": "seat_open", "table": table.pk}))


@transaction.atomic
def set_sitting_out(*, table: Table, user, sitting_out: bool, actor=None) -> Seat:
    """Sit out (not dealt in from the next hand) or back in."""
    seat = _seat_of(table, user)
    if seat is None:
        raise invalid(seat=_("You have no seat at this table."))
    if not sitting_out and seat.stack <= 0:
        raise invalid(seat=_("Your stack is empty: leave and buy in again."))
    seat.status = Seat.Status.SITTING_OUT if sitting_out else Seat.Status.ACTIVE
    if not sitting_out:
        if seat.missed_hands:
            seat.waiting_for_bb = True  # missed a blind: back in when the big blind comes round
        seat.missed_hands = 0
    seat.save(update_fields=["status", "missed_hands", "waiting_for_bb"])
    record("club.sitting_out" if sitting_out else "club.sitting_in", seat, actor=actor or user, table=table.pk)
    _changed(table)
    return seat


@transaction.atomic
def join_waiting_list(*, table: Table, user, actor=None) -> WaitingEntry:
    if Seat.objects.filter(table=table, user=user).exists():
        raise invalid(table=_("You already have a seat at this table."))
    entry, created = WaitingEntry.objects.get_or_create(table=table, user=user)
    if created:
        record("club.waiting", entry, actor=actor or user, table=table.pk, player=user.pk)
        _changed(table)
    return entry


@transaction.atomic
def leave_waiting_list(*, table: Table, user, actor=None) -> None:
    deleted, _count = WaitingEntry.objects.filter(table=table, user=user).delete()
    if deleted:
        record("club.waiting_left", ("table", table.pk), actor=actor or user, player=user.pk)
        _changed(table)
