"""The roster back to .xlsx (openpyxl), with the headers the importer reads, so an export
re-imported changes nothing. One row per student: their primary guardian, their ongoing
classes, the earliest start among them, their status in Korean."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import openpyxl
from openpyxl.styles import Font

from apps.academy.models import Enrollment, Guardian, GuardianLink, Student
from apps.audit.actions import EXPORT
from apps.audit.services import record
from apps.core.normalise import display_phone

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADERS = [
    "이름",
    "생년월일",
    "학생 연락처",
    "학부모 이름",
    "학부모 연락처",
    "학교",
    "학년",
    "반",
    "등록일",
    "상태",
    "메모",
]
STATUS_LABELS = {"active": "재원", "paused": "휴원", "withdrawn": "퇴원"}
ONGOING = (Enrollment.Status.ACTIVE, Enrollment.Status.PAUSED)


def roster_rows(students=None):
    """The export's rows (header first), a few queries for the whole academy."""
    students = Student.objects.all() if students is None else students
    students = students.order_by("family_id", "name", "id").only(
        "id", "family_id", "name", "birth_date", "phone", "school", "grade", "status", "memo"
    )
    primary: dict[int, int] = {}
    for student_id, guardian_id in (
        GuardianLink.objects.filter(status=GuardianLink.Status.APPROVED)
        .order_by("student_id", "-is_primary", "id")
        .values_list("student_id", "guardian_id")
    ):
        primary.setdefault(student_id, guardian_id)
    guardians = {g.pk: g for g in Guardian.objects.filter(pk__in=set(primary.values())).only("id", "name", "phone")}
    classes: dict[int, list[str]] = defaultdict(list)
    starts: dict[int, object] = {}
    for student_id, name, starts_on in (
        Enrollment.objects.filter(status__in=ONGOING)
        .order_by("student_id", "klass__name")
        .values_list("student_id", "klass__name", "starts_on")
    ):
        classes[student_id].append(name)
        starts[student_id] = min(starts_on, starts.get(student_id, starts_on))
    yield HEADERS
    for student in students.iterator(chunk_size=5000):
        guardian = guardians.get(primary.get(student.pk))
        yield [
            student.name,
            student.birth_date,
            display_phone(student.phone) if student.phone else None,
            (guardian.name or None) if guardian else None,
            display_phone(guardian.phone) if guardian and guardian.phone else None,
            student.school or None,
            student.grade or None,
            ", ".join(classes.get(student.pk, [])) or None,
            starts.get(student.pk),
            STATUS_LABELS.get(student.status, student.status),
            student.memo or None,
        ]


def export_xlsx(target, *, actor=None, request=None, students=None) -> int:
    """Write the roster to `target` (a path or a binary file object); returns the number of
    students written and records `data.exported` in the audit log."""
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("원생")
    count = -1
    bold = Font(bold=True)
    for row in roster_rows(students):
        if count < 0:
            cells = []
            for header in row:
                cell = openpyxl.cell.WriteOnlyCell(sheet, value=header)
                cell.font = bold
                cells.append(cell)
            sheet.append(cells)
        else:
            sheet.append(row)
        count += 1
    workbook.save(str(target) if isinstance(target, (str, Path)) else target)
    record(
        EXPORT,
        actor=actor,
        request=request,
        resource=("student", ""),
        resource_repr="roster.xlsx",
        details={"what": "roster", "format": "xlsx", "rows": count},
    )
    return count
