from datetime import date

import pytest
from django.core.exceptions import ValidationError

from apps.academy.models import Enrollment, Invoice, InvoiceLine, InvoiceRun, Payment
from apps.academy.services import billing, enrollment
from apps.ledger.models import Event
from apps.ledger.services import verify

from .conftest import student

pytestmark = pytest.mark.usefixtures("before_december")

DEC = date(2026, 12, 1)


def test_monthly_invoicing_is_idempotent_and_numbers_are_unique(academy):
    with academy.t.context():
        a = student("가", date(2015, 1, 1), "010-1000-0001")
        b = student("나", date(2015, 1, 1), "010-1000-0002")
        enrollment.enroll(a, academy.klass, starts_on=DEC)
        enrollment.enroll(b, academy.other, starts_on=DEC)
        first = billing.issue_monthly_invoices(DEC)
        again = billing.issue_monthly_invoices(DEC)
        assert len(first) == 2 and again == []
        month = first[0].issued_on.strftime("%Y-%m")
        assert sorted(i.number for i in first) == [f"INV-{month}-0001", f"INV-{month}-0002"]
        assert Invoice.objects.count() == 2
        assert len({i.number for i in Invoice.objects.all()}) == 2


def test_proration_for_a_mid_month_start(academy):
    with academy.t.context():
        kid = student()
        enrollment.enroll(kid, academy.klass, starts_on=date(2026, 12, 14))
        (invoice,) = billing.issue_monthly_invoices(DEC)
        # 8 of December's 13 meetings from the 14th: 200,000 × 8/13 = 123,076.9 → 123,070
        assert invoice.total == 123_070
        assert set(invoice.lines.values_list("kind", flat=True)) == {"tuition", "proration"}


def test_sibling_and_multi_class_discounts(academy):
    with academy.t.context():
        older = student("형", date(2014, 1, 1))
        younger = student("동생", date(2016, 1, 1))
        enrollment.enroll(older, academy.klass, starts_on=DEC)
        enrollment.enroll(older, academy.other, starts_on=DEC)
        enrollment.enroll(younger, academy.klass, starts_on=DEC)
        (invoice,) = billing.issue_monthly_invoices(DEC)
        lines = {(line.kind, line.amount) for line in invoice.lines.all()}
        assert ("multi_class_discount", -6_000) in lines  # older's cheaper class, 5%
        assert ("sibling_discount", -20_000) in lines  # younger, 10% of 200,000
        assert invoice.total == 200_000 + 120_000 + 200_000 - 6_000 - 20_000


def test_partial_payments_and_a_balance_that_carries_over(academy):
    with academy.t.context():
        kid = student()
        enrollment.enroll(kid, academy.klass, starts_on=DEC)
        (december,) = billing.issue_monthly_invoices(DEC)
        billing.record_payment(kid.family, 50_000, method=Payment.Method.CASH, invoice=december)
        december.refresh_from_db()
        assert (december.paid, december.status) == (50_000, Invoice.Status.PARTIALLY_PAID)
        assert billing.family_balance(kid.family) == 150_000
        # overpaying leaves credit that January's invoice takes up
        billing.record_payment(kid.family, 250_000, method=Payment.Method.TRANSFER)
        december.refresh_from_db()
        assert december.status == Invoice.Status.PAID
        assert billing.family_balance(kid.family) == -100_000
        (january,) = billing.issue_monthly_invoices(date(2027, 1, 1))
        assert (january.paid, january.status) == (100_000, Invoice.Status.PARTIALLY_PAID)
        assert billing.family_balance(kid.family) == january.total - 100_000


def test_payment_idempotency_and_bad_amounts(academy):
    with academy.t.context():
        kid = student()
        first = billing.record_payment(kid.family, 10_000, method="gateway", idempotency_key="toss:pay_1")
        again = billing.record_payment(kid.family, 10_000, method="gateway", idempotency_key="toss:pay_1")
        assert first.pk == again.pk and Payment.objects.count() == 1
        for amount in (0, -5, 10.5, True):
            with pytest.raises(ValidationError) as info:
                billing.record_payment(kid.family, amount, method="cash")
            assert "amount" in info.value.message_dict
        assert Payment.objects.count() == 1


def test_capacity_and_double_enrollment_are_refused(academy):
    with academy.t.context():
        kids = [student(f"학생{i}", date(2015, 1, i + 1), f"010-2000-000{i}") for i in range(4)]
        for kid in kids[:3]:
            enrollment.enroll(kid, academy.klass, starts_on=DEC)
        with pytest.raises(ValidationError) as info:
            enrollment.enroll(kids[3], academy.klass, starts_on=DEC)
        assert "klass" in info.value.message_dict
        with pytest.raises(ValidationError):
            enrollment.enroll(kids[0], academy.klass, starts_on=DEC)
        assert Enrollment.objects.count() == 3


def test_transfer_credits_the_old_class_and_bills_the_new(academy):
    with academy.t.context():
        kid = student()
        old = enrollment.enroll(kid, academy.klass, starts_on=DEC)
        (invoice,) = billing.issue_monthly_invoices(DEC)
        new = enrollment.transfer(old, academy.other, on=date(2026, 12, 14))
        old.refresh_from_db()
        assert old.status == Enrollment.Status.TRANSFERRED and old.transferred_to == new
        invoice.refresh_from_db()
        # the old class's 8 unused meetings of 13 are credited: 200,000 × 8/13 → 123,070
        assert invoice.total == 200_000 - 123_070
        new_invoice = Invoice.objects.exclude(pk=invoice.pk).get()
        # the new class (Tue/Thu) meets 6 times of December's 10 from the 14th: 120,000 × 6/10
        assert new_invoice.total == 72_000


def test_pause_leaves_the_paused_meetings_unbilled(academy):
    with academy.t.context():
        kid = student()
        item = enrollment.enroll(kid, academy.klass, starts_on=date(2026, 11, 30))
        enrollment.pause(item, from_date=date(2026, 12, 1), until=date(2026, 12, 13))
        (invoice,) = billing.issue_monthly_invoices(DEC)
        assert invoice.total == 123_070  # billed from the 14th, as for a mid-month start


def test_every_step_is_in_the_ledger(academy):
    with academy.t.context():
        kid = student()
        item = enrollment.enroll(kid, academy.klass, starts_on=DEC)
        (invoice,) = billing.issue_monthly_invoices(DEC)
        billing.record_payment(kid.family, 200_000, method="cash", invoice=invoice)
        enrollment.withdraw(item, on=date(2026, 12, 20))
        kinds = set(Event.objects.values_list("kind", flat=True))
        assert {
            "student.created",
            "guardian.created",
            "enrollment.created",
            "invoice.issued",
            "payment.received",
            "enrollment.withdrawn",
        } <= kinds
        assert verify().ok
        assert InvoiceLine.objects.filter(kind="refund").count() == 0  # after half: nothing back


def test_overdue_reminders_go_once_per_stage(academy):
    from apps.notifications.models import Message

    with academy.t.context():
        kid = student()
        enrollment.enroll(kid, academy.klass, starts_on=DEC)
        (invoice,) = billing.issue_monthly_invoices(DEC)
        due = invoice.due_on
        assert billing.send_overdue_reminders(due) == 0
        assert billing.send_overdue_reminders(date.fromordinal(due.toordinal() + 3)) == 1
        assert billing.send_overdue_reminders(date.fromordinal(due.toordinal() + 4)) == 0
        assert billing.send_overdue_reminders(date.fromordinal(due.toordinal() + 8)) == 1
        assert Message.objects.filter(template__code="payment_overdue").count() == 2


def test_the_api_queues_the_month_and_issues_nothing_in_the_request(academy, member):
    """POST /api/v1/invoices/issue_monthly/ answers 202 with the run it queued; the invoices
    are the worker's (issue 12, defect 10)."""
    import time_machine

    _user, desk = member("academy", "staff")
    with academy.t.context():
        enrollment.enroll(student(), academy.other, starts_on=DEC)
    with time_machine.travel("2026-12-01T09:00:00+09:00"):
        response = desk.post("/api/v1/invoices/issue_monthly/")
        with academy.t.context():
            assert not Invoice.objects.exists(), "the request issued the invoices itself"
        assert response.status_code == 202, response.content[:300]
        assert response.json()["status"] == "queued" and response.json()["period"] == "2026-12-01"
        again = desk.post("/api/v1/invoices/issue_monthly/")
    assert again.json()["id"] == response.json()["id"]  # pressed twice: the same run


def test_the_desk_issues_this_month_s_invoices_from_the_admin(academy):
    """The button on the invoice list (README: from a spreadsheet to a paying parent, step 4)."""
    import time_machine

    from tests.utils import browser_login, grant, make_user

    with academy.t.context():
        kid = student()
        enrollment.enroll(kid, academy.other, starts_on=DEC)  # December: billed by December's run
        grant(make_user("desk"), "staff")
        assert not Invoice.objects.exists()
    client = academy.t.client()
    browser_login(client, "desk")
    page = client.get("/admin/academy/invoice/")
    assert page.status_code == 200 and b'action="/admin/academy/invoice/issue-monthly/"' in page.content
    with time_machine.travel("2026-12-01T09:00:00+09:00"):
        # The request queues the run (a Celery task after commit) and shows its progress;
        # it issues nothing itself (issue 12, defect 10: 514 invoices took 18.9 s in it).
        queued = client.post("/admin/academy/invoice/issue-monthly/")
        with academy.t.context():
            assert not Invoice.objects.exists(), "the request issued the invoices itself"
        assert queued.status_code == 302 and "/admin/academy/invoice/issue-monthly/" in queued.url
        page = client.get(queued.url)
        assert page.status_code == 200 and b"/ws/academy/invoicing/" in page.content
        again = client.post("/admin/academy/invoice/issue-monthly/")  # pressed twice: the same run
        assert again.url == queued.url
        with academy.t.context():
            assert not Invoice.objects.exists()
            (run,) = InvoiceRun.objects.all()
            assert run.status == "queued" and run.period == DEC
            billing.perform_monthly_run(run.pk)  # what the task does
            billing.perform_monthly_run(run.pk)  # a redelivered task: nothing more
        done = client.get(queued.url)
        assert b"1 / 1" in done.content and b"/ws/academy/invoicing/" not in done.content
    with academy.t.context():
        (invoice,) = Invoice.objects.filter(family=kid.family)
        assert invoice.period == DEC and invoice.kind == Invoice.Kind.MONTHLY and invoice.total > 0
        assert InvoiceRun.objects.get().issued == 1
