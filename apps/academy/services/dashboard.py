"""The staff dashboard: today's classes with live counts, what is unpaid, consultations to
follow up, and students the V-Index flags."""

from __future__ import annotations

from django.db.models import Count, F, Sum
from django.utils import timezone

from apps.accounts.permissions import has_permission
from apps.accounts.scoping import visible_to

from ..models import Class, Invoice
from . import attendance, billing, consultations, vindex


def summary(user) -> dict:
    today = timezone.localdate()
    classes = (
        visible_to(Class.objects.all(), user, "class:read")
        if has_permission(user, "class:read")
        else Class.objects.none()
    )
    data = {
        "date": today.isoformat(),
        "today": attendance.today_board(classes),
        "unpaid": {},
        "follow_ups": [],
        "alerts": [],
    }
    if has_permission(user, "invoice:read"):
        open_invoices = visible_to(Invoice.objects.all(), user, "invoice:read").filter(
            status__in=[Invoice.Status.ISSUED, Invoice.Status.PARTIALLY_PAID]
        )
        totals = open_invoices.aggregate(count=Count("id"), due=Sum(F("total") - F("paid")))
        overdue = billing.overdue_invoices(today).filter(pk__in=open_invoices.values("pk"))
        data["unpaid"] = {
            "count": totals["count"] or 0,
            "due": totals["due"] or 0,
            "overdue": [
                {
                    "invoice": i.pk,
                    "number": i.number,
                    "family": i.family.name,
                    "due": i.due,
                    "due_on": i.due_on.isoformat(),
                }
                for i in overdue.order_by("due_on")[:10]
            ],
        }
    if has_permission(user, "consultation:read"):
        data["follow_ups"] = [
            {
                "consultation": c.pk,
                "student_name": c.student_name,
                "status": c.status,
                "status_label": str(c.get_status_display()),
                "follow_up_on": c.follow_up_on.isoformat(),
            }
            for c in consultations.to_follow_up(today)[:10]
        ]
    if has_permission(user, "vindex:read"):
        alerts = vindex.alerts().filter(student__in=visible_to(vindex.Student.objects.all(), user, "student:read"))
        data["alerts"] = [
            {
                "student": a.student_id,
                "name": a.student.name,
                "value": a.value,
                "computed_at": a.computed_at.isoformat(),
            }
            for a in alerts[:10]
        ]
    return data
