"""The rake table: each row a hand, its expected rake per pot and attribution."""

from fractions import Fraction

import pytest

from apps.wallet.rake import STAKES, Pot, RakeRule, apportion, build_pots, rake_hand, rule_for, split_pot

LOW, MID, HIGH = (1_000, 2_000), (5_000, 10_000), (25_000, 50_000)


def hand(stakes, committed, folded=(), saw_flop=True, players_dealt=None):
    pots, uncalled = build_pots(committed, folded)
    rake = rake_hand(
        rule=rule_for(*stakes),
        big_blind=stakes[1],
        pots=pots,
        saw_flop=saw_flop,
        players_dealt=players_dealt or len(committed),
    )
    return pots, uncalled, rake


CASES = [
    # (name, stakes, committed, folded, saw_flop, rake per pot, uncalled)
    ("no flop no drop", LOW, {"A": 6_000, "B": 6_000, "C": 2_000}, {"C"}, False, (0,), {}),
    ("5 % of a small pot", LOW, {"A": 25_000, "B": 25_000}, (), True, (2_500,), {}),
    ("floor to the won", LOW, {"A": 1_010, "B": 1_009}, {"B"}, True, (100,), {"A": 1}),
    ("capped at 3 BB", LOW, {"A": 100_000, "B": 100_000}, (), True, (6_000,), {}),
    ("5k/10k capped at 4 BB", MID, {"A": 500_000, "B": 500_000}, (), True, (40_000,), {}),
    ("25k/50k 4 %, floor", HIGH, {"A": 617_283, "B": 617_284}, (), True, (49_382,), {"B": 1}),
    ("uncalled bet never raked", LOW, {"A": 52_000, "B": 2_000}, {"B"}, True, (200,), {"A": 50_000}),
    # A all-in for 10,000 before the flop, B and C play on: main 30,000, side 40,000;
    # 5 % of 70,000 = 3,500 (under the 6,000 cap), split 1,500 / 2,000.
    ("all-in preflop, side pot", LOW, {"A": 10_000, "B": 30_000, "C": 30_000}, (), True, (1_500, 2_000), {}),
    # The cap is per hand: 6,000 across both pots (300,000 : 100,000), not 6,000 each.
    ("cap per hand across side pots", LOW, {"A": 100_000, "B": 150_000, "C": 150_000}, (), True, (4_500, 1_500), {}),
    # Odd won: 5 % of 150 floors to 7; pro rata 100 : 50 is 4.67 / 2.33, floors 4 / 2, and
    # the won left over goes to the larger remainder: 5 / 2.
    ("odd won pro rata", LOW, {"A": 25, "B": 25, "C": 50, "D": 50}, (), True, (5, 2), {}),
]


@pytest.mark.parametrize(("name", "stakes", "committed", "folded", "saw_flop", "per_pot", "uncalled"), CASES)
def test_rake_table(name, stakes, committed, folded, saw_flop, per_pot, uncalled):
    pots, returned, rake = hand(stakes, committed, folded, saw_flop)
    assert rake.per_pot == per_pot, name
    assert rake.total == sum(per_pot)
    assert returned == uncalled
    # nothing is lost: pots + uncalled = everything put in
    assert sum(p.amount for p in pots) + sum(returned.values()) == sum(committed.values())
    # attribution sums to the rake and follows what each player put in
    assert sum(rake.by_player.values()) == rake.total


def test_side_pot_eligibility_and_contributions():
    pots, _uncalled, rake = hand(LOW, {"A": 10_000, "B": 30_000, "C": 30_000})
    assert [(p.amount, p.eligible) for p in pots] == [(30_000, ("A", "B", "C")), (40_000, ("B", "C"))]
    assert rake.by_player == {"A": 500, "B": 1_500, "C": 1_500}  # weighted by what each put in


def test_heads_up_tier_lowers_the_cap():
    rule = RakeRule(Fraction(5, 100), 3, caps_by_players=((2, 1), (4, 3)))
    pots, _u = build_pots({"A": 100_000, "B": 100_000})
    assert rake_hand(rule=rule, big_blind=2_000, pots=pots, saw_flop=True, players_dealt=2).total == 2_000
    assert rake_hand(rule=rule, big_blind=2_000, pots=pots, saw_flop=True, players_dealt=6).total == 6_000


def test_split_pot_odd_chips_go_clockwise_from_the_button():
    assert split_pot(1_001, ["B", "A"]) == {"B": 501, "A": 500}
    assert split_pot(1_000, ["A", "B", "C"]) == {"A": 334, "B": 333, "C": 333}
    assert split_pot(57_000 - 2_850, ["A", "B"]) == {"A": 27_075, "B": 27_075}


def test_apportion_sums_exactly_and_refuses_nonsense():
    assert apportion(10, [1, 1, 1]) == [4, 3, 3]
    assert apportion(0, [0, 0]) == [0, 0]
    for total in range(0, 50):
        assert sum(apportion(total, [3, 7, 11])) == total
    with pytest.raises(ValueError):
        apportion(5, [0, 0])
    with pytest.raises(ValueError):
        rule_for(100, 200)


def test_seed_stakes_are_the_defaults():
    assert {k: (v.percent, v.cap_bb) for k, v in STAKES.items()} == {
        LOW: (Fraction(5, 100), 3),
        MID: (Fraction(5, 100), 4),
        HIGH: (Fraction(4, 100), 5),
    }


def test_folded_money_above_every_live_player_stays_in_the_last_pot():
    pots, uncalled = build_pots({"A": 100, "D": 100, "B": 50}, folded={"A", "D"})
    assert uncalled == {}
    assert [(p.amount, p.eligible) for p in pots] == [(250, ("B",))]
    assert Pot(250, ("B",), {"A": 100, "D": 100, "B": 50}) == pots[0]
