"""What a month of tuition costs: proration for part-months and the academy's discounts.

Proration counts class meetings, like the refund rule: a student who starts mid-month pays
for the meetings from their start date out of the month's meetings, rounded down to 10 won.
Discounts apply to tuition lines: the sibling discount to every enrolled child of a family
after the first (the first by enrollment date), the multi-class discount to every class of
a student after their most expensive one. Both may apply to one line.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from fractions import Fraction

from ..models import AcademySettings, Enrollment
from .schedule import instruction_dates


def month_bounds(month: date) -> tuple[date, date]:
    start = month.replace(day=1)
    end = (start + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    return start, end


def floor10(amount: Fraction | int) -> int:
    return int(amount) // 10 * 10


@dataclass
class Line:
    kind: str
    description: str
    amount: int
    enrollment: Enrollment | None = None


def billable_share(enrollment: Enrollment, month: date) -> tuple[int, int]:
    """(meetings billed, meetings in the month) for an enrollment in a month."""
    start, end = month_bounds(month)
    meetings = instruction_dates(enrollment.klass, start, end)
    first = max(start, enrollment.starts_on)
    last = min(end, enrollment.ends_on) if enrollment.ends_on else end
    billed = [
        day
        for day in meetings
        if first <= day <= last
        and not (enrollment.paused_from and enrollment.paused_from <= day <= (enrollment.paused_until or end))
    ]
    return len(billed), len(meetings)


def tuition_lines(enrollments: list[Enrollment], month: date, settings: AcademySettings | None = None) -> list[Line]:
    """Invoice lines for one family's monthly-plan enrollments in a month."""
    settings = settings or AcademySettings.current()
    lines: list[Line] = []
    charged: list[tuple[Enrollment, int]] = []
    for enrollment in sorted(enrollments, key=lambda e: (e.starts_on, e.pk)):
        billed, total = billable_share(enrollment, month)
        if billed == 0 or enrollment.monthly_fee <= 0:
            continue
        label = f"{enrollment.student.name} · {enrollment.klass.name} ({month:%Y-%m})"
        lines.append(Line("tuition", label, enrollment.monthly_fee, enrollment))
        amount = enrollment.monthly_fee
        if billed < total:
            prorated = floor10(Fraction(enrollment.monthly_fee * billed, total))
            lines.append(Line("proration", f"{label}: {billed}/{total}", prorated - enrollment.monthly_fee, enrollment))
            amount = prorated
        charged.append((enrollment, amount))

    students_seen: list[int] = []
    for enrollment, _amount in charged:
        if enrollment.student_id not in students_seen:
            students_seen.append(enrollment.student_id)
    by_student: dict[int, list[tuple[Enrollment, int]]] = {}
    for enrollment, amount in charged:
        by_student.setdefault(enrollment.student_id, []).append((enrollment, amount))

    for position, student_id in enumerate(students_seen):
        classes = sorted(by_student[student_id], key=lambda pair: -pair[1])
        for index, (enrollment, amount) in enumerate(classes):
            if position > 0 and settings.sibling_discount_percent:
                cut = floor10(Fraction(amount * settings.sibling_discount_percent, 100))
                if cut:
                    lines.append(
                        Line(
                            "sibling_discount",
                            f"{enrollment.student.name}: {settings.sibling_discount_percent}%",
                            -cut,
                            enrollment,
                        )
                    )
            if index > 0 and settings.multi_class_discount_percent:
                cut = floor10(Fraction(amount * settings.multi_class_discount_percent, 100))
                if cut:
                    lines.append(
                        Line(
                            "multi_class_discount",
                            f"{enrollment.klass.name}: {settings.multi_class_discount_percent}%",
                            -cut,
                            enrollment,
                        )
                    )
    return lines
