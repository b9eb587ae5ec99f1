"""Enrollment (등록): a student in a class with a tuition plan; pause, transfer, withdrawal."""

from __future__ import annotations

from datetime import date, timedelta
from fractions import Fraction

from django.db import transaction
from django.db.models import Count, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.core.services import invalid, record

from ..models import AcademySettings, Attendance, Class, Enrollment, Invoice, InvoiceLine, Student
from . import billing, refunds
from .tuition import Line, billable_share, floor10, month_bounds, tuition_lines

ONGOING = (Enrollment.Status.ACTIVE, Enrollment.Status.PAUSED)


# The rules of a new enrollment, as pure functions of plain values: `enroll()` and `transfer()`
# apply them to one class, the roster importer (apps.roster.importing) to a whole file at once.
# Each returns why the enrollment is refused (a message for the person entering it), or None.


def closed(klass_name: str, *, is_active: bool) -> str | None:
    """A class that no longer runs takes no one."""
    return None if is_active else _("%(klass)s no longer runs.") % {"klass": klass_name}


def full(klass_name: str, *, capacity: int, taken: int) -> str | None:
    """A class takes no one beyond its capacity; `taken` counts its ongoing enrollments."""
    if taken < capacity:
        return None
    return _("%(klass)s is full (%(n)d of %(n)d places).") % {"klass": klass_name, "n": capacity}


def fee_for(plan: str, class_fee: int, agreed: int | None = None) -> int:
    """What a new enrollment pays a month: the class's fee unless another was agreed; a
    session pass pays per pass, not monthly."""
    if plan != Enrollment.Plan.MONTHLY:
        return 0
    return class_fee if agreed is None else agreed


def places_taken(class_ids) -> dict[int, int]:
    """Ongoing enrollments per class (the `taken` of `full`), one query for any number of classes."""
    rows = (
        Enrollment.objects.filter(klass_id__any=list(class_ids), status__in=ONGOING)
        .order_by()
        .values_list("klass_id")
        .annotate(n=Count("id"))
    )
    return dict(rows)


def _check_capacity(klass: Class) -> None:
    refusal = full(klass.name, capacity=klass.capacity, taken=places_taken([klass.pk]).get(klass.pk, 0))
    if refusal:
        raise invalid(klass=refusal)


@transaction.atomic
def enroll(
    student: Student,
    klass: Class,
    *,
    starts_on: date,
    plan: str = Enrollment.Plan.MONTHLY,
    monthly_fee: int | None = None,
    actor=None,
    consultation=None,
) -> Enrollment:
    """Enroll a student; a pass is invoiced at once, a monthly plan by the monthly run (or at
    once for the current month when that run has already happened)."""
    if plan not in Enrollment.Plan.values:
        raise invalid(plan=_("Unknown tuition plan %(plan)s.") % {"plan": plan})
    refusal = closed(klass.name, is_active=klass.is_active)
    if refusal:
        raise invalid(klass=refusal)
    if plan == Enrollment.Plan.PASS and not (klass.pass_sessions and klass.pass_price):
        raise invalid(plan=_("%(klass)s has no session pass.") % {"klass": klass.name})
    if Enrollment.objects.filter(student=student, klass=klass, status__in=ONGOING).exists():
        raise invalid(klass=_("%(student)s is already in %(klass)s.") % {"student": student.name, "klass": klass.name})
    Class.objects.select_for_update().get(pk=klass.pk)  # one enrollment at a time per class: capacity holds
    _check_capacity(klass)
    fee = klass.monthly_fee if monthly_fee is None else monthly_fee
    if fee < 0:
        raise invalid(monthly_fee=_("The fee cannot be negative."))
    enrollment = Enrollment.objects.create(
        student=student,
        klass=klass,
        starts_on=starts_on,
        plan=plan,
        monthly_fee=fee_for(plan, klass.monthly_fee, fee),
        pass_sessions=klass.pass_sessions if plan == Enrollment.Plan.PASS else None,
        pass_price=klass.pass_price if plan == Enrollment.Plan.PASS else None,
        consultation=consultation,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    if student.status != Student.Status.ACTIVE:
        student.status = Student.Status.ACTIVE
        student.save(update_fields=["status", "updated_at"])
    record(
        "enrollment.created",
        enrollment,
        actor,
        student=student.pk,
        klass=klass.name,
        plan=plan,
        starts_on=starts_on,
        fee=fee,
    )
    _bill_on_enrollment(enrollment, actor)
    return enrollment


def _bill_on_enrollment(enrollment: Enrollment, actor) -> None:
    family = enrollment.student.family
    if enrollment.plan == Enrollment.Plan.PASS:
        line = Line(
            "tuition",
            f"{enrollment.student.name} · {enrollment.klass.name} ({enrollment.pass_sessions})",
            enrollment.pass_price,
            enrollment,
        )
        billing.issue_invoice(family, [line], kind=Invoice.Kind.PASS, actor=actor)
        return
    today = timezone.localdate()
    period = enrollment.starts_on.replace(day=1)
    run_passed = today.day >= AcademySettings.current().invoice_day
    if period > today.replace(day=1) or (period == today.replace(day=1) and not run_passed):
        return  # the monthly run will bill it
    lines = tuition_lines([enrollment], period)
    if lines:
        billing.issue_invoice(family, lines, kind=Invoice.Kind.ENROLLMENT, period=period, actor=actor)


def _charged_for(enrollment: Enrollment, period: date | None) -> tuple[Invoice | None, int]:
    """The invoice that charged this enrollment for a month (or its pass) and the net amount."""
    lines = InvoiceLine.objects.filter(enrollment=enrollment).exclude(invoice__status=Invoice.Status.CANCELLED)
    if period is not None:
        lines = lines.filter(invoice__period=period)
    tuition = lines.filter(kind="tuition").select_related("invoice").order_by("-invoice__issued_on").first()
    if tuition is None:
        return None, 0
    net = lines.filter(invoice=tuition.invoice).exclude(kind="refund").aggregate(total=Sum("amount"))["total"] or 0
    already = -(lines.filter(invoice=tuition.invoice, kind="refund").aggregate(total=Sum("amount"))["total"] or 0)
    return tuition.invoice, max(net - already, 0)


def refund_decision(enrollment: Enrollment, on: date) -> tuple[Invoice | None, refunds.RefundDecision]:
    """What the refund rule gives back if the student leaves on `on`."""
    if enrollment.plan == Enrollment.Plan.PASS:
        invoice, fee = _charged_for(enrollment, None)
        used = Attendance.objects.filter(
            student=enrollment.student,
            session__klass=enrollment.klass,
            session__date__gte=enrollment.starts_on,
            session__date__lt=on,
            status__in=[Attendance.Status.PRESENT, Attendance.Status.LATE, Attendance.Status.LEFT_EARLY],
        ).count()
        return invoice, refunds.decide(fee, used, enrollment.pass_sessions or 0)
    period = on.replace(day=1)
    invoice, fee = _charged_for(enrollment, period)
    start, end = month_bounds(period)
    from .schedule import instruction_dates

    first = max(start, enrollment.starts_on)
    meetings = [day for day in instruction_dates(enrollment.klass, start, end) if day >= first]
    elapsed = sum(1 for day in meetings if day < on)
    return invoice, refunds.decide(fee, elapsed, len(meetings))


@transaction.atomic
def withdraw(
    enrollment: Enrollment, *, on: date, reason: str = "", pay_out_method: str | None = None, actor=None
) -> dict:
    """End an enrollment; the refund rule credits the invoice of the month (or the pass),
    and with `pay_out_method` the credit is paid back at once."""
    enrollment = Enrollment.objects.select_for_update().get(pk=enrollment.pk)
    if enrollment.status not in ONGOING:
        raise invalid(status=_("This enrollment has already ended."))
    if on < enrollment.starts_on - timedelta(days=365):
        raise invalid(on=_("That date is long before the enrollment started."))
    invoice, decision = refund_decision(enrollment, on)
    enrollment.status = Enrollment.Status.WITHDRAWN
    enrollment.ends_on = max(enrollment.starts_on, on - timedelta(days=1))
    enrollment.save(update_fields=["status", "ends_on", "updated_at"])
    credit = 0
    if invoice is not None and decision.amount:
        credit = billing.credit_invoice(
            invoice,
            decision.amount,
            description=_("Refund for %(student)s · %(klass)s (%(rule)s)")
            % {"student": enrollment.student.name, "klass": enrollment.klass.name, "rule": decision.rule},
            enrollment=enrollment,
            actor=actor,
        )
    refund = None
    if pay_out_method and credit:
        refund = billing.pay_out_refund(
            enrollment.student.family,
            credit,
            method=pay_out_method,
            reason=reason or "withdrawal",
            enrollment=enrollment,
            invoice=invoice,
            actor=actor,
        )
    record(
        "enrollment.withdrawn",
        enrollment,
        actor,
        on=on,
        reason=reason,
        rule=decision.rule,
        elapsed=decision.elapsed,
        total=decision.total,
        fraction=str(decision.fraction),
        refund=decision.amount,
        credited=credit,
    )
    student = enrollment.student
    if not student.enrollments.filter(status__in=ONGOING).exists():
        student.status = Student.Status.WITHDRAWN
        student.save(update_fields=["status", "updated_at"])
    return {"decision": decision, "credited": credit, "refund": refund}


@transaction.atomic
def pause(enrollment: Enrollment, *, from_date: date, until: date | None = None, actor=None) -> Enrollment:
    enrollment = Enrollment.objects.select_for_update().get(pk=enrollment.pk)
    if enrollment.status != Enrollment.Status.ACTIVE:
        raise invalid(status=_("Only an active enrollment can be paused."))
    if until and until < from_date:
        raise invalid(until=_("The pause must end after it starts."))
    enrollment.status, enrollment.paused_from, enrollment.paused_until = Enrollment.Status.PAUSED, from_date, until
    enrollment.save(update_fields=["status", "paused_from", "paused_until", "updated_at"])
    record("enrollment.paused", enrollment, actor, from_date=from_date, until=until)
    return enrollment


@transaction.atomic
def resume(enrollment: Enrollment, *, on: date, actor=None) -> Enrollment:
    enrollment = Enrollment.objects.select_for_update().get(pk=enrollment.pk)
    if enrollment.status != Enrollment.Status.PAUSED:
        raise invalid(status=_("Only a paused enrollment can be resumed."))
    enrollment.status = Enrollment.Status.ACTIVE
    enrollment.paused_until = max(enrollment.paused_from, on - timedelta(days=1))
    enrollment.save(update_fields=["status", "paused_until", "updated_at"])
    record("enrollment.resumed", enrollment, actor, on=on)
    return enrollment


@transaction.atomic
def transfer(enrollment: Enrollment, to_class: Class, *, on: date, actor=None) -> Enrollment:
    """Move a student to another class from a date: the old class's remaining meetings of the
    month are credited, the new class's are billed."""
    enrollment = Enrollment.objects.select_for_update().get(pk=enrollment.pk)
    if enrollment.status not in ONGOING:
        raise invalid(status=_("This enrollment has already ended."))
    if to_class.pk == enrollment.klass_id:
        raise invalid(to_class=_("The student is already in that class."))
    if on <= enrollment.starts_on:
        raise invalid(on=_("A transfer must come after the enrollment started."))
    Class.objects.select_for_update().get(pk=to_class.pk)
    _check_capacity(to_class)
    period = on.replace(day=1)
    invoice, charged = _charged_for(enrollment, period) if enrollment.plan == Enrollment.Plan.MONTHLY else (None, 0)
    if invoice is not None and charged:
        billed, _month_total = billable_share(enrollment, period)
        enrollment.ends_on = on - timedelta(days=1)
        left, _total = billable_share(enrollment, period)
        unused = billed - left
        if unused > 0 and billed:
            billing.credit_invoice(
                invoice,
                floor10(Fraction(charged * unused, billed)),
                description=_("Transfer from %(klass)s") % {"klass": enrollment.klass.name},
                kind="adjustment",
                enrollment=enrollment,
                actor=actor,
            )
    enrollment.status, enrollment.ends_on = Enrollment.Status.TRANSFERRED, on - timedelta(days=1)
    enrollment.save(update_fields=["status", "ends_on", "updated_at"])
    new = Enrollment.objects.create(
        student=enrollment.student,
        klass=to_class,
        starts_on=on,
        plan=enrollment.plan,
        monthly_fee=fee_for(enrollment.plan, to_class.monthly_fee),
        pass_sessions=enrollment.pass_sessions,
        pass_price=enrollment.pass_price,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    enrollment.transferred_to = new
    enrollment.save(update_fields=["transferred_to"])
    record("enrollment.transferred", enrollment, actor, to_class=to_class.name, new_enrollment=new.pk, on=on)
    if invoice is not None and charged:
        lines = tuition_lines([new], period)
        if lines:
            billing.issue_invoice(new.student.family, lines, kind=Invoice.Kind.ENROLLMENT, period=period, actor=actor)
    return new
