"""Deferred appends (a CAT answer's events): written unsealed in the caller's transaction
without the chain lock, sealed into the chain after commit, the chain's guarantees kept."""

import io

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from apps.core import afterwork
from apps.ledger import services
from apps.ledger.models import Event
from tests.utils import in_threads


@pytest.mark.django_db
def test_a_deferred_event_is_unsealed_until_sealed_then_chained_like_any(tenants):
    with tenants["academy"].context():
        first = services.append("a.sealed", subject=("x", 1))
        pending = services.append("b.deferred", subject=("x", 2), data={"n": 2}, deferred=True)
        assert (pending.seq, pending.prev_hash, pending.hash) == (None, None, None)
        result = services.verify()
        assert result.ok and result.events == 1 and result.unsealed == 1
        assert services.seal() == 1
        pending.refresh_from_db()
        assert pending.seq == 2 and pending.prev_hash == first.hash and pending.hash == services.last_hash()
        assert pending.hash == services.event_hash(pending)
        result = services.verify()
        assert result.ok and result.events == 2 and result.unsealed == 0
        assert services.head_anchor().seq == 2 and services.head_anchor().hash == pending.hash


@pytest.mark.django_db
def test_a_sealed_append_seals_the_deferred_ones_before_it(tenants):
    with tenants["academy"].context():
        deferred = [services.append("d", subject=("x", n), deferred=True) for n in range(3)]
        last = services.append("s", subject=("x", 9))
        assert last.seq == 4
        assert [Event.objects.get(pk=e.pk).seq for e in deferred] == [1, 2, 3]
        assert services.verify().ok


@pytest.mark.django_db
def test_sealing_runs_on_commit_once_per_transaction(tenants, django_capture_on_commit_callbacks):
    with tenants["academy"].context():
        with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
            services.append("d", subject=("x", 1), deferred=True)
            services.append("d", subject=("x", 2), deferred=True)
        assert len(callbacks) == 1
        assert not Event.objects.filter(seq__isnull=True).exists()
        assert list(Event.objects.values_list("seq", flat=True)) == [1, 2]


@pytest.mark.django_db
def test_a_deferred_event_written_with_other_rows_is_sealed_on_commit(tenants, django_capture_on_commit_callbacks):
    """deferred_event(): the same event, inserted by the caller with its own rows in one
    statement (apps.core.bulk.write_together), sealed after that commit like append's."""
    from apps.core.bulk import write_together

    with tenants["academy"].context():
        first = services.append("a.sealed", subject=("x", 1))
        with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
            event = services.deferred_event("b.together", subject=("x", 2), actor="system", data={"n": 2})
            write_together([event])
        assert len(callbacks) == 1
        written = Event.objects.get(kind="b.together")
        assert (written.subject_type, written.subject_id, written.actor, written.data) == ("x", "2", "system", {"n": 2})
        assert written.seq == 2 and written.prev_hash == first.hash and written.hash == services.event_hash(written)
        assert services.verify().ok


@pytest.mark.django_db
def test_a_deferred_event_rolls_back_with_its_transaction(tenants):
    with tenants["academy"].context():
        with pytest.raises(RuntimeError), transaction.atomic():
            services.append("d", subject=("x", 1), deferred=True)
            raise RuntimeError
        assert Event.objects.count() == 0


@pytest.mark.django_db
def test_deferred_idempotency_key_appends_once(tenants):
    with tenants["store"].context():
        a = services.append("w", data={"n": 1}, idempotency_key="k1", deferred=True)
        b = services.append("w", data={"n": 2}, idempotency_key="k1", deferred=True)
        services.seal()
        c = services.append("w", data={"n": 3}, idempotency_key="k1")
        assert a.pk == b.pk == c.pk and Event.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    "statement",
    [
        # Content changed while sealing: refused.
        "UPDATE ledger_event SET seq = 1, prev_hash = repeat('0', 64), hash = repeat('a', 64), kind = 'forged'",
        # Half a seal: refused.
        "UPDATE ledger_event SET seq = 1",
        "DELETE FROM ledger_event",
    ],
)
def test_the_trigger_allows_only_the_sealing_update(tenants, statement):
    with tenants["academy"].context():
        services.append("d", subject=("x", 1), deferred=True)
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement)
        assert Event.objects.get().seq is None
        services.seal()
        sealed = Event.objects.get()
        # Sealed once: sealing it again (or "unsealing" it) is refused like any update.
        for again in (
            "UPDATE ledger_event SET seq = 7, prev_hash = repeat('0', 64), hash = repeat('b', 64)",
            "UPDATE ledger_event SET seq = NULL, prev_hash = NULL, hash = NULL",
        ):
            with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(again)
        assert Event.objects.get().hash == sealed.hash
        assert services.verify().ok


def test_concurrent_deferred_and_sealed_appends_end_in_one_gapless_chain(live_tenant):
    """Writers committing deferred events (each sealing on commit, none waiting for the
    chain) alongside sealed appends: every event ends up sealed, the chain verifies and the
    anchor is at its end — with no periodic sealer run."""
    t = live_tenant("academy")

    def worker(n: int) -> None:
        with t.context():
            for i in range(15):
                with transaction.atomic():
                    services.append("d", subject=("student", n), data={"i": i}, deferred=(n != 0 or i % 5 == 0))

    assert in_threads(worker, 6) == []
    assert afterwork.drain()  # the seals after commit run on the process's background thread
    with t.context():
        assert not Event.objects.filter(seq__isnull=True).exists()
        assert list(Event.objects.values_list("seq", flat=True)) == list(range(1, 91))
        result = services.verify()
        assert result.ok and result.events == 90 and result.unsealed == 0
    out = io.StringIO()
    call_command("verify_ledger", "--schema", t.schema, stdout=out)
    assert "90 events, chain intact" in out.getvalue()


def test_seal_pending_task_seals_what_a_dead_process_left(live_tenant):
    from apps.ledger.tasks import seal_pending

    t = live_tenant("zone")
    with t.context():
        # As if the process died between its commit and its on-commit seal.
        Event.objects.create(kind="d", subject_type="x", subject_id="1")
        Event.objects.create(kind="d", subject_type="x", subject_id="2")
        assert services.verify().unsealed == 2
        assert seal_pending.run() == 2
        assert seal_pending.run() == 0
        result = services.verify()
        assert result.ok and result.events == 2 and result.unsealed == 0
