"""Every message the academy sends, in one place: which template, to whom, with what.

Each call writes outbox rows in the caller's transaction (apps.notifications); they are
sent after commit, once (the key makes a repeated call for the same event a no-op).
"""

from __future__ import annotations

from django.utils import timezone

from apps.core.normalise import display_phone
from apps.notifications.services import Contact, notify

from ..models import Guardian, Invoice, Payment, Session


def _contact(guardian: Guardian) -> Contact:
    return Contact(
        ref=f"guardian:{guardian.pk}",
        name=guardian.name,
        phone=guardian.phone or "",
        telegram_chat_id=guardian.telegram_chat_id,
        email=guardian.email,
    )


def _guardians(student):
    return Guardian.objects.filter(links__student=student, links__status="approved").distinct()


def _won(amount: int) -> str:
    return f"{amount:,}"


def attendance_marked(attendance, *, actor=None) -> None:
    """Arrival (present, late) or absence, to each approved guardian; urgent."""
    if attendance.status in ("present", "late"):
        template, when = "attendance_arrival", timezone.localtime(attendance.checked_in_at or timezone.now())
    elif attendance.status == "absent":
        template, when = "attendance_absence", None
    else:
        return
    session = attendance.session
    for guardian in _guardians(attendance.student):
        notify(
            template=template,
            to=_contact(guardian),
            variables={
                "student": attendance.student.name,
                "class": session.klass.name,
                "date": f"{session.date:%m/%d}",
                "time": f"{when:%H:%M}" if when else f"{session.starts_at:%H:%M}",
            },
            priority="urgent",
            key=f"attendance:{attendance.pk}:{attendance.status}:{guardian.pk}",
        )


def payment_requested(invoice: Invoice, *, actor=None) -> None:
    if invoice.total <= invoice.paid:
        return
    for guardian in invoice.family.guardians.all():
        notify(
            template="payment_request",
            to=_contact(guardian),
            variables={
                "name": guardian.name or invoice.family.name,
                "amount": _won(invoice.total - invoice.paid),
                "number": invoice.number,
                "due": f"{invoice.due_on:%Y-%m-%d}",
            },
            priority="normal",
            key=f"invoice:{invoice.pk}:request:{guardian.pk}",
        )


def payment_overdue(invoice: Invoice, *, days_late: int, actor=None) -> None:
    for guardian in invoice.family.guardians.all():
        notify(
            template="payment_overdue",
            to=_contact(guardian),
            variables={
                "name": guardian.name or invoice.family.name,
                "amount": _won(invoice.due),
                "number": invoice.number,
                "days": str(days_late),
            },
            priority="normal",
            key=f"invoice:{invoice.pk}:reminder:{invoice.reminders_sent}:{guardian.pk}",
        )


def receipt(payment: Payment, *, actor=None) -> None:
    for guardian in payment.family.guardians.all():
        notify(
            template="receipt",
            to=_contact(guardian),
            variables={
                "name": guardian.name or payment.family.name,
                "amount": _won(payment.amount),
                "method": str(payment.get_method_display()),
                "date": f"{timezone.localtime(payment.received_at):%Y-%m-%d %H:%M}",
            },
            priority="normal",
            key=f"payment:{payment.pk}:receipt:{guardian.pk}",
        )


def schedule_changed(session: Session, *, actor=None) -> None:
    students = {
        e.student for e in session.klass.enrollments.filter(status__in=["active", "paused"]).select_related("student")
    }
    change = "cancelled" if session.status == "cancelled" else "makeup"
    for student in students:
        for guardian in _guardians(student):
            notify(
                template="schedule_change",
                to=_contact(guardian),
                variables={
                    "student": student.name,
                    "class": session.klass.name,
                    "date": f"{session.date:%m/%d}",
                    "time": f"{session.starts_at:%H:%M}",
                    "change": change,
                },
                priority="urgent",
                key=f"session:{session.pk}:{change}:{student.pk}:{guardian.pk}",
            )


__all__ = ["attendance_marked", "display_phone", "payment_overdue", "payment_requested", "receipt", "schedule_changed"]
