"""The game: No-Limit Hold'em through pokerkit, as pure functions of plain data (no
database, no Redis), so the live path, the tests and `verify_hands` run the same code.

- **Cash-game mode.** pokerkit defaults to tournament mode; every state here is created
  with `Mode.CASH_GAME`, integer KRW chips, and every automation except the players' own
  actions and the hole cards' dealing (dealt by us, from our deck, so the deck is ours).
- **Seats → positions.** pokerkit knows positions, not seats: index 0 is the small blind,
  1 the big blind, the last the button (heads-up, pokerkit reverses the blinds: the button
  posts the small blind and acts first before the flop). Each hand the seats in play are
  listed clockwise starting after the button; `positions()` gives that order.
- **Button rule: the dead button** (Robert's Rules of Poker, "Button and blind use"; what
  card rooms use for cash games): the big blind moves forward one player every hand, to the
  next seat clockwise with a player in the game; the small blind goes to the seat that had
  the big blind, and the button to the seat that had the small blind. So the button may sit
  on an empty seat (a dead button) and there may be no small blind (its player left: a dead
  small blind), but nobody skips the big blind. A player who sits down, or comes back after
  missing a hand, waits for the big blind to reach them (the rule's "wait for the big blind"
  option; posting to come in early is not offered). Heads-up, the button posts the small
  blind and acts first before the flop; the big blind still moves forward, so nobody posts it
  twice in a row. With fewer than two players in under the rule (a table starting or
  restarting), everyone seated is dealt in and the button moves to the next of them
  (`plan_hand`).
- **Deck.** Shuffled by the caller with a CSPRNG (`secrets.SystemRandom`), given to pokerkit
  as its deck before anything is dealt; burn cards and the board come from it in order.
  Provably fair: `deck_hash(deck, salt)` is published at the start, deck and salt at the end.
- **Rake, capped per hand** (pokerkit's own rake function caps each pot on its own): the
  hand's rake is floor(all pots × percent), capped per apps.wallet.rake's rule for the
  stakes; each pot pays floor(rake × pot / all pots), so rounding leaves the won to the
  players. No flop, no drop. Uncalled bets are returned by pokerkit before it rakes.
"""

from __future__ import annotations

import hashlib
import secrets
from collections import deque
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from pokerkit import Automation, Card, Deck, Mode, NoLimitTexasHoldem, State
from pokerkit.state import (
    BoardDealing,
    CheckingOrCalling,
    ChipsPulling,
    ChipsPushing,
    CompletionBettingOrRaisingTo,
    Folding,
    HoleCardsShowingOrMucking,
)

from apps.wallet.rake import RakeRule, apportion

AUTOMATIONS = (
    Automation.ANTE_POSTING,
    Automation.BET_COLLECTION,
    Automation.BLIND_OR_STRADDLE_POSTING,
    Automation.CARD_BURNING,
    Automation.BOARD_DEALING,
    Automation.RUNOUT_COUNT_SELECTION,
    Automation.HOLE_CARDS_SHOWING_OR_MUCKING,
    Automation.HAND_KILLING,
    Automation.CHIPS_PUSHING,
    Automation.CHIPS_PULLING,
)
STREETS = ("preflop", "flop", "turn", "river")
ACTIONS = ("fold", "check", "call", "bet", "raise")


class Refused(Exception):
    """An action the game does not allow; `code` for programs, the message for people."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def new_deck() -> list[str]:
    """52 cards in a CSPRNG order."""
    cards = [repr(card) for card in Deck.STANDARD]
    secrets.SystemRandom().shuffle(cards)
    return cards


def deck_hash(deck: list[str], salt: str) -> str:
    """What is published at the start: SHA-256 of the salt, a colon and the deck's cards in
    dealing order (`"<salt>:AsKd…"`). Anyone can recompute it from the deck and salt revealed
    at the end."""
    return hashlib.sha256(f"{salt}:{''.join(deck)}".encode()).hexdigest()


def positions(seated: list[int], button: int) -> list[int]:
    """The seats in play in pokerkit's position order: clockwise from the seat after the
    button, the button last."""
    ordered = sorted(seated)
    return [s for s in ordered if s > button] + [s for s in ordered if s <= button]


def next_button(seated: list[int], previous: int | None) -> int:
    """The moving button: the next seat in play clockwise after the previous button."""
    ordered = sorted(seated)
    if previous is None:
        return ordered[0]
    later = [s for s in ordered if s > previous]
    return later[0] if later else ordered[0]


@dataclass(frozen=True)
class Plan:
    """Who is dealt into the next hand and who posts what (the dead-button rule)."""

    button: int  # the button's seat, possibly empty (a dead button)
    small_blind_seat: int  # the small blind's seat, possibly without a player posting (dead)
    big_blind_seat: int
    seats: list[int]  # the seats dealt in, by pokerkit position
    blinds: list[int]  # what each position posts
    small_blind_dead: bool = False
    fresh: bool = False  # a (re)start: everyone seated is dealt in

    @property
    def dead_button(self) -> bool:
        return self.button not in self.seats


def plan_hand(
    players: dict[int, bool],
    *,
    button: int | None,
    small: int | None,
    big: int | None,
    small_blind: int,
    big_blind: int,
) -> Plan | None:
    """The next hand under the dead-button rule (module docstring). `players`: the seats
    whose players may play, each with whether they are waiting for the big blind;
    `button`/`small`/`big`: the seats of the previous hand. None if fewer than two play."""
    eligible = sorted(players)
    if len(eligible) < 2:
        return None
    if None not in (button, small, big):
        new_big = ([s for s in eligible if s > big] or eligible)[0]
        dealt = [s for s in eligible if not players[s] or s == new_big]
        if len(dealt) == 2:
            other = next(s for s in dealt if s != new_big)
            return Plan(other, other, new_big, [new_big, other], [big_blind, small_blind])
        if len(dealt) > 2:
            new_small, new_button = big, small
            order = positions(dealt, new_button)
            live_small = new_small in dealt
            expected = [new_small, new_big] if live_small else [new_big]
            if order[: len(expected)] == expected:
                blinds = [small_blind, big_blind] if live_small else [big_blind]
                blinds += [0] * (len(order) - len(blinds))
                return Plan(new_button, new_small, new_big, order, blinds, small_blind_dead=not live_small)
            # Seats changed in a way the rule has no answer for (e.g. a table reopened with
            # other players): start afresh below rather than deal a wrong order.
    new_button = next_button(eligible, button)
    order = positions(eligible, new_button)
    if len(order) == 2:
        return Plan(new_button, new_button, order[0], order, [big_blind, small_blind], fresh=True)
    blinds = [small_blind, big_blind] + [0] * (len(order) - 2)
    return Plan(new_button, order[0], order[1], order, blinds, fresh=True)


@dataclass
class HandRaker:
    """pokerkit's rake callback with seed 004's per-hand cap. Stateless apart from noting
    what each player had put in (for rakeback attribution): pokerkit may evaluate the pots
    several times, and each evaluation must give the same parts."""

    rule: RakeRule
    big_blind: int
    contributions: list[int] = field(default_factory=list)

    def __call__(self, amount: int, state: State) -> tuple[int, int]:
        put_in = [-payoff - bet for payoff, bet in zip(state.payoffs, state.bets, strict=True)]
        self.contributions = put_in
        total = sum(put_in)
        if not any(state.board_cards) or total <= 0:
            return 0, amount
        rake = min(int(total * Fraction(self.rule.percent)), self.rule.cap(self.big_blind, state.player_count))
        part = rake * amount // total
        return part, amount - part


@dataclass
class Setup:
    """Everything a hand starts from: plain data, stored with the hand."""

    number: int
    small_blind: int
    big_blind: int
    seats: list[int]  # by position
    users: list[int]  # by position
    stacks: list[int]  # by position
    deck: list[str]
    salt: str
    rule: RakeRule
    # What each position posts (a dead small blind posts nothing); None: the usual small
    # and big blind (positions 0 and 1; heads-up the button, position 1, the small blind).
    blinds: list[int] | None = None

    @property
    def posted(self) -> list[int]:
        if self.blinds is not None:
            return list(self.blinds)
        n = len(self.stacks)
        if n == 2:
            return [self.big_blind, self.small_blind]
        return [self.small_blind, self.big_blind] + [0] * (n - 2)

    @property
    def raw_blinds(self) -> list[int]:
        """pokerkit's blinds_or_straddles: heads-up, pokerkit reads the list reversed."""
        posted = self.posted
        return posted[::-1] if len(posted) == 2 else posted

    def to_dict(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "small_blind": self.small_blind,
            "big_blind": self.big_blind,
            "seats": self.seats,
            "users": self.users,
            "stacks": self.stacks,
            "deck": self.deck,
            "salt": self.salt,
            "rule": [self.rule.percent.numerator, self.rule.percent.denominator, self.rule.cap_bb],
            "blinds": self.blinds,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Setup:
        numerator, denominator, cap = data["rule"]
        return cls(
            number=data["number"],
            small_blind=data["small_blind"],
            big_blind=data["big_blind"],
            seats=list(data["seats"]),
            users=list(data["users"]),
            stacks=list(data["stacks"]),
            deck=list(data["deck"]),
            salt=data["salt"],
            rule=RakeRule(Fraction(numerator, denominator), cap),
            blinds=data.get("blinds"),
        )


@dataclass
class Game:
    """A hand in play: the pokerkit state and the raker that rakes it."""

    setup: Setup
    state: State
    raker: HandRaker
    applied: int = 0  # how many of the hand's actions the state has seen

    def salt_matches(self, hand: dict) -> bool:
        """Whether a stored hand is this one (same number and salt: not a hand of an earlier
        life of the table that happens to share its number)."""
        return hand["setup"]["salt"] == self.setup.salt

    @property
    def position_of(self) -> dict[int, int]:
        return {user: i for i, user in enumerate(self.setup.users)}


def start(setup: Setup) -> Game:
    if len(setup.seats) < 2:
        raise Refused("too_few_players", "A hand needs at least two players.")
    raker = HandRaker(setup.rule, setup.big_blind)
    state = NoLimitTexasHoldem.create_state(
        AUTOMATIONS,
        True,
        0,
        setup.raw_blinds,
        setup.big_blind,
        list(setup.stacks),
        len(setup.stacks),
        mode=Mode.CASH_GAME,
        rake=raker,
    )
    state.deck_cards = deque(Card.parse("".join(setup.deck)))
    while state.can_deal_hole():
        state.deal_hole()
    return Game(setup, state, raker)


def replay(setup: Setup, actions: list[dict]) -> Game:
    game = start(setup)
    for action in actions:
        apply(game, action)
    return game


def street(state: State) -> str:
    index = state.street_index
    return STREETS[index] if index is not None else "showdown"


def legal(game: Game) -> dict[str, Any]:
    """What the player to act may do (shown to them, and used by bots)."""
    state = game.state
    if state.actor_index is None:
        return {}
    options: dict[str, Any] = {"actor": game.setup.seats[state.actor_index]}
    to_call = state.checking_or_calling_amount or 0
    options["fold"] = to_call > 0
    options["check"] = to_call == 0
    options["call"] = to_call if to_call > 0 else None
    if state.can_complete_bet_or_raise_to():
        options["raise_min"] = state.min_completion_betting_or_raising_to_amount
        options["raise_max"] = state.max_completion_betting_or_raising_to_amount
        options["raise_kind"] = "raise" if any(state.bets) else "bet"
    return options


def apply(game: Game, action: dict) -> None:
    """Apply one player action {"user", "action", "amount"?} or raise Refused, leaving the
    state as it was (pokerkit's verify_* operations are checked before anything changes)."""
    state = game.state
    if not state.status or state.actor_index is None:
        raise Refused("no_hand", "No action is awaited.")
    position = game.position_of.get(action.get("user"))
    if position is None:
        raise Refused("not_in_hand", "You are not dealt into this hand.")
    if position != state.actor_index:
        raise Refused("not_your_turn", "It is not your turn.")
    kind = action.get("action")
    to_call = state.checking_or_calling_amount or 0
    try:
        if kind == "fold":
            if to_call == 0:
                raise Refused("check_instead", "Nothing to call: check instead of folding.")
            state.verify_folding()
            state.fold()
        elif kind == "check":
            if to_call:
                raise Refused("cannot_check", "There is a bet to call.")
            state.verify_checking_or_calling()
            state.check_or_call()
        elif kind == "call":
            if not to_call:
                raise Refused("nothing_to_call", "Nothing to call: check.")
            state.verify_checking_or_calling()
            state.check_or_call()
        elif kind in ("bet", "raise"):
            amount = action.get("amount")
            if isinstance(amount, bool) or not isinstance(amount, int):
                raise Refused("bad_amount", "Give the amount to bet or raise to, in whole won.")
            state.verify_completion_betting_or_raising_to(amount)
            state.complete_bet_or_raise_to(amount)
        else:
            raise Refused("bad_action", f"Unknown action {kind!r}: one of {', '.join(ACTIONS)}.")
    except ValueError as error:
        raise Refused("not_allowed", str(error)) from None
    game.applied += 1


def timeout_action(game: Game) -> dict:
    """The clock ran out: check if free, otherwise fold."""
    state = game.state
    user = game.setup.users[state.actor_index]
    return {"user": user, "action": "check" if not state.checking_or_calling_amount else "fold", "timeout": True}


def board(state: State) -> list[str]:
    return [repr(card) for cards in state.board_cards for card in cards]


def hole(state: State, position: int) -> list[str]:
    return [repr(card) for card in state.hole_cards[position]]


def shown(state: State) -> dict[int, list[str]]:
    """Hole cards turned face up at showdown, by position (mucked hands are not shown)."""
    result: dict[int, list[str]] = {}
    for operation in state.operations:
        if isinstance(operation, HoleCardsShowingOrMucking) and operation.hole_cards:
            result[operation.player_index] = [repr(card) for card in operation.hole_cards]
    return result


@dataclass(frozen=True)
class Result:
    final_stacks: list[int]
    rake: int
    rake_per_pot: list[int]
    rake_by_position: list[int]
    winnings: list[int]  # chips pushed to each position
    shown: dict[int, list[str]]
    saw_flop: bool


def result(game: Game) -> Result:
    """The finished hand; conservation asserted (stacks + rake = stacks before)."""
    state = game.state
    assert not state.status, "the hand is not over"
    pots = list(state.pots)
    rake = sum(pot.raked_amount for pot in pots)
    final = list(state.stacks)
    assert sum(final) + rake == sum(game.setup.stacks), (
        f"chips not conserved: {sum(final)} + rake {rake} != {sum(game.setup.stacks)}"
    )
    winnings = [0] * len(final)
    for operation in state.operations:
        if isinstance(operation, ChipsPulling):
            winnings[operation.player_index] += operation.amount
    by_position = apportion(rake, [max(c, 0) for c in game.raker.contributions]) if rake else [0] * len(final)
    return Result(
        final_stacks=final,
        rake=rake,
        rake_per_pot=[pot.raked_amount for pot in pots],
        rake_by_position=by_position,
        winnings=winnings,
        shown=shown(state),
        saw_flop=bool(any(state.board_cards)),
    )


def describe(operation) -> dict | None:
    """An operation as a table event (what every seat may see: never hole cards)."""
    if isinstance(operation, Folding):
        return {"op": "fold", "pos": operation.player_index}
    if isinstance(operation, CheckingOrCalling):
        kind = "call" if operation.amount else "check"
        return {"op": kind, "pos": operation.player_index, "amount": operation.amount}
    if isinstance(operation, CompletionBettingOrRaisingTo):
        return {"op": "raise_to", "pos": operation.player_index, "amount": operation.amount}
    if isinstance(operation, BoardDealing):
        return {"op": "board", "cards": [repr(card) for card in operation.cards]}
    if isinstance(operation, ChipsPushing):
        return {"op": "pot", "index": operation.pot_index, "amounts": list(operation.amounts)}
    if isinstance(operation, HoleCardsShowingOrMucking) and operation.hole_cards:
        return {"op": "show", "pos": operation.player_index, "cards": [repr(c) for c in operation.hole_cards]}
    return None


def history(setup: Setup, actions: list[str], **meta: Any):
    """The hand as pokerkit's HandHistory (PHH): the stored action lines on the hand's
    setup, raked as the live hand was, currency KRW. Iterating it replays the hand in
    pokerkit alone (what `verify_hands` does)."""
    from pokerkit import HandHistory

    n = len(setup.stacks)
    return HandHistory(
        variant="NT",
        ante_trimming_status=True,
        antes=[0] * n,
        blinds_or_straddles=setup.raw_blinds,
        min_bet=setup.big_blind,
        starting_stacks=list(setup.stacks),
        actions=list(actions),
        seats=list(setup.seats),
        currency="KRW",
        currency_symbol="₩",
        rake=HandRaker(setup.rule, setup.big_blind),
        **meta,
    )


def phh_actions(game: Game) -> list[str]:
    """The hand's PHH action lines, from pokerkit's own HandHistory.from_game_state."""
    from pokerkit import HandHistory

    kind = NoLimitTexasHoldem(
        AUTOMATIONS,
        True,
        0,
        game.setup.raw_blinds,
        game.setup.big_blind,
        mode=Mode.CASH_GAME,
    )
    return list(HandHistory.from_game_state(kind, game.state).actions)


def final_state(history) -> State:
    final = None
    for final in history:  # noqa: B007  the last state is the hand's end
        pass
    return final
