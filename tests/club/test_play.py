"""Hands played through the real consumers (Channels' communicator on the project's ASGI
application, real PostgreSQL and Redis) with scripted decks."""

from __future__ import annotations

import hashlib

from channels.db import database_sync_to_async

from apps.club import live
from apps.club.models import Hand, Seat
from apps.club.services import seating

from .conftest import connect, scripted_deck


def cards_in(message, skip=("deck", "hash", "salt")) -> set[str]:
    """Every card-like string anywhere in a message, except the keys in `skip`."""
    found: set[str] = set()

    def walk(value, key=None):
        if key in skip:
            return
        if isinstance(value, dict):
            for k, v in value.items():
                walk(v, k)
        elif isinstance(value, list | tuple):
            for v in value:
                walk(v, key)
        elif isinstance(value, str) and len(value) == 2 and value[0] in "23456789TJQKA" and value[1] in "cdhs":
            found.add(value)

    walk(message)
    return found


async def sit(t, user, seat: int, amount: int = 100_000):
    def run():
        with t.context():
            return seating.take_seat(table=t.table, user=user, seat_number=seat, amount=amount, key=f"k{user.pk}")

    return await database_sync_to_async(run)()


async def booked() -> None:
    """Until the hands whose hand_end went out are booked (the write-behind, after it)."""
    await database_sync_to_async(live.wait_for_bookings)()


async def deal(t, deck):
    def run():
        live.wait_for_bookings()  # the previous hand booked (hand_end goes out before that)
        with t.context():
            return live.start_hand(t.table.pk, deck=deck)

    return await database_sync_to_async(run)()


async def act(sock, hand, street, cid, action, amount=None) -> dict:
    message = {"t": "act", "hand": hand, "street": street, "id": cid, "action": action}
    if amount is not None:
        message["amount"] = amount
    await sock.send(message)
    return await sock.until("ack", id=cid)


async def test_a_hand_to_showdown_pays_the_best_hand_books_the_rake_and_hides_folded_cards(club_table):
    t = club_table
    p0, p1, p2, _p3 = t.users
    socks = {
        "p0": await connect(t.domain, f"/ws/club/table/{t.table.pk}/", t.cookies["p0"], "club.msgpack.v1"),
        "p1": await connect(t.domain, f"/ws/club/table/{t.table.pk}/", t.cookies["p1"]),
        "p2": await connect(t.domain, f"/ws/club/table/{t.table.pk}/", t.cookies["p2"]),
        "p3": await connect(t.domain, f"/ws/club/table/{t.table.pk}/", t.cookies["p3"], "club.msgpack.v1"),
        "cash": await connect(t.domain, f"/ws/club/table/{t.table.pk}/", t.cookies["cash"]),
    }
    for sock in socks.values():
        first = await sock.until("snapshot")
        assert first["hand"] is None
    for user, seat in ((p0, 1), (p1, 3), (p2, 5)):
        await sit(t, user, seat)
    # First hand: the button on seat 1; positions SB seat 3 (p1), BB seat 5 (p2), button p0.
    deck = scripted_deck(["KsKh", "7c2d", "AsAh"], "Qd8c3h9s4d")
    hand = await deal(t, deck)
    assert hand["setup"]["seats"] == [3, 5, 1]
    number = hand["setup"]["number"]
    start = await socks["cash"].until("hand_start")
    assert start["hand"]["hash"] == hashlib.sha256(f"{hand['setup']['salt']}:{''.join(deck)}".encode()).hexdigest()
    assert (await socks["p0"].until("hole"))["cards"] == ["As", "Ah"]
    assert (await socks["p2"].until("hole"))["cards"] == ["7c", "2d"]

    # A refused action changes nothing and says why.
    before = await database_sync_to_async(lambda: _snap(t))()
    refused = await act(socks["p1"], number, "preflop", "x1", "call")
    assert refused["ok"] is False and refused["code"] == "not_your_turn"
    too_small = await act(socks["p0"], number, "preflop", "x2", "raise", 3_000)
    assert too_small["ok"] is False and "4000" in too_small["reason"]
    stale = await act(socks["p0"], number, "flop", "x3", "check")
    assert stale["ok"] is False and stale["code"] == "stale"
    assert await database_sync_to_async(lambda: _snap(t))() == before

    assert (await act(socks["p0"], number, "preflop", "a1", "raise", 6_000))["ok"]
    again = await act(socks["p0"], number, "preflop", "a1", "raise", 6_000)
    assert again["ok"] is False and again["code"] == "repeated"
    assert (await act(socks["p1"], number, "preflop", "b1", "call"))["ok"]
    assert (await act(socks["p2"], number, "preflop", "c1", "fold"))["ok"]
    assert (await act(socks["p1"], number, "flop", "b2", "check"))["ok"]
    assert (await act(socks["p0"], number, "flop", "a2", "bet", 10_000))["ok"]
    assert (await act(socks["p1"], number, "flop", "b3", "call"))["ok"]
    for street in ("turn", "river"):
        assert (await act(socks["p1"], number, street, f"b-{street}", "check"))["ok"]
        assert (await act(socks["p0"], number, street, f"a-{street}", "check"))["ok"]

    end = await socks["p3"].until("hand_end")
    assert end["stacks"] == {"1": 116_300, "3": 84_000, "5": 98_000}
    assert end["rake"] == 1_700  # 5 % of ₩34,000, under the ₩6,000 cap
    assert end["shown"]["1"] == ["As", "Ah"]
    assert end["deck"] == deck
    assert hashlib.sha256(f"{end['salt']}:{''.join(end['deck'])}".encode()).hexdigest() == end["hash"]

    # Sequence numbers: every socket saw the table's messages without a gap.
    for name, sock in socks.items():
        await sock.drain()
        seqs = [m["seq"] for m in sock.seen if "seq" in m and m["t"] != "snapshot"]
        assert seqs == list(range(seqs[0], seqs[0] + len(seqs))), name

    # Hole cards: p2 folded 7c2d; no socket but p2's ever received them (the deck revealed
    # at the end, for checking the shuffle, is the only place they appear).
    for name, sock in socks.items():
        seen = set().union(*(cards_in(m) for m in sock.seen))
        if name != "p2":
            assert not {"7c", "2d"} & seen, name
        if name not in ("p0",):
            assert not ({"As", "Ah"} & set().union(*(cards_in(m) for m in sock.seen if m["t"] != "hand_end"))), name

    def booked():
        with t.context():
            from apps.wallet.models import Account, Transfer

            hand_row = Hand.objects.get(table=t.table, number=number)
            seats = {s.number: s.stack for s in Seat.objects.filter(table=t.table, user__isnull=False)}
            escrow = Account.objects.get(code=f"escrow:{t.table.escrow_ref}").balance
            transfer = Transfer.objects.get(idempotency_key=f"hand:{t.table.escrow_ref}:hand-{number}")
            rake = transfer.postings.get(account__code="house:rake").amount
            return hand_row, seats, escrow, rake, set(hand_row.players.values_list("pk", flat=True))

    hand_row, seats, escrow, rake, players = await database_sync_to_async(booked)()
    assert hand_row.final_stacks == [84_000, 98_000, 116_300] and hand_row.rake == 1_700
    assert seats == {1: 116_300, 3: 84_000, 5: 98_000}
    assert escrow == sum(seats.values()) and rake == 1_700
    assert players == {p0.pk, p1.pk, p2.pk}
    for sock in socks.values():
        await sock.close()


def _snap(t):
    with t.context():
        hand = live.load(t.table.pk)
        return hand["actions"], hand["version"], hand["client_ids"]
