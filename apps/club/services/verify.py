"""`manage.py verify_hands`: every stored hand (and every archived one) replayed by
pokerkit alone from its PHH action lines, and checked against what was booked: final
stacks, the rake and its split across pots, the published deck hash, the cards dealt from
the revealed deck, conservation, and the wallet's rake transfer for the hand. Each table's
escrow must hold exactly its seats' stacks when no hand is in play."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

from apps.wallet.models import Account, Transfer
from apps.wallet.rake import rule_for

from .. import engine, live
from ..models import Hand, HandArchive, Seat, Table


def setup_of(hand: Hand | dict) -> engine.Setup:
    get = hand.get if isinstance(hand, dict) else lambda name: getattr(hand, name)
    seats = get("seats")
    deck = get("deck")
    return engine.Setup(
        number=get("number"),
        small_blind=get("small_blind"),
        big_blind=get("big_blind"),
        seats=[s["seat"] for s in seats],
        users=[s["user"] for s in seats],
        stacks=list(get("starting_stacks")),
        deck=[deck[i : i + 2] for i in range(0, len(deck), 2)],
        salt=get("salt"),
        rule=rule_for(get("small_blind"), get("big_blind")),
        # What each position posted (a dead small blind: nothing); older hands: the usual two.
        blinds=[s["blind"] for s in seats] if all("blind" in s for s in seats) else None,
    )


def check_hand(hand: Hand | dict, *, escrow_ref: str) -> list[str]:
    get = hand.get if isinstance(hand, dict) else lambda name: getattr(hand, name)
    label = f"table {escrow_ref} hand {get('number')}"
    problems = []
    setup = setup_of(hand)
    if hashlib.sha256(f"{setup.salt}:{''.join(setup.deck)}".encode()).hexdigest() != get("deck_hash"):
        problems.append(f"{label}: the revealed deck and salt do not give the published hash")
    n = len(setup.stacks)
    dealt = [line.split()[-1] for line in get("actions") if line.startswith("d dh ")]
    expected = ["".join(setup.deck[i] + setup.deck[i + n]) for i in range(n)]
    if dealt != expected:
        problems.append(f"{label}: the hole cards were not dealt from the revealed deck")
    try:
        state = engine.final_state(engine.history(setup, get("actions")))
    except Exception as error:  # a hand pokerkit cannot replay is a finding, not a crash
        return [*problems, f"{label}: pokerkit cannot replay it: {error}"]
    pots = list(state.pots)
    rake = sum(pot.raked_amount for pot in pots)
    if list(state.stacks) != list(get("final_stacks")):
        problems.append(f"{label}: replayed stacks {list(state.stacks)} != booked {get('final_stacks')}")
    if rake != get("rake") or [p.raked_amount for p in pots] != list(get("rake_per_pot")):
        problems.append(f"{label}: replayed rake {rake} != booked {get('rake')}")
    if sum(get("final_stacks")) + get("rake") != sum(setup.stacks):
        problems.append(f"{label}: chips not conserved")
    transfer = Transfer.objects.filter(idempotency_key=f"hand:{escrow_ref}:hand-{get('number')}").first()
    posted = 0
    if transfer is not None:
        posted = transfer.postings.filter(account__code="house:rake").values_list("amount", flat=True).first() or 0
    if posted != get("rake"):
        problems.append(f"{label}: the wallet booked rake {posted}, the hand {get('rake')}")
    return problems


def archived_hands(archive: HandArchive) -> Iterator[dict]:
    from .archive import unpack

    yield from unpack(bytes(archive.data))


def problems() -> tuple[int, list[str]]:
    """(hands checked, problems) for the current club."""
    found: list[str] = []
    checked = 0
    for table in Table.objects.all():
        for hand in Hand.objects.filter(table=table).order_by("number").iterator():
            found += check_hand(hand, escrow_ref=table.escrow_ref)
            checked += 1
        for archive in HandArchive.objects.filter(table=table):
            for hand in archived_hands(archive):
                found += check_hand(hand, escrow_ref=table.escrow_ref)
                checked += 1
        if live.load(table.pk) is None:
            escrow = Account.objects.filter(code=f"escrow:{table.escrow_ref}").values_list("balance", flat=True).first()
            stacks = sum(Seat.objects.filter(table=table).values_list("stack", flat=True))
            if (escrow or 0) != stacks:
                found.append(f"table {table.pk}: escrow holds {escrow or 0}, the seats {stacks}")
    return checked, found
