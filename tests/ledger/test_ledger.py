import io
from datetime import date
from decimal import Decimal

import pgtrigger
import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from apps.ledger import services
from apps.ledger.models import Event
from tests.utils import in_threads


@pytest.mark.django_db
def test_appends_form_a_verifiable_chain(tenants):
    with tenants["academy"].context():
        first = services.append("consultation.created", subject=("consultation", 1), data={"source": "전화"})
        second = services.append(
            "invoice.issued",
            subject=("invoice", 7),
            data={"amount": 150000, "due": date(2026, 12, 10), "rate": Decimal("0.5")},
        )
        assert (first.seq, second.seq) == (1, 2)
        assert first.prev_hash == services.GENESIS and second.prev_hash == first.hash
        assert second.data == {"amount": 150000, "due": "2026-12-10", "rate": "0.5"}
        result = services.verify()
        assert result.ok and result.events == 2 and result.head == second.hash == services.last_hash()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE ledger_event SET kind = 'forged'",
        "DELETE FROM ledger_event",
        "TRUNCATE ledger_event",
    ],
)
def test_the_database_refuses_to_change_or_remove_events(tenants, statement):
    with tenants["academy"].context():
        services.append("attendance.checked_in", subject=("student", 3))
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement)
        assert Event.objects.count() == 1


@pytest.mark.django_db
def test_verify_finds_an_altered_event(tenants):
    with tenants["academy"].context():
        for n in range(5):
            services.append("payment.received", subject=("invoice", n), data={"amount": 10000 * n})
        # Someone with enough privilege switches the trigger off and edits history.
        with pgtrigger.ignore("ledger.Event:append_only"):
            Event.objects.filter(seq=3).update(data={"amount": 1})
        result = services.verify()
        assert not result.ok
        assert result.at_seq == 3 and "content" in result.problem
        out = io.StringIO()
        with pytest.raises(CommandError, match="broken"):
            call_command("verify_ledger", "--schema", tenants["academy"].schema, stdout=out)
        assert "BROKEN at #3" in out.getvalue()


@pytest.mark.django_db
def test_idempotency_key_appends_once(tenants):
    with tenants["store"].context():
        a = services.append("webhook.received", data={"n": 1}, idempotency_key="toss:evt_1")
        b = services.append("webhook.received", data={"n": 2}, idempotency_key="toss:evt_1")
        assert a.pk == b.pk and Event.objects.count() == 1


@pytest.mark.django_db
def test_chains_are_per_tenant(tenants):
    a, b = tenants["academy"], tenants["academy_b"]
    with a.context():
        services.append("student.enrolled", subject=("student", 1))
    with b.context():
        assert Event.objects.count() == 0
        assert services.last_hash() == services.GENESIS
        event = services.append("student.enrolled", subject=("student", 1))
        assert event.seq == 1


def test_concurrent_appends_keep_one_gapless_chain(live_tenant):
    t = live_tenant("academy")

    def worker(n: int) -> None:
        with t.context():
            for i in range(10):
                with transaction.atomic():
                    services.append("attendance.checked_in", subject=("student", n), data={"i": i})

    assert in_threads(worker, 4) == []
    with t.context():
        assert list(Event.objects.values_list("seq", flat=True)) == list(range(1, 41))
        assert services.verify().ok
    out = io.StringIO()
    call_command("verify_ledger", "--schema", t.schema, stdout=out)
    assert "40 events, chain intact" in out.getvalue()


@pytest.mark.django_db
def test_append_many_continues_the_chain_and_skips_known_keys(tenants):
    with tenants["academy"].context():
        services.append("import.started", idempotency_key="import:1:start")
        count = services.append_many(
            [services.NewEvent("student.created", ("student", n), {"n": n}, f"import:1:s{n}") for n in range(500)]
            + [services.NewEvent("student.created", ("student", 0), {"n": 0}, "import:1:s0")],
            actor="import",
        )
        assert count == 500
        again = services.append_many([services.NewEvent("student.created", ("student", 1), {}, "import:1:s1")])
        assert again == 0
        assert Event.objects.count() == 501
        result = services.verify()
        assert result.ok and result.events == 501


@pytest.mark.django_db
def test_append_many_hashes_as_append_does_for_any_data(tenants):
    from datetime import date
    from decimal import Decimal

    from apps.academy.models import GuardianLink

    with tenants["academy"].context():
        services.append("one.by.one", data={"b": 1, "a": "가"})
        services.append_many(
            [
                services.NewEvent("dates", ("student", 1), {"on": date(2026, 3, 2), "amount": Decimal("1.50")}),
                services.NewEvent("keys", ("student", 2), {2: "two", 10: "ten", "nested": {"z": [1, {"y": None}]}}),
                services.NewEvent("empty", None, None),
                # already canonical (dumped once), and a str enum next to it (round trip)
                services.NewEvent("plain", ("student", 3), {"rows": (1, 2), "ok": True, "no": None, "이름": "가"}),
                services.NewEvent("enum", ("student", 4), {"status": GuardianLink.Status.APPROVED, "n": 10**20}),
            ],
            actor="import",
        )
        services.append("after", data={"x": 1})
        assert services.verify().ok
        assert Event.objects.get(kind="dates").data == {"on": "2026-03-02", "amount": "1.50"}
        assert Event.objects.get(kind="keys").data["10"] == "ten"
        assert Event.objects.get(kind="plain").data == {"rows": [1, 2], "ok": True, "no": None, "이름": "가"}


@pytest.mark.django_db
def test_appender_chains_fresh_and_checked_events_in_one_transaction(tenants):
    from django.db import transaction

    with tenants["academy"].context():
        services.append("earlier", idempotency_key="import:2:class")
        with transaction.atomic():
            chain = services.Appender(actor="import")
            fresh = [services.NewEvent("student.created", ("student", n), {}, f"import:2:s{n}") for n in range(300)]
            assert chain.append(fresh[:150], fresh=True) == 150
            assert chain.append(fresh[150:], fresh=True) == 150
            # Checked events skip keys the ledger already holds, and keys repeated in the call.
            checked = [
                services.NewEvent("class.created", ("class", 1), {}, "import:2:class"),
                services.NewEvent("roster.imported", ("roster", "x"), {}, "import:2:file"),
                services.NewEvent("roster.imported", ("roster", "x"), {}, "import:2:file"),
            ]
            assert chain.append(checked) == 1
        assert Event.objects.count() == 302
        assert list(Event.objects.values_list("seq", flat=True)) == list(range(1, 303))
        assert services.verify().ok


@pytest.mark.django_db
def test_data_the_caller_vouches_for_hashes_as_checked_data_does(tenants):
    """`canonical=True` skips the walk over the data, not its meaning: the same events
    appended either way get the same stored data, and verify() recomputes every hash.
    Data that is not canonical after all is refused, not hashed wrongly."""

    data = {"name": "김민준", "rows": [4, 6], "guardian": None, "enrollments": [{"klass": "선수반", "fee": 150000}]}
    with tenants["academy"].context():
        with transaction.atomic():
            chain = services.Appender(actor="import")
            chain.append([services.NewEvent("checked", ("student", 1), data, "c:1")], fresh=True)
            chain.append([services.NewEvent("vouched", ("student", 1), data, "c:2")], fresh=True, canonical=True)
            chain.append([services.NewEvent("no.data", None, None, None)], canonical=True)
        assert services.verify().ok
        assert Event.objects.get(kind="vouched").data == Event.objects.get(kind="checked").data == data
        with pytest.raises(TypeError), transaction.atomic():
            services.Appender().append([services.NewEvent("bad", None, {"on": date(2026, 3, 2)})], canonical=True)
        assert not Event.objects.filter(kind="bad").exists()
