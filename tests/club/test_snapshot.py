"""A table's snapshot is built once for the sockets that open together, and each socket
still gets only its own cards."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.club import live
from apps.club.services import seating

from .conftest import scripted_deck
from .test_play import cards_in


def test_sockets_opening_together_share_one_snapshot_and_each_gets_only_its_own_cards(club_table, monkeypatch):
    t = club_table
    p0, p1, p2, p3 = t.users
    table = t.table.pk
    with t.context():
        seating.take_seat(table=t.table, user=p0, seat_number=1, amount=100_000, key="s0")
        seating.take_seat(table=t.table, user=p1, seat_number=3, amount=100_000, key="s1")
        hand = live.start_hand(table, deck=scripted_deck(["7c2s", "AhKd"]))  # seat 3 (p1) is position 0
        n = hand["setup"]["number"]
        with CaptureQueriesContext(connection) as first:
            mine = live.snapshot(table, p0)
        assert len(first) > 0
        with CaptureQueriesContext(connection) as again:
            theirs = live.snapshot(table, p1)
            watching = live.snapshot(table, p3)
        assert len(again) == 0  # the table, the seats and the replay: the first socket's
        assert mine["you"] == {"seat": 1, "hole": ["Ah", "Kd"]}
        assert theirs["you"] == {"seat": 3, "hole": ["7c", "2s"]}
        assert watching["you"] is None and not cards_in(watching)
        assert not cards_in({k: v for k, v in mine.items() if k != "you"})
        assert mine["hand"] == theirs["hand"] and mine["seq"] == theirs["seq"]

        # An action (a new sequence number): built afresh, showing it.
        reply = live.act(table, p0, {"t": "act", "hand": n, "street": "preflop", "id": "a", "action": "call"})
        assert reply["ok"]
        with CaptureQueriesContext(connection) as after_action:
            acted = live.snapshot(table, p1)
        assert len(after_action) > 0
        assert acted["seq"] > mine["seq"] and acted["hand"]["actor"] == 3

        # A seat taken (the club's tables version moves; the hand and its number do not).
        seating.take_seat(table=t.table, user=p2, seat_number=5, amount=100_000, key="s2")
        seated = live.snapshot(table, p3)
        assert {s["seat"]: s["user"] for s in seated["seats"]}[5] == p2.pk

        # Unchanged, but older than SNAPSHOT_REUSE_SECONDS: built afresh.
        monkeypatch.setattr(live, "SNAPSHOT_REUSE_SECONDS", 0.0)
        with CaptureQueriesContext(connection) as expired:
            live.snapshot(table, p3)
        assert len(expired) > 0
