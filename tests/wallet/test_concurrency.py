"""Real threads, each on its own database connection, against a committed club."""

import random

import pytest
from django_tenants.utils import schema_context

from apps.wallet.models import Transfer
from apps.wallet.services import core
from tests.utils import in_threads, make_user
from tests.wallet.conftest import assert_books_balance


def test_concurrent_transfers_with_hot_accounts_and_repeated_keys_never_deadlock_or_drift(live_tenant):
    club = live_tenant("club")
    with club.context():
        users = [make_user(f"p{i}") for i in range(6)]
        accounts = [core.player_account(u).pk for u in users]
        escrow, rake = core.escrow_account("t1").pk, core.house_account("rake").pk
        equity = core.house_account("equity")
        for u in users:
            core.transfer(key=f"fund:{u.pk}", kind="fund", legs=[(equity, -100_000), (core.player_account(u), 100_000)])
    keys = [f"k{i}" for i in range(400)]  # every key is sent by two threads
    plans = {}
    rng = random.Random(7)
    for key in keys:
        a, b = rng.sample(accounts, 2)
        amount = rng.randint(1, 30_000)
        legs = [(a, -amount), (b, amount - amount // 10), (escrow, amount // 20), (rake, amount // 10 - amount // 20)]
        plans[key] = [leg for leg in legs if leg[1]]
    outcomes = []

    def worker(seed: int) -> None:
        mine = list(keys)
        random.Random(seed).shuffle(mine)
        with schema_context(club.schema):
            for start in range(0, len(mine), 20):
                batch = [core.make_request(key=k, kind="t", legs=plans[k]) for k in mine[start : start + 20]]
                for result in core.transfer_batch(batch):
                    outcomes.append((result.key, result.status))

    errors = in_threads(worker, 8)
    assert not errors, errors
    created = [key for key, status in outcomes if status == "created"]
    assert len(created) == len(set(created))  # each key took effect once
    with club.context():
        stored = set(Transfer.objects.filter(kind="t").values_list("idempotency_key", flat=True))
        assert stored == set(created)
        refused = {key for key, status in outcomes if status == "refused"} - stored
        assert len(stored) + len(refused) == len(keys)
    assert_books_balance(club.schema)


def test_a_repeated_buy_in_is_recorded_once(club, players):
    from apps.audit.models import AuditEntry
    from apps.ledger.models import Event
    from apps.wallet.services import table

    (alice,) = players(1, funded=100_000)
    with club.context():
        first = table.buy_in(user=alice, table_ref="t-1", amount=40_000, key="seat-1")
        again = table.buy_in(user=alice, table_ref="t-1", amount=40_000, key="seat-1")
        assert again.pk == first.pk
        assert core.balance(core.player_account(alice)) == 60_000
        assert Event.objects.filter(kind="wallet.buy_in").count() == 1
        assert AuditEntry.objects.filter(action="wallet.buy_in").count() == 1
        with pytest.raises(core.InsufficientFunds):
            table.cash_out(user=alice, table_ref="t-1", amount=40_001, key="seat-1")
        table.cash_out(user=alice, table_ref="t-1", amount=40_000, key="seat-1")
        assert core.balance(core.player_account(alice)) == 100_000
        assert core.balance(core.escrow_account("t-1")) == 0
