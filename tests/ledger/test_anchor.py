"""The ledger's head anchor (issue 12, defect 6): deleting the newest event, with the
triggers disabled, left a shorter chain that verify_ledger called intact."""

import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django_tenants.utils import schema_context

from apps.ledger import services
from apps.ledger.anchor.models import Head
from apps.ledger.models import Event
from apps.ledger.services import NewEvent


def _append(n: int) -> None:
    for i in range(n):
        services.append("payment.received", subject=("invoice", i), data={"amount": 1000 * i})


def _without_triggers(statement: str, params=()) -> None:
    """What an attacker with the table owner's rights does: switch the triggers off."""
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE ledger_event DISABLE TRIGGER ALL")
        cursor.execute(statement, params)
        cursor.execute("ALTER TABLE ledger_event ENABLE TRIGGER ALL")


@pytest.mark.django_db
def test_every_append_moves_the_signed_anchor_in_the_public_schema(tenants):
    t = tenants["academy"]
    with t.context():
        _append(3)
        head = Event.objects.order_by("-seq").first()
        with services.transaction.atomic():
            services.Appender().append([NewEvent("bulk", data={"n": i}) for i in range(4)])
        last = Event.objects.order_by("-seq").first()
    with schema_context("public"):
        anchor = Head.objects.get(schema_name=t.schema)
        assert (anchor.seq, anchor.hash) == (last.seq, last.hash) == (7, last.hash)
        assert anchor.signed and head.seq == 3
        # The table is in the public schema only: no tenant can rewrite it with its own tables.
        with connection.cursor() as cursor:
            cursor.execute("SELECT schemaname FROM pg_tables WHERE tablename = 'ledger_anchor_head'")
            assert [row[0] for row in cursor.fetchall()] == ["public"]


@pytest.mark.django_db
def test_an_append_rolled_back_leaves_the_anchor_where_it_was(tenants):
    with tenants["academy"].context():
        _append(2)
        with pytest.raises(RuntimeError), transaction.atomic():
            services.append("x.y")
            raise RuntimeError
        assert services.verify().ok
        assert services.head_anchor().seq == 2


@pytest.mark.django_db
def test_deleting_the_newest_event_with_triggers_disabled_is_detected(tenants):
    t = tenants["academy"]
    with t.context():
        _append(5)
        assert services.verify().ok
        _without_triggers("DELETE FROM ledger_event WHERE seq = 5")
        assert Event.objects.count() == 4  # what is left is a valid chain of third...
        result = services.verify()
        assert not result.ok  # ...that ends before its anchor
        assert result.at_seq == 5 and "newest events are missing" in result.problem
        out = io.StringIO()
        with pytest.raises(CommandError, match="broken"):
            call_command("verify_ledger", "--schema", t.schema, stdout=out)
        assert "BROKEN at #5" in out.getvalue()


@pytest.mark.django_db
def test_rewinding_or_forging_the_anchor_is_refused_or_detected(tenants):
    t = tenants["academy"]
    with t.context():
        _append(5)
        _without_triggers("DELETE FROM ledger_event WHERE seq >= 4")
        third = Event.objects.get(seq=3)
    with schema_context("public"):
        # The database refuses to move an anchor back...
        with pytest.raises(DatabaseError), transaction.atomic():
            Head.objects.filter(schema_name=t.schema).update(seq=3, hash=third.hash)
        # ...and one rewritten with its trigger off lacks the signature only the server can make.
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE ledger_anchor_head DISABLE TRIGGER ALL")
            cursor.execute(
                "UPDATE ledger_anchor_head SET seq = 3, hash = %s WHERE schema_name = %s", [third.hash, t.schema]
            )
            cursor.execute("ALTER TABLE ledger_anchor_head ENABLE TRIGGER ALL")
    with t.context():
        result = services.verify()
        assert not result.ok and "signature" in result.problem
    with schema_context("public"):
        Head.objects.filter(schema_name=t.schema).delete()  # removing the anchor altogether
    with t.context():
        result = services.verify()
        assert not result.ok and "no head anchor" in result.problem


@pytest.mark.django_db
def test_an_altered_newest_event_and_events_written_around_the_service_are_detected(tenants):
    with tenants["academy"].context():
        _append(3)
        _without_triggers("UPDATE ledger_event SET data = '{\"amount\": 1}' WHERE seq = 3")
        assert "content" in services.verify().problem
    with tenants["academy_b"].context():
        _append(2)
        last = Event.objects.order_by("-seq").first()
        fields = {
            "seq": 3,
            "kind": "forged",
            "subject_type": "",
            "subject_id": "",
            "actor_id": None,
            "actor": "",
            "data": {},
            "occurred_at": last.occurred_at,
            "idempotency_key": None,
            "prev_hash": last.hash,
        }
        Event.objects.create(**fields, hash=services.compute_hash(**fields))  # a valid link, no anchor move
        result = services.verify()
        assert not result.ok and "outside the ledger service" in result.problem


@pytest.mark.django_db
def test_a_backup_manifests_signed_checkpoint_is_checked(tenants, tmp_path):
    t = tenants["academy"]
    with t.context():
        _append(4)
        anchor = services.head_anchor()
    manifest = tmp_path / "m.manifest.json"
    manifest.write_text(
        json.dumps({"schema": t.schema, "anchor": {"seq": 4, "hash": anchor.hash, "signature": anchor.signature}})
    )
    call_command("verify_ledger", "--schema", t.schema, "--manifest", str(manifest), stdout=io.StringIO())
    with t.context():
        _append(2)  # the chain grew since the backup: still fine
    call_command("verify_ledger", "--schema", t.schema, "--manifest", str(manifest), stdout=io.StringIO())
    forged = tmp_path / "f.manifest.json"
    forged.write_text(json.dumps({"schema": t.schema, "anchor": {"seq": 4, "hash": "0" * 64, "signature": "x"}}))
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command("verify_ledger", "--schema", t.schema, "--manifest", str(forged), stdout=out)
    assert "signature" in out.getvalue()


def test_a_dropped_tenant_takes_its_anchor_with_it(live_tenant):
    t = live_tenant("zone")
    with t.context():
        _append(1)
    with schema_context("public"):
        assert Head.objects.filter(schema_name=t.schema).exists()
        from apps.tenancy import services as tenancy

        tenancy.drop_tenant(t.tenant)
        assert not Head.objects.filter(schema_name=t.schema).exists()
