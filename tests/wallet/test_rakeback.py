import time_machine
from django.conf import settings

from apps.wallet.models import RakebackPayout, RakeShare
from apps.wallet.rake import build_pots, rake_hand, rule_for
from apps.wallet.services import core, hands, rakeback, table

# Wednesday 2 December 2026, 21:00 in Seoul: ISO week 2026-W49.
PLAY = "2026-12-02T21:00:00+09:00"
PAYDAY = "2026-12-07T04:00:00+09:00"  # the Monday after, 04:00 Seoul


def play_hand(alice, bob, hand: str):
    pots, _uncalled = build_pots({alice.pk: 50_000, bob.pk: 50_000})
    result = rake_hand(rule=rule_for(1_000, 2_000), big_blind=2_000, pots=pots, saw_flop=True, players_dealt=2)
    return hands.settle_hand(table_ref="t1", hand_ref=hand, rake=result)


def test_settled_hand_moves_rake_once_and_weekly_rakeback_pays_once(club, players):
    from apps.ledger.models import Event

    alice, bob = players(2, funded=200_000)
    with club.context(), time_machine.travel(PLAY, tick=False):
        table.buy_in(user=alice, table_ref="t1", amount=100_000, key="a")
        table.buy_in(user=bob, table_ref="t1", amount=100_000, key="b")
        moved = play_hand(alice, bob, "h1")
        assert play_hand(alice, bob, "h1").pk == moved.pk  # the same hand again
        assert core.balance(core.house_account("rake")) == 5_000
        assert core.balance(core.escrow_account("t1")) == 195_000
        assert sorted(RakeShare.objects.values_list("amount", flat=True)) == [2_500, 2_500]
        assert Event.objects.filter(kind="wallet.hand_settled").count() == 1
    with club.context(), time_machine.travel(PAYDAY, tick=False):
        assert rakeback.last_week() == "2026-W49"
        made = rakeback.pay_weekly_rakeback()
        assert {(p.user_id, p.amount, p.level, p.percent) for p in made} == {
            (alice.pk, 500, "bronze", 20),
            (bob.pk, 500, "bronze", 20),
        }
        assert rakeback.pay_weekly_rakeback() == []  # a re-run is a no-op
        assert RakebackPayout.objects.count() == 2
        assert core.balance(core.player_account(alice)) == 100_500
        assert core.balance(core.house_account("rakeback")) == -1_000


def test_vip_levels_by_rake_in_the_window(club, players):
    (alice,) = players(1)
    assert [rakeback.level_for(r).code for r in (0, 99_999, 100_000, 499_999, 500_000, 2_000_000, 5_000_000)] == [
        "bronze",
        "bronze",
        "silver",
        "silver",
        "gold",
        "platinum",
        "diamond",
    ]
    with club.context():
        assert rakeback.vip_level(alice).code == "bronze"


def test_week_bounds_are_seoul_mondays():
    start, end = rakeback.week_bounds("2026-W49")
    assert start.isoformat() == "2026-11-30T00:00:00+09:00"
    assert (end - start).days == 7


def test_daily_stats_recomputes_in_place(club, players):
    from datetime import date

    alice, bob = players(2, funded=200_000)
    with club.context(), time_machine.travel(PLAY, tick=False):
        table.buy_in(user=alice, table_ref="t1", amount=100_000, key="a")
        table.buy_in(user=bob, table_ref="t1", amount=100_000, key="b")
        play_hand(alice, bob, "h1")
        first = rakeback.compute_daily_stats(day=date(2026, 12, 2))
        again = rakeback.compute_daily_stats(day=date(2026, 12, 2))
        assert first.pk == again.pk
        assert (again.hands, again.rake) == (1, 5_000)


def test_beat_runs_rakeback_mondays_at_four_and_stats_at_three_in_clubs():
    schedule = settings.CELERY_BEAT_SCHEDULE
    weekly, daily = schedule["wallet-weekly-rakeback"], schedule["wallet-daily-stats"]
    assert (weekly["schedule"].hour, weekly["schedule"].minute, weekly["schedule"].day_of_week) == ({4}, {0}, {1})
    assert (daily["schedule"].hour, daily["schedule"].minute) == ({3}, {0})
    assert weekly["options"]["headers"]["_tenant_types"] == ["club"]
    assert settings.CELERY_TIMEZONE == "Asia/Seoul"
