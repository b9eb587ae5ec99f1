import pytest

from apps.club import demo
from apps.club.models import Seat, Table
from apps.wallet.services import core

pytestmark = pytest.mark.django_db


def test_demo_opens_a_table_per_stake_funds_two_players_and_runs_again(tenants):
    club = tenants["club"]
    with club.context():
        from apps.accounts import demo as accounts_demo

        list(accounts_demo.seed(club.tenant))
        links = list(demo.seed(club.tenant))
        assert list(demo.seed(club.tenant)) == links  # again: nothing twice
        assert ("player1", "/club/") in links and ("player2", "/club/") in links
        stakes = sorted(Table.objects.values_list("small_blind", "big_blind"))
        assert stakes == [(1_000, 2_000), (5_000, 10_000), (25_000, 50_000)]
        assert Seat.objects.filter(table__name="홀덤 1").count() == 6
        from django.contrib.auth import get_user_model

        player = get_user_model().objects.get(username="player1")
        assert core.balance(core.player_account(player)) == 2_000_000
