"""The club's list pages run the same queries whatever they list: the lobby, the hand
history and a table's page are read by the demo's superuser, then the club gets more tables
(with a waiting list) and more hands, and each page is read again."""

from __future__ import annotations

import pytest
from django.utils import timezone

from tests.query_counts import assert_same_within, demo_root_client, page_queries

pytestmark = pytest.mark.django_db

BUDGET = 10


def _hand(table, number: int):
    from apps.club.models import Hand

    now = timezone.now()
    return Hand.objects.create(
        table=table,
        number=number,
        started_at=now,
        ended_at=now,
        button_seat=1,
        small_blind=table.small_blind,
        big_blind=table.big_blind,
        seats=[1, 2],
        starting_stacks=[100_000, 100_000],
        final_stacks=[99_000, 101_000],
        deck_hash="0" * 64,
        deck="As" * 52,
        salt="0" * 64,
        events=[],
        actions=[],
    )


def test_club_pages_do_not_grow_with_their_rows(tenants):
    from apps.club.models import Hand, Room, Table
    from apps.club.services import seating

    t = tenants["club"]
    client = demo_root_client(t)
    with t.context():
        table = Table.objects.order_by("pk").first()
        _hand(table, 1)
    pages = ["/club/", "/club/hands/", f"/club/table/{table.pk}/"]

    before = page_queries(t, client, pages)
    with t.context():
        room = seating.create_room(name="두번째 룸")
        for n in range(3):
            seating.open_table(room=room, name=f"추가 {n}", small_blind=1_000, big_blind=2_000, max_seats=9)
        for number, each in enumerate(Table.objects.order_by("pk"), start=2):
            _hand(each, number)
        assert Room.objects.count() >= 2 and Hand.objects.count() >= 5
    after = page_queries(t, client, pages)
    assert_same_within(before, after, BUDGET)
