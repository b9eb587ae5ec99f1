"""The dead-button rule (apps.club.engine.plan_hand): the big blind moves forward one player
a hand, the small blind and the button follow it onto the seats it left, newcomers wait for
the big blind; heads-up the button posts the small blind and acts first before the flop."""

from __future__ import annotations

from channels.db import database_sync_to_async

from apps.club import engine
from apps.club.models import Hand
from apps.club.services import seating
from apps.club.services.verify import check_hand

from .conftest import scripted_deck
from .test_live import in_club, table_socks
from .test_play import act, booked, deal, sit

SB, BB = 1_000, 2_000


def plan(players, button, small, big):
    return engine.plan_hand(players, button=button, small=small, big=big, small_blind=SB, big_blind=BB)


def test_a_new_table_deals_everyone_and_the_blinds_follow_the_button():
    first = plan({1: True, 3: True, 5: True}, None, None, None)
    assert (first.button, first.small_blind_seat, first.big_blind_seat) == (1, 3, 5)
    assert first.seats == [3, 5, 1] and first.blinds == [SB, BB, 0] and first.fresh


def test_the_big_blind_moves_one_player_and_a_newcomer_waits_for_it():
    # seats 1, 3, 5 played (button 1, SB 3, BB 5); a newcomer sat at 4, between SB and BB
    second = plan({1: False, 3: False, 4: True, 5: False}, 1, 3, 5)
    assert (second.button, second.small_blind_seat, second.big_blind_seat) == (3, 5, 1)
    assert second.seats == [5, 1, 3]  # seat 4 not dealt: the big blind has not reached it
    third = plan({1: False, 3: False, 4: True, 5: False}, 3, 5, 1)
    assert (third.button, third.small_blind_seat, third.big_blind_seat) == (5, 1, 3)
    fourth = plan({1: False, 3: False, 4: True, 5: False}, 5, 1, 3)
    assert fourth.big_blind_seat == 4 and fourth.seats == [3, 4, 5, 1]  # now it has: dealt in as BB


def test_a_player_who_left_leaves_a_dead_small_blind_then_a_dead_button():
    # button 1, SB 3, BB 5; the big blind (seat 5) leaves
    dead_small = plan({1: False, 3: False, 6: False}, 1, 3, 5)
    assert dead_small.small_blind_dead and dead_small.small_blind_seat == 5
    assert dead_small.seats == [6, 1, 3] and dead_small.blinds == [BB, 0, 0] and dead_small.button == 3
    dead_button = plan({1: False, 3: False, 6: False}, 3, 5, 6)
    assert dead_button.button == 5 and dead_button.dead_button
    assert dead_button.seats == [6, 1, 3] and dead_button.blinds == [SB, BB, 0]


def test_heads_up_the_button_posts_the_small_blind_and_no_one_posts_the_big_twice():
    big_blinds = []
    button, small, big = 1, 3, 5
    for _ in range(4):
        p = plan({3: False, 5: False}, button, small, big)
        assert p.seats == [p.big_blind_seat, p.button] and p.blinds == [BB, SB]
        assert p.small_blind_seat == p.button
        big_blinds.append(p.big_blind_seat)
        button, small, big = p.button, p.small_blind_seat, p.big_blind_seat
    assert big_blinds == [3, 5, 3, 5]
    # a newcomer the big blind reaches at once is dealt in as it
    assert plan({3: False, 6: True}, 5, 5, 3).big_blind_seat == 6
    # the player left alone has the big blind: too few under the rule, so both are dealt at once
    restart = plan({3: False, 6: True}, 1, 1, 2)
    assert restart.fresh and sorted(restart.seats) == [3, 6]


async def _fold_round(t, socks, by_user, hand):
    """Everyone folds to the big blind (no flop, no drop)."""
    n = hand["setup"]["number"]
    sock = next(iter(socks.values()))
    view = (await sock.until("hand_start", timeout=5))["hand"]
    i = 0
    while True:
        actor = view["actor"]
        user = hand["setup"]["users"][hand["setup"]["seats"].index(actor)]
        assert (await act(socks[by_user[user]], n, "preflop", f"f{n}-{i}", "fold"))["ok"]
        i += 1
        message = await sock.until("update") if len(view["folded"]) + 2 < len(view["positions"]) else None
        if message is None:
            await sock.until("hand_end", hand=n)
            return
        view = message["hand"]


async def test_join_and_leave_around_the_button_through_the_consumers(club_table):
    t = club_table
    a, b, c, d = t.users
    socks = await table_socks(t, "p0", "p1", "p2", "p3")
    watch = socks["p3"]
    by_user = {u.pk: f"p{i}" for i, u in enumerate(t.users)}
    for user, seat in ((a, 1), (b, 3), (c, 5)):
        await sit(t, user, seat)

    async def hand():
        dealt = await deal(t, scripted_deck(["AhKd", "7c2s", "QhQd", "9s8s"]))
        start = await watch.until("hand_start")
        await _fold_round(t, socks, by_user, dealt)
        return dealt, start["hand"]

    _, h1 = await hand()
    assert (h1["button"], h1["small_blind_seat"], h1["big_blind_seat"], h1["positions"]) == (1, 3, 5, [3, 5, 1])
    # d sits down at seat 2, between the button and the small blind: waits for the big blind
    await sit(t, d, 2)
    _, h2 = await hand()
    assert (h2["button"], h2["small_blind_seat"], h2["big_blind_seat"], h2["positions"]) == (3, 5, 1, [5, 1, 3])
    # a (seat 1) just paid the big blind and leaves: the small blind is dead next hand, and
    # the big blind reaches d, who is dealt in
    await in_club(t, lambda: seating.stand_up(table=t.table, user=a))
    _, h3 = await hand()
    assert (h3["button"], h3["small_blind_seat"], h3["big_blind_seat"], h3["positions"]) == (5, None, 2, [2, 3, 5])
    assert h3["posted"] == {"2": BB, "3": 0, "5": 0} and h3["actor"] == 3
    # the button moves onto the empty seat 1: a dead button
    _, h4 = await hand()
    assert (h4["button"], h4["small_blind_seat"], h4["big_blind_seat"], h4["positions"]) == (1, 2, 3, [2, 3, 5])
    assert h4["posted"] == {"2": SB, "3": BB, "5": 0}
    # c leaves: heads-up, the big blind moves on to d; b has the button, posts the small
    # blind and acts first before the flop
    await in_club(t, lambda: seating.stand_up(table=t.table, user=c))
    _, h5 = await hand()
    assert (h5["button"], h5["small_blind_seat"], h5["big_blind_seat"], h5["positions"]) == (3, 3, 2, [2, 3])
    assert h5["posted"] == {"2": BB, "3": SB} and h5["actor"] == 3
    _, h6 = await hand()
    assert (h6["button"], h6["big_blind_seat"]) == (2, 3)
    # pokerkit alone replays every hand, dead small blind included, to the booked stacks
    await booked()
    checked, found = await database_sync_to_async(lambda: _verify(t))()
    assert checked == 6 and found == []


def _verify(t):
    with t.context():
        hands = list(Hand.objects.filter(table=t.table))
        return len(hands), [p for hand in hands for p in check_hand(hand, escrow_ref=t.table.escrow_ref)]
