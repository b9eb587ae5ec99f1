"""학원법 시행령 별표4 at each boundary."""

from datetime import date
from fractions import Fraction

import pytest

from apps.academy.models import Invoice, Payment
from apps.academy.services import billing, enrollment
from apps.academy.services.refunds import decide, refund_fraction

from .conftest import student

pytestmark = pytest.mark.usefixtures("before_december")


@pytest.mark.parametrize(
    ("elapsed", "total", "fraction", "rule"),
    [
        (0, 12, Fraction(1), "before_start"),
        (1, 12, Fraction(2, 3), "before_one_third"),
        (3, 12, Fraction(2, 3), "before_one_third"),
        (4, 12, Fraction(1, 2), "before_half"),  # exactly one third elapsed: no longer "before"
        (5, 12, Fraction(1, 2), "before_half"),
        (6, 12, Fraction(0), "after_half"),  # exactly half elapsed: nothing back
        (12, 12, Fraction(0), "after_half"),
        (2, 6, Fraction(1, 2), "before_half"),
        (3, 6, Fraction(0), "after_half"),
    ],
)
def test_refund_fraction_at_every_boundary(elapsed, total, fraction, rule):
    assert refund_fraction(elapsed, total) == (fraction, rule)


def test_refund_is_rounded_down_to_the_won():
    assert decide(200_000, 4, 13).amount == 133_333


# December 2026, Mon/Wed/Fri: 2 4 7 9 11 14 16 18 21 23 25 28 30 — 13 meetings.
@pytest.mark.parametrize(
    ("on", "amount", "rule"),
    [
        (date(2026, 12, 1), 200_000, "before_start"),
        (date(2026, 12, 2), 200_000, "before_start"),  # leaving on the day of the first meeting, before it
        (date(2026, 12, 10), 133_333, "before_one_third"),  # 4 of 13 held
        (date(2026, 12, 12), 100_000, "before_half"),  # 5 of 13: past one third
        (date(2026, 12, 15), 100_000, "before_half"),  # 6 of 13
        (date(2026, 12, 17), 0, "after_half"),  # 7 of 13
    ],
)
def test_withdrawal_credits_the_months_invoice_by_the_rule(academy, on, amount, rule):
    with academy.t.context():
        kid = student()
        item = enrollment.enroll(kid, academy.klass, starts_on=date(2026, 12, 1))
        (invoice,) = billing.issue_monthly_invoices(date(2026, 12, 1))
        assert invoice.total == 200_000
        result = enrollment.withdraw(item, on=on, reason="이사")
        assert (result["decision"].amount, result["decision"].rule) == (amount, rule)
        invoice.refresh_from_db()
        assert invoice.total == 200_000 - amount
        assert result["credited"] == 0  # nothing was paid yet: the invoice simply shrinks


def test_a_paid_month_refunds_as_credit_and_pays_out(academy):
    with academy.t.context():
        kid = student()
        item = enrollment.enroll(kid, academy.klass, starts_on=date(2026, 12, 1))
        (invoice,) = billing.issue_monthly_invoices(date(2026, 12, 1))
        billing.record_payment(kid.family, 200_000, method=Payment.Method.TRANSFER, invoice=invoice)
        result = enrollment.withdraw(item, on=date(2026, 12, 10), pay_out_method=Payment.Method.TRANSFER)
        invoice.refresh_from_db()
        assert (invoice.total, invoice.paid, invoice.status) == (66_667, 66_667, Invoice.Status.PAID)
        assert result["credited"] == 133_333
        assert result["refund"].amount == 133_333
        assert billing.family_credit(kid.family) == 0
        assert billing.family_balance(kid.family) == 0


def test_a_pass_refunds_by_sessions_used(academy):
    from apps.academy.models import Session
    from apps.academy.services import attendance, schedule

    with academy.t.context():
        kid = student()
        item = enrollment.enroll(kid, academy.klass, starts_on=date(2026, 12, 1), plan="pass")
        assert Invoice.objects.get(kind="pass").total == 180_000
        schedule.generate_sessions(date(2026, 12, 1), date(2026, 12, 31), [academy.klass])
        for session in Session.objects.filter(klass=academy.klass).order_by("date")[:3]:
            attendance.mark(session, kid, "present")
        # 3 of 8 sessions used: past one third (2.67), before half (4)
        result = enrollment.withdraw(item, on=date(2026, 12, 31))
        assert result["decision"].rule == "before_half" and result["decision"].amount == 90_000
