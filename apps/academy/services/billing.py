"""Billing (청구) and payments received (수납), all in integer KRW.

- Invoices belong to a family. A monthly run issues one invoice per family and month
  (idempotent: a UNIQUE constraint and a check, so running it twice or on two workers
  issues nothing twice).
- Payments are allocated to the invoice they were made for, then to the family's other
  open invoices oldest first; what is left stays on the payment as credit, which the next
  invoice takes up. So a partial payment leaves the rest due and an overpayment carries
  over.
- A refund line lowers an invoice; money already paid beyond the new total becomes credit,
  and paying a refund out consumes credit.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.db import IntegrityError, transaction
from django.db.models import F, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.core.services import invalid, record, require_won
from apps.core.websocket import broadcast

from ..models import (
    AcademySettings,
    Allocation,
    Enrollment,
    Family,
    Invoice,
    InvoiceCounter,
    InvoiceLine,
    InvoiceRun,
    Payment,
    Refund,
)
from .tuition import Line, month_bounds, tuition_lines


def next_number(issued_on: date) -> str:
    """INV-2026-11-0001: sequential per month, unique per academy, taken under a row lock."""
    month = f"{issued_on:%Y-%m}"
    InvoiceCounter.objects.get_or_create(month=month)
    counter = InvoiceCounter.objects.select_for_update().get(month=month)
    counter.last += 1
    counter.save(update_fields=["last"])
    return f"INV-{month}-{counter.last:04d}"


def family_credit(family: Family) -> int:
    return Payment.objects.filter(family=family).aggregate(total=Sum("unallocated"))["total"] or 0


def family_balance(family: Family) -> int:
    """What the family owes (positive) or has in credit (negative)."""
    due = (
        Invoice.objects.filter(family=family)
        .exclude(status=Invoice.Status.CANCELLED)
        .aggregate(total=Sum(F("total") - F("paid")))["total"]
        or 0
    )
    return due - family_credit(family)


def family_balances(families) -> dict[int, int]:
    """family_balance of many families in two queries: {family id: balance}."""
    ids = [f.pk for f in families]
    due = dict(
        Invoice.objects.filter(family_id__in=ids)
        .exclude(status=Invoice.Status.CANCELLED)
        .values_list("family_id")
        .annotate(total=Sum(F("total") - F("paid")))
        .values_list("family_id", "total")
    )
    credit = dict(
        Payment.objects.filter(family_id__in=ids)
        .values_list("family_id")
        .annotate(total=Sum("unallocated"))
        .values_list("family_id", "total")
    )
    return {pk: (due.get(pk) or 0) - (credit.get(pk) or 0) for pk in ids}


def _refresh_status(invoice: Invoice) -> None:
    if invoice.status == Invoice.Status.CANCELLED:
        return
    if invoice.paid >= invoice.total:
        invoice.status = Invoice.Status.PAID
    elif invoice.paid > 0:
        invoice.status = Invoice.Status.PARTIALLY_PAID
    else:
        invoice.status = Invoice.Status.ISSUED


@transaction.atomic
def issue_invoice(
    family: Family,
    lines: list[Line],
    *,
    kind: str,
    period: date | None = None,
    issued_on: date | None = None,
    actor=None,
) -> Invoice:
    if not lines:
        raise invalid(lines=_("An invoice needs at least one line."))
    settings = AcademySettings.current()
    issued_on = issued_on or timezone.localdate()
    total = sum(line.amount for line in lines)
    if total < 0:
        raise invalid(lines=_("An invoice cannot total less than zero."))
    invoice = Invoice.objects.create(
        family=family,
        number=next_number(issued_on),
        kind=kind,
        period=period,
        issued_on=issued_on,
        due_on=issued_on + timedelta(days=settings.payment_due_days),
        total=total,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    InvoiceLine.objects.bulk_create(
        [
            InvoiceLine(
                invoice=invoice,
                kind=line.kind,
                description=line.description[:200],
                amount=line.amount,
                enrollment=line.enrollment,
            )
            for line in lines
        ]
    )
    record("invoice.issued", invoice, actor, number=invoice.number, total=total, family=family.pk, invoice_kind=kind)
    _apply_credit(invoice)
    from .notifying import payment_requested

    payment_requested(invoice, actor=actor)
    return invoice


def _apply_credit(invoice: Invoice) -> None:
    """Take up the family's credit for a new invoice."""
    for payment in (
        Payment.objects.select_for_update().filter(family=invoice.family, unallocated__gt=0).order_by("received_at")
    ):
        if invoice.paid >= invoice.total:
            break
        take = min(payment.unallocated, invoice.total - invoice.paid)
        Allocation.objects.create(payment=payment, invoice=invoice, amount=take)
        payment.unallocated -= take
        payment.save(update_fields=["unallocated", "updated_at"])
        invoice.paid += take
    _refresh_status(invoice)
    invoice.save(update_fields=["paid", "status", "updated_at"])


def _billed_months(enrollment_ids: list[int], period: date) -> set[int]:
    return set(
        InvoiceLine.objects.filter(enrollment_id__in=enrollment_ids, kind="tuition", invoice__period=period)
        .exclude(invoice__status=Invoice.Status.CANCELLED)
        .values_list("enrollment_id", flat=True)
    )


def monthly_enrollments(month: date):
    start, end = month_bounds(month)
    return (
        Enrollment.objects.filter(plan=Enrollment.Plan.MONTHLY, starts_on__lte=end)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=start))
        .exclude(status=Enrollment.Status.WITHDRAWN, ends_on__isnull=True)
        .select_related("student", "klass")
        .prefetch_related("klass__slots")
    )


def issue_monthly_invoices(month: date, *, actor="monthly-invoicing", progress=None) -> list[Invoice]:
    """One invoice per family for a month's monthly-plan tuition. Idempotent: families
    already invoiced for the month, and enrollments already billed for it, are skipped.
    `progress(done, total, issued)` is called after each family (see start_monthly_run)."""
    period = month.replace(day=1)
    settings = AcademySettings.current()
    by_family: dict[int, list[Enrollment]] = {}
    for enrollment in monthly_enrollments(period):
        by_family.setdefault(enrollment.student.family_id, []).append(enrollment)
    issued = []
    for done, (family_id, enrollments) in enumerate(by_family.items(), 1):
        invoice = _issue_monthly_for(family_id, enrollments, period, settings, actor)
        if invoice is not None:
            issued.append(invoice)
        if progress is not None:
            progress(done, len(by_family), len(issued))
    return issued


def _issue_monthly_for(family_id: int, enrollments, period: date, settings, actor) -> Invoice | None:
    with transaction.atomic():
        family = Family.objects.select_for_update().get(pk=family_id)
        if (
            Invoice.objects.filter(family=family, period=period, kind=Invoice.Kind.MONTHLY)
            .exclude(status=Invoice.Status.CANCELLED)
            .exists()
        ):
            return None
        already = _billed_months([e.pk for e in enrollments], period)
        lines = tuition_lines([e for e in enrollments if e.pk not in already], period, settings)
        if not lines:
            return None
        try:
            with transaction.atomic():
                return issue_invoice(family, lines, kind=Invoice.Kind.MONTHLY, period=period, actor=actor)
        except IntegrityError:
            return None  # another worker issued it a moment ago


# ---------------------------------------------------------------------------- the monthly run
# "이번 달 청구서 발행" from the admin or the API: 514 invoices took 18.9 s inside one HTTP
# request. The request now only records a run and queues it; a Celery task issues the
# invoices and pushes its progress to ws/academy/invoicing/<run>/ (the admin's progress bar).

RUN_GROUP = "invoicing.{run}"


def run_snapshot(run: InvoiceRun) -> dict:
    return {
        "run": run.pk,
        "period": run.period.isoformat(),
        "status": run.status,
        "status_label": str(run.get_status_display()),
        "done": run.families_done,
        "total": run.families_total,
        "issued": run.issued,
        "finished": run.finished,
        "error": run.error,
    }


def _run_broadcast(run: InvoiceRun, message: dict) -> None:
    broadcast(RUN_GROUP.format(run=run.pk), {"type": "invoicing.progress", **message})


def start_monthly_run(month: date, *, actor) -> InvoiceRun:
    """Queue the month's invoicing; while one runs for the month, return that one."""
    from ..tasks import issue_monthly_run

    period = month.replace(day=1)
    unfinished = [InvoiceRun.Status.QUEUED, InvoiceRun.Status.RUNNING]
    with transaction.atomic():
        running = InvoiceRun.objects.filter(period=period, status__in=unfinished).first()
        if running is not None:
            return running
        try:
            with transaction.atomic():
                run = InvoiceRun.objects.create(period=period, created_by=actor if getattr(actor, "pk", None) else None)
        except IntegrityError:  # pressed twice at once: the other request's run
            return InvoiceRun.objects.get(period=period, status__in=unfinished)
        record("invoicing.queued", run, actor, period=period.isoformat())
        issue_monthly_run.delay_on_commit(run.pk)
    return run


def perform_monthly_run(run_id: int) -> InvoiceRun:
    """The task's body: issue the run's invoices, reporting progress. Safe to repeat
    (issue_monthly_invoices skips families already invoiced for the month)."""
    import time

    run = InvoiceRun.objects.get(pk=run_id)
    if run.finished:
        return run
    run.status = InvoiceRun.Status.RUNNING
    run.save(update_fields=["status", "updated_at"])
    _run_broadcast(run, run_snapshot(run))
    last = [0.0]

    def progress(done: int, total: int, issued: int) -> None:
        now = time.monotonic()
        if now - last[0] >= 0.2 or done >= total:
            last[0] = now
            run.families_done, run.families_total, run.issued = done, total, issued
            run.save(update_fields=["families_done", "families_total", "issued", "updated_at"])
            _run_broadcast(run, {"run": run.pk, "status": run.status, "done": done, "total": total, "issued": issued})

    try:
        issued = issue_monthly_invoices(run.period, actor=run.created_by or "monthly-invoicing", progress=progress)
    except Exception as exc:
        run.status, run.error = InvoiceRun.Status.FAILED, f"{type(exc).__name__}: {exc}"[:2000]
        run.finished_at = timezone.now()
        run.save()
        _run_broadcast(run, run_snapshot(run))
        raise
    run.status, run.finished_at = InvoiceRun.Status.DONE, timezone.now()
    run.issued = len(issued)
    run.save()
    _run_broadcast(run, run_snapshot(run))
    return run


def invoicing_due_today(today: date | None = None) -> bool:
    today = today or timezone.localdate()
    return today.day == AcademySettings.current().invoice_day


@transaction.atomic
def record_payment(
    family: Family,
    amount: int,
    *,
    method: str,
    invoice: Invoice | None = None,
    reference: str = "",
    idempotency_key: str | None = None,
    received_at=None,
    actor=None,
) -> Payment:
    """Money received. With an idempotency key (a gateway's payment id), recording the same
    payment again returns the first one and changes nothing."""
    require_won(amount)
    if method not in Payment.Method.values:
        raise invalid(method=_("Unknown payment method %(method)s.") % {"method": method})
    if invoice is not None and invoice.family_id != family.pk:
        raise invalid(invoice=_("That invoice belongs to another family."))
    if invoice is not None and invoice.status == Invoice.Status.CANCELLED:
        raise invalid(invoice=_("That invoice was cancelled."))
    if idempotency_key:
        existing = Payment.objects.filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            return existing
    payment = Payment.objects.create(
        family=family,
        invoice=invoice,
        amount=amount,
        method=method,
        reference=reference[:120],
        idempotency_key=idempotency_key,
        received_at=received_at or timezone.now(),
        unallocated=amount,
        recorded_by=actor if getattr(actor, "pk", None) else None,
    )
    open_invoices = list(
        Invoice.objects.select_for_update()
        .filter(family=family, status__in=[Invoice.Status.ISSUED, Invoice.Status.PARTIALLY_PAID])
        .order_by("issued_on", "pk")
    )
    if invoice is not None:
        open_invoices.sort(key=lambda inv: inv.pk != invoice.pk)
    for target in open_invoices:
        if payment.unallocated == 0:
            break
        take = min(payment.unallocated, target.total - target.paid)
        if take <= 0:
            continue
        Allocation.objects.create(payment=payment, invoice=target, amount=take)
        payment.unallocated -= take
        target.paid += take
        _refresh_status(target)
        target.save(update_fields=["paid", "status", "updated_at"])
    payment.save(update_fields=["unallocated", "updated_at"])
    record(
        "payment.received",
        payment,
        actor,
        family=family.pk,
        amount=amount,
        method=method,
        invoice=invoice.number if invoice else None,
        credit_left=payment.unallocated,
    )
    from . import vindex
    from .notifying import receipt

    receipt(payment, actor=actor)
    vindex.schedule(family.students.values_list("pk", flat=True))
    return payment


@transaction.atomic
def credit_invoice(
    invoice: Invoice, amount: int, *, description: str, kind: str = "refund", enrollment=None, actor=None
) -> int:
    """Lower an invoice by `amount` (a refund line). Money already paid beyond the new total
    goes back to the paying payments as family credit. Returns the credit created."""
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    amount = min(amount, invoice.total)
    if amount <= 0:
        return 0
    InvoiceLine.objects.create(
        invoice=invoice, kind=kind, description=description[:200], amount=-amount, enrollment=enrollment
    )
    invoice.total -= amount
    excess = max(invoice.paid - invoice.total, 0)
    released = 0
    for allocation in invoice.allocations.select_related("payment").order_by("-pk"):
        if released == excess:
            break
        back = min(allocation.amount, excess - released)
        allocation.amount -= back
        payment = Payment.objects.select_for_update().get(pk=allocation.payment_id)
        payment.unallocated += back
        payment.save(update_fields=["unallocated", "updated_at"])
        if allocation.amount == 0:
            allocation.delete()
        else:
            allocation.save(update_fields=["amount"])
        released += back
    invoice.paid -= released
    _refresh_status(invoice)
    invoice.save(update_fields=["total", "paid", "status", "updated_at"])
    record("invoice.credited", invoice, actor, amount=amount, credit_created=released, description=description)
    return released


@transaction.atomic
def pay_out_refund(
    family: Family, amount: int, *, method: str, reason: str, enrollment=None, invoice=None, actor=None
) -> Refund:
    """Pay money back out of the family's credit."""
    if amount <= 0:
        raise invalid(amount=_("The amount must be positive."))
    credit = family_credit(family)
    if amount > credit:
        raise invalid(amount=_("The family has only %(credit)s won of credit.") % {"credit": f"{credit:,}"})
    left = amount
    for payment in Payment.objects.select_for_update().filter(family=family, unallocated__gt=0).order_by("received_at"):
        take = min(payment.unallocated, left)
        payment.unallocated -= take
        payment.save(update_fields=["unallocated", "updated_at"])
        left -= take
        if left == 0:
            break
    refund = Refund.objects.create(
        family=family,
        enrollment=enrollment,
        invoice=invoice,
        amount=amount,
        reason=reason[:200],
        method=method,
        refunded_at=timezone.now(),
        recorded_by=actor if getattr(actor, "pk", None) else None,
    )
    record("refund.paid", refund, actor, family=family.pk, amount=amount, method=method, reason=reason)
    return refund


@transaction.atomic
def cancel_invoice(invoice: Invoice, *, reason: str, actor=None) -> Invoice:
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if invoice.paid:
        raise invalid(status=_("A paid invoice cannot be cancelled; credit it instead."))
    invoice.status = Invoice.Status.CANCELLED
    invoice.save(update_fields=["status", "updated_at"])
    record("invoice.cancelled", invoice, actor, reason=reason)
    return invoice


def overdue_invoices(today: date | None = None):
    today = today or timezone.localdate()
    return Invoice.objects.filter(
        status__in=[Invoice.Status.ISSUED, Invoice.Status.PARTIALLY_PAID], due_on__lt=today
    ).select_related("family")


def send_overdue_reminders(today: date | None = None, *, actor="overdue-reminders") -> int:
    """Remind families on the configured days after the due date, each reminder once."""
    today = today or timezone.localdate()
    stages = sorted(AcademySettings.current().overdue_reminder_days)
    sent = 0
    for invoice in overdue_invoices(today):
        days_late = (today - invoice.due_on).days
        stage = sum(1 for day in stages if days_late >= day)
        if stage > invoice.reminders_sent:
            with transaction.atomic():
                locked = Invoice.objects.select_for_update().get(pk=invoice.pk)
                if stage <= locked.reminders_sent:
                    continue
                locked.reminders_sent = stage
                locked.save(update_fields=["reminders_sent", "updated_at"])
                record("invoice.reminded", locked, actor, days_late=days_late, stage=stage)
                from .notifying import payment_overdue

                payment_overdue(locked, days_late=days_late, actor=actor)
                sent += 1
    return sent
