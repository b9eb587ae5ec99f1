"""Rake as pure functions (no database): what the live tables call at the end of a hand,
and what the tests check case by case.

Seed 004's table, read as (percent, cap in big blinds) — the seed gives the second figure
without a unit; as big blinds it yields the usual card-room caps:

    ₩1,000/₩2,000     5 %, cap 3 BB  =  ₩6,000
    ₩5,000/₩10,000    5 %, cap 4 BB  =  ₩40,000
    ₩25,000/₩50,000   4 %, cap 5 BB  =  ₩250,000

Rules, in order:

1. No flop, no drop: a hand that ends before the flop pays no rake.
2. Uncalled bets are returned before any pot is formed, and are never raked
   (`build_pots` returns them separately).
3. The cap applies per hand, not per pot (pokerkit caps each pot on its own, which would
   let a hand with side pots pay several caps). A rule may tier the cap by the number of
   players dealt in (`caps_by_players`, e.g. a lower cap heads-up).
4. The hand's rake = floor(total of the pots × percent), then capped. Rounding is down
   to the whole won: the house never rounds up against the players.
5. That rake is split across the pots pro rata to their size (floor each share, then the
   won left over go one by one to the largest fractional remainders, main pot first on a
   tie), so the parts sum exactly to the hand's rake.
6. A pot split between winners: each gets floor(pot / winners); the odd chips go one by
   one to the winners in the order given (the caller passes them clockwise from the
   button, the usual rule).
7. For rakeback, the hand's rake is attributed to the players who put money into the
   pots, in proportion to what each put in (uncalled bets excluded), by the same
   largest-remainder split.
"""

from __future__ import annotations

from collections.abc import Collection, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction


@dataclass(frozen=True)
class RakeRule:
    percent: Fraction  # Fraction(5, 100) for 5 %
    cap_bb: int  # the cap in big blinds
    # ((min players dealt, cap in big blinds), ...): the last tier whose minimum is met wins
    caps_by_players: tuple[tuple[int, int], ...] = ()

    def cap(self, big_blind: int, players_dealt: int) -> int:
        cap_bb = self.cap_bb
        for minimum, tier_cap in sorted(self.caps_by_players):
            if players_dealt >= minimum:
                cap_bb = tier_cap
        return cap_bb * big_blind


# Keyed by (small blind, big blind) in won. Configurable per table type: the club app
# passes its own table's rule; these are seed 004's defaults.
STAKES: dict[tuple[int, int], RakeRule] = {
    (1_000, 2_000): RakeRule(Fraction(5, 100), 3),
    (5_000, 10_000): RakeRule(Fraction(5, 100), 4),
    (25_000, 50_000): RakeRule(Fraction(4, 100), 5),
}


def rule_for(small_blind: int, big_blind: int) -> RakeRule:
    try:
        return STAKES[(small_blind, big_blind)]
    except KeyError:
        raise ValueError(f"no rake rule for stakes {small_blind:,}/{big_blind:,}") from None


@dataclass(frozen=True)
class Pot:
    amount: int
    eligible: tuple[Hashable, ...]  # players who can win it (not folded), in seat order
    contributions: Mapping[Hashable, int] = field(default_factory=dict)


def apportion(total: int, weights: Sequence[int]) -> list[int]:
    """Split `total` won in proportion to `weights`: floors, then the remaining won to the
    largest remainders (earlier first on a tie). Sums exactly to `total`."""
    if total < 0 or any(w < 0 for w in weights):
        raise ValueError("apportion takes non-negative numbers")
    whole = sum(weights)
    if whole == 0:
        if total:
            raise ValueError("cannot apportion a positive total over zero weights")
        return [0] * len(weights)
    parts = [total * w // whole for w in weights]
    remainders = sorted(range(len(weights)), key=lambda i: (-(total * weights[i] % whole), i))
    for i in remainders[: total - sum(parts)]:
        parts[i] += 1
    return parts


def build_pots(
    committed: Mapping[Hashable, int], folded: Collection[Hashable] = ()
) -> tuple[list[Pot], dict[Hashable, int]]:
    """Main and side pots from what each player put in this hand (in seat order), and the
    uncalled bet returned (to at most one player: the one who put in more than anyone
    else could match)."""
    if any(amount < 0 for amount in committed.values()):
        raise ValueError("a player cannot commit a negative amount")
    committed = dict(committed)
    uncalled: dict[Hashable, int] = {}
    ranked = sorted(committed.values(), reverse=True)
    if len(ranked) >= 2 and ranked[0] > ranked[1]:
        top = next(p for p, a in committed.items() if a == ranked[0])
        uncalled[top] = ranked[0] - ranked[1]
        committed[top] = ranked[1]
    elif len(ranked) == 1 and ranked[0]:
        (only,) = committed
        uncalled[only] = ranked[0]
        committed[only] = 0
    live = [p for p in committed if p not in folded]
    levels = sorted({committed[p] for p in live if committed[p] > 0})
    pots: list[Pot] = []
    previous = 0
    for level in levels:
        shares = {p: min(a, level) - min(a, previous) for p, a in committed.items()}
        shares = {p: s for p, s in shares.items() if s > 0}
        amount = sum(shares.values())
        if amount:
            eligible = tuple(p for p in live if committed[p] >= level)
            pots.append(Pot(amount, eligible, shares))
        previous = level
    # Chips folded players put in above every live player's level go into the last pot.
    leftover = {p: a - min(a, previous) for p, a in committed.items() if a > previous}
    if leftover and pots:
        last = pots[-1]
        merged = dict(last.contributions)
        for p, a in leftover.items():
            merged[p] = merged.get(p, 0) + a
        pots[-1] = Pot(last.amount + sum(leftover.values()), last.eligible, merged)
    return pots, uncalled


@dataclass(frozen=True)
class HandRake:
    total: int
    per_pot: tuple[int, ...]
    by_player: dict  # player -> the part of the rake attributed to them (rakeback)


def rake_hand(*, rule: RakeRule, big_blind: int, pots: Sequence[Pot], saw_flop: bool, players_dealt: int) -> HandRake:
    if not saw_flop or not pots:
        return HandRake(0, tuple(0 for _ in pots), {})
    total_pots = sum(pot.amount for pot in pots)
    rake = min(int(total_pots * rule.percent), rule.cap(big_blind, players_dealt))  # int() floors: positive
    per_pot = apportion(rake, [pot.amount for pot in pots])
    contributed: dict = {}
    for pot in pots:
        for player, amount in pot.contributions.items():
            contributed[player] = contributed.get(player, 0) + amount
    players = list(contributed)
    by_player = dict(zip(players, apportion(rake, [contributed[p] for p in players]), strict=True))
    return HandRake(rake, tuple(per_pot), {p: r for p, r in by_player.items() if r})


def split_pot(amount: int, winners: Sequence[Hashable]) -> dict[Hashable, int]:
    """A pot among its winners: equal shares, odd chips to the first winners in the order
    given (clockwise from the button)."""
    if not winners:
        raise ValueError("a pot needs at least one winner")
    share, odd = divmod(amount, len(winners))
    return {w: share + (1 if i < odd else 0) for i, w in enumerate(winners)}
