"""The demo club's tables (called by `manage.py seed_demo`; safe to run again): a room with
one table at each of seed 004's stakes, and two funded players, `player1` and `player2`,
to sit at the same table from two browser windows and play hands against each other."""

from __future__ import annotations

from collections.abc import Iterator

from django.contrib.auth import get_user_model

from apps.accounts import services as accounts
from apps.wallet.services import core

from .models import Room, Table
from .services import seating

TABLES = [
    ("홀덤 1", 1_000, 2_000, 6),
    ("홀덤 2", 5_000, 10_000, 9),
    ("하이롤러", 25_000, 50_000, 6),
]
PLAYERS = [("player1", "박민준"), ("player2", "최서연")]


def seed(tenant) -> Iterator[tuple[str, str]]:
    from apps.tenancy.management.commands.seed_demo import demo_password

    room = Room.objects.filter(name="메인 룸").first() or seating.create_room(name="메인 룸")
    for name, small, big, seats in TABLES:
        if not Table.objects.filter(room=room, name=name).exists():
            seating.open_table(room=room, name=name, small_blind=small, big_blind=big, max_seats=seats)
    User = get_user_model()
    for username, display in PLAYERS:
        user, created = User.objects.get_or_create(
            username=username, defaults={"display_name": display, "email": f"{username}@demo.invalid"}
        )
        if created:
            user.set_password(demo_password())
            user.save(update_fields=["password"])
        accounts.grant_role(user, "player")
        core.transfer(
            key=f"demo:club:opening:{username}",
            kind="adjustment",
            legs=[(core.house_account("equity"), -2_000_000), (core.player_account(user), 2_000_000)],
            reference="demo opening balance",
        )
        yield username, "/club/"
    yield "floor_manager", "/admin/club/table/"
