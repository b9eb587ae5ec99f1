import pytest
from django.db import DatabaseError, connection, transaction

from apps.wallet.models import Account, Hold, Posting, Transfer
from apps.wallet.services import core


def legs(*pairs):
    return list(pairs)


def test_transfer_moves_money_and_caches_balances(club, players):
    alice, bob = players(2, funded=100_000)
    with club.context():
        a, b = core.player_account(alice), core.player_account(bob)
        t = core.transfer(key="t1", kind="transfer", legs=[(a, -30_000), (b, 30_000)])
        assert (core.balance(a), core.balance(b)) == (70_000, 130_000)
        assert sorted(t.postings.values_list("amount", flat=True)) == [-30_000, 30_000]
        assert t.seq == Transfer.objects.order_by("-seq").first().seq


def test_same_key_returns_the_first_transfer_and_moves_nothing_twice(club, players):
    alice, bob = players(2, funded=100_000)
    with club.context():
        a, b = core.player_account(alice), core.player_account(bob)
        first = core.transfer(key="same", kind="transfer", legs=[(a, -10_000), (b, 10_000)])
        again = core.transfer(key="same", kind="transfer", legs=[(b, 10_000), (a, -10_000)])
        assert again.pk == first.pk
        assert core.balance(a) == 90_000
        assert Transfer.objects.filter(idempotency_key="same").count() == 1


@pytest.mark.parametrize(
    "change",
    [
        {"legs": "amount"},
        {"kind": "buy_in"},
        {"reference": "table-9"},
    ],
)
def test_same_key_with_other_content_is_refused(club, players, change):
    alice, bob = players(2, funded=100_000)
    with club.context():
        a, b = core.player_account(alice), core.player_account(bob)
        core.transfer(key="k", kind="transfer", legs=[(a, -10_000), (b, 10_000)])
        args = {"kind": "transfer", "legs": [(a, -10_000), (b, 10_000)], "reference": ""}
        if "legs" in change:
            args["legs"] = [(a, -10_001), (b, 10_001)]
        args.update({k: v for k, v in change.items() if k != "legs"})
        with pytest.raises(core.IdempotencyConflict) as error:
            core.transfer(key="k", **args)
        assert "idempotency_key" in error.value.message_dict
        assert core.balance(a) == 90_000


def test_insufficient_funds_refused_and_nothing_written(club, players):
    alice, bob = players(2, funded=5_000)
    with club.context():
        a, b = core.player_account(alice), core.player_account(bob)
        before = Transfer.objects.count()
        with pytest.raises(core.InsufficientFunds) as error:
            core.transfer(key="big", kind="transfer", legs=[(a, -5_001), (b, 5_001)])
        assert "amount" in error.value.message_dict
        assert f"player:{alice.pk}" in error.value.message_dict["amount"][0]
        assert Transfer.objects.count() == before
        assert core.balance(a) == 5_000
        # the key was not consumed: the same transfer, affordable later, goes through
        core.transfer(key="top-up", kind="t", legs=[(core.house_account("equity"), -1), (a, 1)])
        core.transfer(key="big", kind="transfer", legs=[(a, -5_001), (b, 5_001)])
        assert core.balance(a) == 0


@pytest.mark.parametrize(
    ("make_legs", "field"),
    [
        (lambda a, b: [(a, -1), (b, 2)], "legs"),
        (lambda a, b: [(a, 0), (b, 0)], "legs[0].amount"),
        (lambda a, b: [(a, -1.5), (b, 1.5)], "legs[0].amount"),
        (lambda a, b: [(a, -1), (a, 1)], "legs[1].account"),
        (lambda a, b: [(a, 1)], "legs"),
        (lambda a, b: [(a, -1), (999_999_999, 1)], "account"),
    ],
)
def test_bad_legs_name_the_field_and_write_nothing(club, players, make_legs, field):
    alice, bob = players(2, funded=10)
    with club.context():
        a, b = core.player_account(alice), core.player_account(bob)
        before = Transfer.objects.count()
        with pytest.raises(core.WalletError) as error:
            core.transfer(key="bad", kind="transfer", legs=make_legs(a, b))
        assert field in error.value.message_dict
        assert Transfer.objects.count() == before


def test_batch_applies_in_order_and_refuses_one_by_one(club, players):
    alice, bob = players(2, funded=10_000)
    with club.context():
        a, b = core.player_account(alice), core.player_account(bob)
        requests = [
            core.make_request(key="b1", kind="t", legs=[(a, -8_000), (b, 8_000)]),
            core.make_request(key="b2", kind="t", legs=[(a, -8_000), (b, 8_000)]),  # short: 2,000 left
            core.make_request(key="b3", kind="t", legs=[(b, -1_000), (a, 1_000)]),
            core.make_request(key="b1", kind="t", legs=[(a, -8_000), (b, 8_000)]),  # repeat inside the batch
            core.make_request(key="b1", kind="t", legs=[(a, -1), (b, 1)]),  # conflict inside the batch
        ]
        results = core.transfer_batch(requests)
        assert [r.status for r in results] == ["created", "refused", "created", "replayed", "refused"]
        assert isinstance(results[1].error, core.InsufficientFunds)
        assert isinstance(results[4].error, core.IdempotencyConflict)
        assert results[3].seq == results[0].seq
        assert (core.balance(a), core.balance(b)) == (3_000, 17_000)


def test_the_database_refuses_an_unbalanced_transfer_at_commit(club, players):
    alice, _bob = players(2, funded=10_000)
    with club.context():
        a = core.player_account(alice)
        t = Transfer.objects.order_by("-seq").first()
        with pytest.raises(DatabaseError, match="does not balance"), transaction.atomic():
            Posting.objects.create(transfer=t, account=a, amount=5)  # a leg added to a committed transfer
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        with pytest.raises(DatabaseError, match="does not balance"), transaction.atomic():
            Transfer.objects.create(seq=10**9, idempotency_key="empty", kind="x", digest="", created_at=t.created_at)
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def test_postings_and_transfers_are_append_only_and_balances_never_negative(club, players):
    alice, _bob = players(2, funded=10_000)
    with club.context():
        posting = Posting.objects.filter(account=core.player_account(alice)).first()
        with pytest.raises(DatabaseError, match="append_only"), transaction.atomic():
            Posting.objects.filter(pk=posting.pk).update(amount=1)
        with pytest.raises(DatabaseError, match="append_only"), transaction.atomic():
            Posting.objects.filter(pk=posting.pk).delete()
        with pytest.raises(DatabaseError, match="append_only"), transaction.atomic():
            Transfer.objects.filter(pk=posting.transfer_id).update(kind="other")
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no trigger events pending
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("TRUNCATE wallet_posting CASCADE")
        with pytest.raises(DatabaseError, match="wallet_account_not_negative"), transaction.atomic():
            Account.objects.filter(pk=core.player_account(alice).pk).update(balance=-1)
        with pytest.raises(DatabaseError, match="wallet_account_players_never_negative"), transaction.atomic():
            Account.objects.filter(pk=core.player_account(alice).pk).update(allow_negative=True)


@pytest.mark.wallet_broken
def test_verify_finds_tampering_the_triggers_would_have_refused(club, players):
    from apps.wallet.integrity import problems

    alice, bob = players(2, funded=10_000)
    with club.context():
        core.transfer(key="x", kind="t", legs=[(core.player_account(alice), -1_000), (core.player_account(bob), 1_000)])
        assert problems() == []
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET LOCAL session_replication_role = replica")  # what a superuser could do
            cursor.execute("UPDATE wallet_posting SET amount = amount * 2 WHERE amount = 1000")
            cursor.execute("UPDATE wallet_account SET balance = balance + 1 WHERE code = %s", [f"player:{bob.pk}"])
            cursor.execute(
                "UPDATE wallet_transfer SET reference = 'edited' WHERE idempotency_key = %s", [f"fund:{alice.pk}"]
            )
            cursor.execute("SET LOCAL session_replication_role = origin")
        found = "\n".join(problems())
        assert "legs summing to 1000" in found
        assert "content does not match its digest" in found
        assert f"account player:{bob.pk}: cached balance" in found
        assert "all balances sum to" in found


def test_holds_leave_pending_once(club, players):
    (alice,) = players(1, funded=50_000)
    with club.context():
        hold = core.place_hold(user=alice, amount=20_000, key="w1", kind="withdrawal")
        assert core.place_hold(user=alice, amount=20_000, key="w1", kind="withdrawal").pk == hold.pk
        with pytest.raises(core.IdempotencyConflict):
            core.place_hold(user=alice, amount=20_001, key="w1", kind="withdrawal")
        assert core.balance(core.player_account(alice)) == 30_000
        assert core.balance(core.pending_account(alice)) == 20_000
        gateway = core.gateway_account("BTC")
        posted = core.post_hold(hold, to_account=gateway)
        assert posted.state == Hold.State.POSTED
        assert core.post_hold(hold, to_account=gateway).resolved_id == posted.resolved_id  # a repeat
        with pytest.raises(core.WalletError) as error:
            core.void_hold(hold)
        assert error.value.error_dict["state"][0].code == "hold_resolved"
        assert core.balance(core.pending_account(alice)) == 0
        assert core.balance(gateway) == 20_000
        with pytest.raises(DatabaseError, match="resolved_once"), transaction.atomic():
            Hold.objects.filter(pk=hold.pk).update(state="pending", resolved=None)

        second = core.place_hold(user=alice, amount=10_000, key="w2", kind="withdrawal")
        core.void_hold(second)
        assert core.balance(core.player_account(alice)) == 30_000
        with pytest.raises(core.InsufficientFunds):
            core.place_hold(user=alice, amount=30_001, key="w3", kind="withdrawal")


def test_verify_wallet_command(club, players):
    from django.core.management import call_command

    players(2, funded=1_000)
    import io

    out = io.StringIO()
    call_command("verify_wallet", "--schema", club.schema, stdout=out)
    assert "chain and balances verified" in out.getvalue()


def test_a_player_with_a_wallet_cannot_be_deleted(club, players):
    from django.db.models import ProtectedError

    (alice,) = players(1, funded=1_000)
    with club.context(), pytest.raises(ProtectedError):
        alice.delete()


def test_the_zero_sum_check_reads_the_batch_not_the_table(club, players):
    """The commit-time check runs under the books lock: it must cost the batch's rows, not
    the whole posting table's (the first version walked every posting at each commit,
    ~300 ms at 70,000 postings). Counted with the transaction's own table statistics."""
    alice, bob = players(2, funded=1_000_000)
    with club.context():
        a, b = core.player_account(alice), core.player_account(bob)
        for round_ in range(5):  # ~1,000 postings for the check to walk if it walked the table
            core.transfer_batch(
                [core.make_request(key=f"fill:{round_}:{i}", kind="t", legs=[(a, -1), (b, 1)]) for i in range(100)]
            )

        def rows_read() -> int:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT coalesce(sum(coalesce(seq_tup_read, 0) + coalesce(idx_tup_fetch, 0)), 0)"
                    " FROM pg_stat_xact_user_tables WHERE schemaname = current_schema()"
                    " AND relname IN ('wallet_posting', 'wallet_transfer')"
                )
                return cursor.fetchone()[0]

        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the fill's checks, out of the way
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        assert Posting.objects.count() >= 1_000
        core.transfer_batch([core.make_request(key="one-more", kind="t", legs=[(a, -1), (b, 1)])])
        before = rows_read()
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # fires the zero-sum check now
        assert rows_read() - before < 50
