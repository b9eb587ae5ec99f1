"""Importing a roster: plan, then apply.

**Plan** reads the sheet, groups its rows into people and resolves them against the
academy's existing profiles in a handful of queries (never one per row):

- a guardian is one person per phone number (the blind index of the normalised phone);
- a student is one person per name (and birth date) within the family of their guardian,
  or per own phone, or per name and birth date when neither is known; the same student on
  several rows becomes one student with the union of the rows' classes; siblings sharing a
  guardian phone stay separate students linked to one guardian;
- existing profiles are updated (only with values the file gives), never duplicated.

It produces a report: created, updated, unchanged, merged rows, rejected rows (sheet row
number and reason). **Apply** writes the plan in one transaction with bulk inserts and
updates, links every new profile to the universal identity, enrolls students in their
classes (by the enrollment service's own rule functions, `apps.academy.services.enrollment`:
one ongoing enrollment per class, `closed`, `full`, `fee_for`) and appends the ledger events
with `Appender`. Any rejected row means nothing is written unless `valid_only` is set; the
report's counts are what the valid rows write either way (a dry run promises exactly that).
Re-importing the same file finds everything in place and writes nothing.

Imported enrollments are not invoiced on the spot (the academy already billed these
students before moving to MegaCity); the next monthly run bills them.
"""

from __future__ import annotations

import gc
import hashlib
import time
from collections import defaultdict
from collections.abc import Callable
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.academy.models import Class, Enrollment, Family, Guardian, GuardianLink, Programme, Student
from apps.academy.services import enrollment as enrollment_rules
from apps.academy.services.people import person_index, phone_index, student_identity_keys
from apps.core.bulk import copy_insert, pipeline, reserve_ids, timestamp
from apps.core.foreign_keys import checked_in_bulk
from apps.core.normalise import school_grade
from apps.core.pii import encrypt_many
from apps.identity import services as identity
from apps.ledger.services import Appender, NewEvent

from .columns import find_header
from .parse import RosterRow, parse_rows
from .reader import Sheet, read

ONGOING = enrollment_rules.ONGOING
BATCH = 2000
QUERY_CHUNK = 50000  # values per lookup (one array parameter: apps.core.lookups)
MAX_CAPACITY = 32767  # Class.capacity is a PositiveSmallIntegerField
IMPORTED_PROGRAMME = "가져온 반"
# From this many new rows on, the keys between the roster tables are dropped and added back
# (apps.core.foreign_keys): faster by seconds, but the tables are locked until commit.
BULK_KEY_CHECKS_FROM = 20_000
ROSTER_TABLES = (Family, Guardian, Student, GuardianLink, Enrollment, Class)

Progress = Callable[[str, int, int], None]


@dataclass
class Options:
    dry_run: bool = False
    valid_only: bool = False
    create_classes: bool = False
    actor: object = None
    progress: Progress | None = None


@dataclass(slots=True)
class Problem:
    row: int
    field: str
    reason: str
    values: dict[str, object] = field(default_factory=dict)


@dataclass
class Report:
    source: str = ""
    file_hash: str = ""
    rows: int = 0
    students_created: int = 0
    students_updated: int = 0
    students_unchanged: int = 0
    guardians_created: int = 0
    guardians_updated: int = 0
    links_created: int = 0
    enrollments_created: int = 0
    identities_linked: int = 0
    classes_created: list[str] = field(default_factory=list)
    merged: list[tuple[int, int]] = field(default_factory=list)  # (row, the first row of the same student)
    rejected: list[Problem] = field(default_factory=list)
    actions: list[tuple[int, str, str, list[str]]] = field(default_factory=list)  # (first row, action, name, fields)
    headers: list[str] = field(default_factory=list)
    events: int = 0
    dry_run: bool = False
    applied: bool = False
    seconds: float = 0.0

    @property
    def rejected_rows(self) -> int:
        return len({problem.row for problem in self.rejected})

    @property
    def writes(self) -> int:
        return (
            self.students_created
            + self.students_updated
            + self.guardians_created
            + self.guardians_updated
            + self.links_created
            + self.enrollments_created
            + len(self.classes_created)
            + self.identities_linked
        )

    def summary(self) -> dict:
        return {
            "rows": self.rows,
            "students_created": self.students_created,
            "students_updated": self.students_updated,
            "students_unchanged": self.students_unchanged,
            "rows_merged": len(self.merged),
            "guardians_created": self.guardians_created,
            "guardians_updated": self.guardians_updated,
            "links_created": self.links_created,
            "enrollments_created": self.enrollments_created,
            "classes_created": list(self.classes_created),
            "identities_linked": self.identities_linked,
            "rows_rejected": self.rejected_rows,
            "events": self.events,
            "dry_run": self.dry_run,
            "applied": self.applied,
        }


class RosterImportError(ValueError):
    """The file cannot be imported at all (unreadable, no header row)."""


# ----------------------------------------------------------------------------- planning


@dataclass(slots=True)
class _Person:
    """A student as the file describes them, over one or more rows."""

    rows: list[int]
    name: str
    birth_date: date | None
    phone: str | None
    guardian_phone: str | None
    guardian_name: str | None = None
    school: str | None = None
    grade: str | None = None
    status: str | None = None
    memo: str | None = None
    classes: dict[str, list[int]] = field(default_factory=dict)  # class name → the rows that list it
    enrolled_on: date | None = None
    existing: dict | None = None
    student_id: int | None = None
    changes: list[str] = field(default_factory=list)
    key: str = ""  # person_index(name, birth_date), computed once
    enrollments: list[dict] = field(default_factory=list)  # new enrollments, for the student.created event


@dataclass(slots=True)
class _GuardianPlan:
    phone: str
    index: str
    name: str | None = None
    existing: dict | None = None
    guardian_id: int | None = None
    family_id: int | None = None
    rename: bool = False


def _chunks(values: list, size: int = QUERY_CHUNK):
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _merge(person: _Person, row: RosterRow, has_status: bool) -> None:
    person.rows.append(row.row_number)
    # Later rows fill in and override what earlier rows said about the same student.
    for name in ("school", "grade", "memo", "phone"):
        value = getattr(row, name)
        if value:
            setattr(person, name, value)
    if has_status:
        person.status = row.status
    if row.birth_date and not person.birth_date:
        person.birth_date = row.birth_date
    if row.guardian_name and not person.guardian_name:
        person.guardian_name = row.guardian_name
    if row.enrolled_on and (person.enrolled_on is None or row.enrolled_on < person.enrolled_on):
        person.enrolled_on = row.enrolled_on
    for klass in row.classes:
        person.classes.setdefault(klass, []).append(row.row_number)


def _new_person(row: RosterRow, has_status: bool) -> _Person:
    person = _Person(
        rows=[], name=row.name, birth_date=row.birth_date, phone=row.phone, guardian_phone=row.guardian_phone
    )
    _merge(person, row, has_status)
    return person


def _group(rows: list[RosterRow], has_status: bool, report: Report) -> list[_Person]:
    """Rows → people. Within one guardian, rows with the same name are one student unless
    their birth dates differ; a row without a birth date joins the only namesake with one."""
    people: list[_Person] = []
    by_guardian: dict[tuple[str, str], list[RosterRow]] = defaultdict(list)
    by_phone: dict[tuple[str, str], _Person] = {}
    by_birth: dict[tuple[str, date], _Person] = {}
    for row in rows:
        if row.guardian_phone:
            by_guardian[(row.guardian_phone, row.name)].append(row)
        elif row.phone:
            key = (row.phone, row.name)
            if key in by_phone:
                report.merged.append((row.row_number, by_phone[key].rows[0]))
                _merge(by_phone[key], row, has_status)
            else:
                by_phone[key] = _new_person(row, has_status)
                people.append(by_phone[key])
        else:
            key = (row.name, row.birth_date)
            if key in by_birth:
                report.merged.append((row.row_number, by_birth[key].rows[0]))
                _merge(by_birth[key], row, has_status)
            else:
                by_birth[key] = _new_person(row, has_status)
                people.append(by_birth[key])
    for group in by_guardian.values():
        dated: dict[date, _Person] = {}
        undated: list[RosterRow] = []
        for row in group:
            if row.birth_date is None:
                undated.append(row)
            elif row.birth_date in dated:
                report.merged.append((row.row_number, dated[row.birth_date].rows[0]))
                _merge(dated[row.birth_date], row, has_status)
            else:
                dated[row.birth_date] = _new_person(row, has_status)
        if undated and len(dated) > 1:
            for row in undated:
                row.errors.append(
                    (
                        "birth_date",
                        _("%(name)s appears with several birth dates for this guardian: give this row's birth date")
                        % {"name": row.name},
                    )
                )
            undated = []
        if undated:
            target = next(iter(dated.values()), None)
            for row in undated:
                if target is None:
                    target = _new_person(row, has_status)
                    dated[None] = target  # type: ignore[index]
                else:
                    report.merged.append((row.row_number, target.rows[0]))
                    _merge(target, row, has_status)
        people.extend(dated.values())
    return people


def _resolve(people: list[_Person], has_status: bool) -> dict[str, _GuardianPlan]:
    """Find existing guardians and students in bulk and decide what changes."""
    guardians: dict[str, _GuardianPlan] = {}
    for person in people:
        if person.guardian_phone:
            plan = guardians.get(person.guardian_phone)
            if plan is None:
                plan = guardians[person.guardian_phone] = _GuardianPlan(
                    person.guardian_phone, phone_index(person.guardian_phone)
                )
            if person.guardian_name and not plan.name:
                plan.name = person.guardian_name
    by_index = {plan.index: plan for plan in guardians.values()}
    for chunk in _chunks(list(by_index)):
        for row in (
            Guardian.objects.filter(phone_index__any=chunk)
            .order_by()
            .values("id", "family_id", "name", "phone_index", "identity_id")
        ):
            plan = by_index[row["phone_index"]]
            plan.existing, plan.guardian_id, plan.family_id = row, row["id"], row["family_id"]
            plan.rename = bool(plan.name) and not row["name"]

    fields = (
        "id",
        "family_id",
        "name",
        "person_index",
        "phone_index",
        "school",
        "grade",
        "status",
        "memo",
        "identity_id",
    )
    family_ids = [plan.family_id for plan in guardians.values() if plan.family_id]
    in_family: dict[tuple[int, str], dict] = {}
    by_name: dict[tuple[int, str], dict] = {}
    for chunk in _chunks(family_ids):
        for row in Student.objects.filter(family_id__any=chunk).order_by().values(*fields):
            in_family[(row["family_id"], row["person_index"])] = row
            by_name.setdefault((row["family_id"], row["name"]), row)
    phones = [phone_index(p.phone) for p in people if not p.guardian_phone and p.phone]
    by_own_phone: dict[tuple[str, str], dict] = {}
    for chunk in _chunks(phones):
        for row in Student.objects.filter(phone_index__any=chunk).order_by().values(*fields):
            by_own_phone.setdefault((row["phone_index"], row["name"]), row)
    loners = [person_index(p.name, p.birth_date) for p in people if not p.guardian_phone and not p.phone]
    by_person: dict[str, dict] = {}
    for chunk in _chunks(loners):
        for row in (
            Student.objects.filter(person_index__any=chunk, guardian_links__isnull=True).order_by().values(*fields)
        ):
            by_person.setdefault(row["person_index"], row)

    for person in people:
        key = person.key = person_index(person.name, person.birth_date)
        found = None
        if person.guardian_phone:
            family = guardians[person.guardian_phone].family_id
            if family is not None:
                found = in_family.get((family, key))
                if found is None and person.birth_date is None:
                    found = by_name.get((family, person.name))
                elif found is None:
                    found = in_family.get((family, person_index(person.name, None)))
        elif person.phone:
            found = by_own_phone.get((phone_index(person.phone), person.name))
        else:
            found = by_person.get(key)
        person.existing = found
        if found is None:
            continue
        person.student_id = found["id"]
        for name in ("school", "grade", "memo"):
            value = getattr(person, name)
            if value and found[name] != value and not (name == "grade" and school_grade(found[name]) == value):
                person.changes.append(name)  # a grade stored as 1학년 is the 1 of another file
        if has_status and person.status and found["status"] != person.status:
            person.changes.append("status")
        if person.birth_date and found["person_index"] != key:
            person.changes.append("birth_date")
        if person.phone and found["phone_index"] != phone_index(person.phone):
            person.changes.append("phone")
    return guardians


@dataclass
class Plan:
    report: Report
    people: list[_Person]
    guardians: dict[str, _GuardianPlan]
    classes: dict[str, dict]  # name → {"id", "name", "is_active", "capacity", "taken"}
    new_classes: dict[str, int]  # name → capacity to create with
    enrollments: list[tuple[_Person, str]]  # (person, class name) to create
    links: list[tuple[_Person, _GuardianPlan, bool]]  # (person, guardian, primary)
    has_status: bool


def _original_values(sheet: Sheet, headers: list[str], row_number: int) -> dict[str, object]:
    cells = sheet.rows[row_number - sheet.first_row_number]
    return {header: cells[i] if i < len(cells) else None for i, header in enumerate(headers) if header}


def plan(sheet: Sheet, *, mapping: dict | None = None, options: Options | None = None) -> Plan:
    """Everything the import would do, computed with a few queries and no writes.

    The counts are what the valid rows write — what a real import with `valid_only` does, and
    what one without it does once no row is rejected: a dry run promises exactly that."""
    options = options or Options()
    header = find_header(sheet.rows, mapping)
    headers = [str(cell) if cell not in (None, "") else "" for cell in sheet.rows[header.row_index]]
    report = Report(headers=headers, dry_run=options.dry_run)
    has_status = "status" in header.columns
    rows = list(parse_rows(sheet, header))
    report.rows = len(rows)
    valid = [row for row in rows if row.ok]
    people = _group(valid, has_status, report)  # may reject rows it cannot place (ambiguous namesakes)
    guardians = _resolve(people, has_status)
    classes = _classes(people)
    enrolled, linked, has_links = _existing_ties(people)
    enrollments, new_classes = _enrollments(people, classes, enrolled, valid, options)
    # A student whose every row was rejected is not imported at all.
    rejected_rows = {row.row_number for row in rows if not row.ok}
    people = [p for p in people if not all(number in rejected_rows for number in p.rows)]
    links = _links(people, guardians, linked, has_links)
    _count(report, sheet, rows, people, guardians, links, enrollments, new_classes, rejected_rows)
    return Plan(report, people, guardians, classes, new_classes, enrollments, links, has_status)


def _classes(people: list[_Person]) -> dict[str, dict]:
    """The existing classes the file names, with their places taken: two queries."""
    names = sorted({name for person in people for name in person.classes})
    classes = {
        row["name"]: row
        for chunk in _chunks(names)
        for row in Class.objects.filter(name__any=chunk).values("id", "name", "is_active", "capacity")
    }
    taken: dict[int, int] = {}
    for chunk in _chunks([row["id"] for row in classes.values()]):
        taken.update(enrollment_rules.places_taken(chunk))
    for row in classes.values():
        row["taken"] = taken.get(row["id"], 0)
    return classes


def _existing_ties(people: list[_Person]) -> tuple[set[tuple[int, int]], set[tuple[int, int]], set[int]]:
    """For the students that exist: their ongoing (student, class) enrollments, their
    (guardian, student) links, and which of them have any link at all."""
    enrolled: set[tuple[int, int]] = set()
    linked: set[tuple[int, int]] = set()
    has_links: set[int] = set()
    student_ids = [p.student_id for p in people if p.student_id]
    for chunk in _chunks(student_ids):
        enrolled.update(
            Enrollment.objects.filter(student_id__any=chunk, status__in=ONGOING)
            .order_by()
            .values_list("student_id", "klass_id")
        )
        for guardian_id, student_id in (
            GuardianLink.objects.filter(student_id__any=chunk).order_by().values_list("guardian_id", "student_id")
        ):
            linked.add((guardian_id, student_id))
            has_links.add(student_id)
    return enrolled, linked, has_links


def _enrollments(
    people: list[_Person],
    classes: dict[str, dict],
    enrolled: set[tuple[int, int]],
    valid: list[RosterRow],
    options: Options,
) -> tuple[list[tuple[_Person, str]], dict[str, int]]:
    """The enrollments to create, by the enrollment service's own rules
    (`apps.academy.services.enrollment.closed` and `full`), and the classes to create.

    A student is enrolled in each class their rows list, unless they are in it already or
    have left (퇴원). A class the academy does not have is an error unless classes may be
    created; one that no longer runs is an error. Places are then given row by row in the
    sheet's order, and only to rows that are imported: a row refused over any class (or over
    anything else) takes no place, so the rows after it find the places it would have
    taken. A row whose classes do not all have a place is refused as a whole."""
    rows_by_number = {row.row_number: row for row in valid}
    asked: dict[int, list[tuple[_Person, str]]] = defaultdict(list)  # row → (person, class) it asks for
    for person in people:
        status = person.status if person.status else (person.existing or {}).get("status", Student.Status.ACTIVE)
        for name, row_numbers in person.classes.items():
            klass = classes.get(name)
            if klass is None and not options.create_classes:
                refusal = _("unknown class %(klass)s (create it first, or import with classes created)") % {
                    "klass": name
                }
            elif klass is not None and person.student_id and (person.student_id, klass["id"]) in enrolled:
                continue
            elif status == Student.Status.WITHDRAWN:
                continue  # a student who left is not enrolled again; their past enrollments stay as they are
            elif klass is None:
                refusal = None  # a class to create
            else:
                refusal = enrollment_rules.closed(name, is_active=klass["is_active"])
            for number in row_numbers:
                if refusal:
                    rows_by_number[number].errors.append(("classes", refusal))
                else:
                    asked[number].append((person, name))

    chosen: list[tuple[_Person, str]] = []
    placed: set[tuple[int, str]] = set()  # (id(person), class): given by an earlier row of theirs
    new_classes: dict[str, int] = defaultdict(int)
    for number in sorted(asked):
        row = rows_by_number[number]
        if row.errors:
            continue
        wanted = [(person, name) for person, name in asked[number] if (id(person), name) not in placed]
        refusals = [
            refusal
            for _person, name in wanted
            if name in classes
            and (
                refusal := enrollment_rules.full(name, capacity=classes[name]["capacity"], taken=classes[name]["taken"])
            )
        ]
        if refusals:
            row.errors.extend(("classes", refusal) for refusal in refusals)
            continue
        for person, name in wanted:
            if name in classes:
                classes[name]["taken"] += 1
            else:
                new_classes[name] += 1
            placed.add((id(person), name))
            chosen.append((person, name))
    return chosen, dict(new_classes)


def _links(
    people: list[_Person], guardians: dict[str, _GuardianPlan], linked: set[tuple[int, int]], has_links: set[int]
) -> list[tuple[_Person, _GuardianPlan, bool]]:
    """A link from each student to their guardian unless there is one; primary for a student
    who had no guardian yet."""
    links = []
    for person in people:
        if not person.guardian_phone:
            continue
        guardian = guardians[person.guardian_phone]
        if person.student_id and guardian.guardian_id and (guardian.guardian_id, person.student_id) in linked:
            continue
        links.append((person, guardian, not (person.student_id and person.student_id in has_links)))
    return links


def _count(
    report: Report,
    sheet: Sheet,
    rows: list[RosterRow],
    people: list[_Person],
    guardians: dict[str, _GuardianPlan],
    links: list,
    enrollments: list,
    new_classes: dict[str, int],
    rejected_rows: set[int],
) -> None:
    """The report: every rejected row with its original cells, and the counts of the plan."""
    for row in rows:
        for name, reason in row.errors:
            report.rejected.append(
                Problem(row.row_number, name, reason, _original_values(sheet, report.headers, row.row_number))
            )
    report.rejected.sort(key=lambda problem: problem.row)
    used_guardians = {p.guardian_phone for p in people if p.guardian_phone}
    report.guardians_created = sum(1 for phone in used_guardians if guardians[phone].existing is None)
    report.guardians_updated = sum(1 for phone in used_guardians if guardians[phone].rename)
    for person in people:
        first = person.rows[0]
        if person.existing is None:
            report.students_created += 1
            report.actions.append((first, "created", person.name, []))
        elif person.changes:
            report.students_updated += 1
            report.actions.append((first, "updated", person.name, list(person.changes)))
        else:
            report.students_unchanged += 1
            report.actions.append((first, "unchanged", person.name, []))
    report.identities_linked = sum(
        1 for p in people if p.existing is not None and p.existing["identity_id"] is None
    ) + sum(
        1 for phone in used_guardians if guardians[phone].existing and guardians[phone].existing["identity_id"] is None
    )
    report.merged = [(row, first) for row, first in report.merged if row not in rejected_rows]
    report.links_created = len(links)
    report.enrollments_created = len(enrollments)
    report.classes_created = sorted(new_classes)


# ----------------------------------------------------------------------------- applying


def _lock() -> None:
    # One import at a time per academy: two concurrent imports of overlapping files would
    # otherwise both plan "create" for the same person.
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"{connection.schema_name}.roster"])


def _family_name(name: str) -> str:
    return _("%(name)s family") % {"name": name}


def _key(report: Report, kind: str, subject: object) -> str:
    return f"roster:{report.file_hash[:32]}:{kind}:{subject}"


def _apply(p: Plan, options: Options) -> None:
    """Write the plan, step by step. Everything that reads (identities, the ledger's head, ids
    drawn from the sequences, classes) comes first; then the new rows stream to PostgreSQL
    through `pipeline()`, so the server inserts one batch while Python builds the next."""
    w = _Writer(p, options)
    w.resolve_identities()
    w.draw_ids()
    w.link_existing_identities()
    w.update_guardians()
    w.update_students()
    w.create_classes()
    # The largest imports check the keys between the roster tables once per table, not per row.
    with checked_in_bulk(ROSTER_TABLES) if w.in_bulk else nullcontext(False), pipeline():
        # Table by table, each one COPY stream.
        w.copy_families()
        w.copy_guardians()
        w.copy_students()
        w.copy_identity_links()
        w.copy_guardian_links()
        w.copy_enrollments()
        w.append_new_events()
    w.append_summary()


class _Writer:
    """The steps of `_apply`, sharing what each step learns: the identities resolved, the ids
    drawn, and the events to append.

    Events about rows this import creates carry their new ids in their keys: no earlier event
    can hold those, so they are appended without a lookup (`fresh`), in slices so 100,000 rows
    never hold all their events at once. Events about rows that existed are appended at the
    end (`checked`), after one lookup of their keys (a re-import must not repeat them)."""

    def __init__(self, p: Plan, options: Options) -> None:
        self.p, self.report, self.actor = p, p.report, options.actor
        actor = options.actor
        self.actor_id = actor.pk if getattr(actor, "pk", None) and getattr(actor, "is_authenticated", False) else None
        self.progress = options.progress or (lambda stage, done, total: None)
        self.now = timezone.now()
        self.today = timezone.localdate()
        self.chain = Appender(actor=actor)
        self.fresh: list[NewEvent] = []
        self.checked: list[NewEvent] = []
        used = {person.guardian_phone for person in p.people if person.guardian_phone}
        self.guardians = [p.guardians[phone] for phone in used]
        self.new_guardians = [g for g in self.guardians if g.existing is None]
        self.people_new = [person for person in p.people if person.existing is None]
        self.lonely = [person for person in self.people_new if not person.guardian_phone]
        self.total = len(self.new_guardians) + len(p.people) + len(p.links) + len(p.enrollments)
        self.done = 0
        self.in_bulk = (
            len(self.new_guardians) + len(self.people_new) + len(p.links) + len(p.enrollments) >= BULK_KEY_CHECKS_FROM
        )

    def _advance(self, stage: str, count: int) -> None:
        self.done += count
        self.progress(stage, self.done, self.total)

    def _flush(self, force: bool = False) -> None:
        if self.fresh and (force or len(self.fresh) >= 20000):
            self.report.events += self.chain.append(self.fresh, fresh=True, canonical=True)
            self.fresh.clear()

    def resolve_identities(self) -> None:
        """The universal identity of every new profile and of existing ones that have none: a
        few statements per 20,000 people (`identity.resolve_many`), with the same keys the
        people services use one at a time."""
        self.guardians_to_resolve = [g for g in self.guardians if not (g.existing and g.existing["identity_id"])]
        self.students_to_resolve = [
            person for person in self.p.people if person.existing is None or person.existing["identity_id"] is None
        ]
        resolved = identity.resolve_many(
            [[identity.phone_key(g.phone)] for g in self.guardians_to_resolve]
            + [
                student_identity_keys(person.name, person.birth_date, person.phone, person.guardian_phone)
                for person in self.students_to_resolve
            ]
        )
        split = len(self.guardians_to_resolve)
        self.guardian_identity = dict(zip(map(id, self.guardians_to_resolve), resolved[:split], strict=True))
        self.student_identity = dict(zip(map(id, self.students_to_resolve), resolved[split:], strict=True))

    def draw_ids(self) -> None:
        """Every new row's id, drawn now so rows can point at each other before any is written:
        a family per new guardian (the household their children join) and per student
        without a guardian."""
        family_ids = iter(reserve_ids(Family, len(self.new_guardians) + len(self.lonely)))
        for g, gid in zip(self.new_guardians, reserve_ids(Guardian, len(self.new_guardians)), strict=True):
            g.guardian_id, g.family_id = gid, next(family_ids)
        self.lonely_family = {id(person): next(family_ids) for person in self.lonely}
        for person, sid in zip(self.people_new, reserve_ids(Student, len(self.people_new)), strict=True):
            person.student_id = sid
        self.link_ids = reserve_ids(GuardianLink, len(self.p.links))
        self.enrollment_ids = reserve_ids(Enrollment, len(self.p.enrollments))

    def link_existing_identities(self) -> None:
        """Profiles that existed are registered now; new ones by COPY in `copy_identity_links`."""
        identity.link_many(
            "academy.guardian",
            [(g.guardian_id, self.guardian_identity[id(g)]) for g in self.guardians_to_resolve if g.existing],
        )
        identity.link_many(
            "academy.student",
            [
                (who.student_id, self.student_identity[id(who)])
                for who in self.students_to_resolve
                if who.existing is not None
            ],
        )

    def update_guardians(self) -> None:
        """Existing guardians: a name where they had none, an identity where they had none."""
        updates = [g for g in self.guardians if g.existing and (g.rename or g.existing["identity_id"] is None)]
        if not updates:
            return
        objs = []
        for g in updates:
            obj = Guardian(pk=g.guardian_id, name=g.name if g.rename else g.existing["name"], updated_at=self.now)
            obj.identity_id = g.existing["identity_id"] or self.guardian_identity[id(g)]
            objs.append(obj)
            if g.rename:
                self.checked.append(
                    NewEvent(
                        "guardian.updated",
                        ("guardian", g.guardian_id),
                        {"fields": ["name"]},
                        _key(self.report, "guardian.updated", g.index),
                    )
                )
        Guardian.objects.bulk_update(objs, ["name", "identity_id", "updated_at"], batch_size=BATCH)

    def update_students(self) -> None:
        """Existing students: only what changed, in one bulk update per set of fields."""
        by_fields: dict[tuple[str, ...], list[Student]] = defaultdict(list)
        for person in self.p.people:
            if person.existing is None or not (person.changes or person.existing["identity_id"] is None):
                continue
            obj = Student(pk=person.student_id, updated_at=self.now)
            columns = ["updated_at"]
            if person.existing["identity_id"] is None:
                obj.identity_id = self.student_identity[id(person)]
                columns.append("identity_id")
            for name in person.changes:
                if name == "birth_date":
                    obj.birth_date, obj.person_index = person.birth_date, person_index(person.name, person.birth_date)
                    columns += ["birth_date", "person_index"]
                elif name == "phone":
                    obj.phone, obj.phone_index = person.phone, phone_index(person.phone)
                    columns += ["phone", "phone_index"]
                else:
                    setattr(obj, name, getattr(person, name))
                    columns.append(name)
            by_fields[tuple(columns)].append(obj)
            if person.changes:
                self.checked.append(
                    NewEvent(
                        "student.updated",
                        ("student", person.student_id),
                        {"fields": sorted(person.changes), "rows": person.rows},
                        _key(self.report, "student.updated", person.student_id),
                    )
                )
        for columns, objs in by_fields.items():
            Student.objects.bulk_update(objs, list(columns), batch_size=BATCH)

    def create_classes(self) -> None:
        """Classes the file names that do not exist yet (when asked to create them), sized for
        the students the file puts in them; then every class's fee."""
        p = self.p
        if p.new_classes:
            programme, _created = Programme.objects.get_or_create(name=IMPORTED_PROGRAMME)
            created = Class.objects.bulk_create(
                [
                    Class(programme=programme, name=name, capacity=min(MAX_CAPACITY, max(20, count)))
                    for name, count in sorted(p.new_classes.items())
                ]
            )
            for klass in created:
                p.classes[klass.name] = {
                    "id": klass.pk,
                    "name": klass.name,
                    "is_active": True,
                    "capacity": klass.capacity,
                }
                self.checked.append(
                    NewEvent(
                        "class.created",
                        klass,
                        {"name": klass.name, "source": "roster"},
                        _key(self.report, "class", klass.name),
                    )
                )
        self.fees = dict(
            Class.objects.filter(pk__in=[c["id"] for c in p.classes.values()]).values_list("id", "monthly_fee")
        )

    def copy_families(self) -> None:
        families = [{"id": g.family_id, "name": _family_name(g.name or g.phone[-4:])} for g in self.new_guardians]
        families += [{"id": self.lonely_family[id(who)], "name": _family_name(who.name)} for who in self.lonely]
        for batch in _chunks(families, BATCH):
            copy_insert(Family, batch)

    def copy_guardians(self) -> None:
        guardian_identity = self.guardian_identity
        for batch in _chunks(self.new_guardians, BATCH):
            copy_insert(
                Guardian,
                (
                    {
                        "id": g.guardian_id,
                        "family_id": g.family_id,
                        "name": g.name or "",
                        "phone": phone,
                        "phone_index": g.index,
                        "identity_id": guardian_identity[id(g)],
                        "email": "",
                        "telegram_chat_id": "",
                    }
                    for g, phone in zip(batch, encrypt_many([g.phone for g in batch]), strict=True)
                ),
            )
            self._advance("guardians", len(batch))

    def copy_students(self) -> None:
        guardians, lonely_family, student_identity = self.p.guardians, self.lonely_family, self.student_identity
        for batch in _chunks(self.people_new, BATCH):
            copy_insert(
                Student,
                (
                    {
                        "id": person.student_id,
                        "family_id": guardians[person.guardian_phone].family_id
                        if person.guardian_phone
                        else lonely_family[id(person)],
                        "name": person.name,
                        "birth_date": birth,
                        "phone": phone,
                        "phone_index": phone_index(person.phone),
                        "person_index": person.key,
                        "school": person.school or "",
                        "grade": person.grade or "",
                        "status": person.status or Student.Status.ACTIVE,
                        "memo": person.memo or "",
                        "identity_id": student_identity[id(person)],
                        "kiosk_pin_hash": "",
                    }
                    for person, phone, birth in zip(
                        batch,
                        encrypt_many([person.phone for person in batch]),
                        encrypt_many([who.birth_date.isoformat() if who.birth_date else None for who in batch]),
                        strict=True,
                    )
                ),
            )
            self._advance("students", len(batch))
        self._advance("students", len(self.p.people) - len(self.people_new))

    def copy_identity_links(self) -> None:
        identity.copy_new_links(
            "academy.guardian", [(g.guardian_id, self.guardian_identity[id(g)]) for g in self.new_guardians]
        )
        identity.copy_new_links(
            "academy.student", [(who.student_id, self.student_identity[id(who)]) for who in self.people_new]
        )

    def copy_guardian_links(self) -> None:
        """Guardian links, approved (staff imported them)."""
        links, link_ids, report = self.p.links, self.link_ids, self.report
        decided_at = timestamp(self.now)
        for start in range(0, len(links), BATCH):
            batch = links[start : start + BATCH]
            copy_insert(
                GuardianLink,
                (
                    {
                        "id": lid,
                        "guardian_id": g.guardian_id,
                        "student_id": person.student_id,
                        "relation": GuardianLink.Relation.OTHER,
                        "is_primary": primary,
                        "status": GuardianLink.Status.APPROVED,
                        "decided_at": decided_at,
                    }
                    for (person, g, primary), lid in zip(batch, link_ids[start : start + BATCH], strict=True)
                ),
            )
            self.checked.extend(
                NewEvent(
                    "guardian.linked",
                    ("student", person.student_id),
                    {"guardian": g.guardian_id, "status": GuardianLink.Status.APPROVED},
                    _key(report, "link", f"{g.guardian_id}.{person.student_id}"),
                )
                for person, g, _primary in batch
                if person.existing is not None
            )
            self._advance("links", len(batch))

    def copy_enrollments(self) -> None:
        """Monthly enrollments at the class's fee (`enrollment.fee_for`), from 등록일 or today;
        paused for a paused student. A new student's are recorded in their own event."""
        p, report, today, fees = self.p, self.report, self.today, self.fees
        monthly = Enrollment.Plan.MONTHLY
        for start in range(0, len(p.enrollments), BATCH):
            rows = []
            batch = p.enrollments[start : start + BATCH]
            for (person, name), eid in zip(batch, self.enrollment_ids[start : start + BATCH], strict=True):
                klass_id = p.classes[name]["id"]
                paused = (person.status or (person.existing or {}).get("status")) == Student.Status.PAUSED
                starts_on = person.enrolled_on or today
                fee = enrollment_rules.fee_for(monthly, fees.get(klass_id, 0))
                rows.append(
                    {
                        "id": eid,
                        "student_id": person.student_id,
                        "klass_id": klass_id,
                        "starts_on": starts_on,
                        "plan": monthly,
                        "monthly_fee": fee,
                        "status": Enrollment.Status.PAUSED if paused else Enrollment.Status.ACTIVE,
                        "paused_from": today if paused else None,
                        "created_by_id": self.actor_id,
                    }
                )
                enrolled = {"id": eid, "klass": name, "starts_on": starts_on.isoformat(), "fee": fee}
                if person.existing is None:
                    person.enrollments.append(enrolled)  # recorded in the student's own event
                else:
                    self.checked.append(
                        NewEvent(
                            "enrollment.created",
                            ("enrollment", eid),
                            {"student": person.student_id, "plan": monthly, "source": "roster", **enrolled},
                            _key(report, "enrollment", f"{person.student_id}.{klass_id}"),
                        )
                    )
            copy_insert(Enrollment, rows)
            self._advance("enrollments", len(batch))

    def append_new_events(self) -> None:
        """The events of new rows, last (one COPY stream too): one per guardian, and one per
        student with its guardian link and enrollments (an import of 100,000 rows would
        otherwise append three events per student)."""
        report, fresh, guardians = self.report, self.fresh, self.p.guardians
        for g in self.new_guardians:
            fresh.append(
                NewEvent("guardian.created", ("guardian", g.guardian_id), {}, _key(report, "guardian", g.guardian_id))
            )
            self._flush()
        for person in self.people_new:
            fresh.append(
                NewEvent(
                    "student.created",
                    ("student", person.student_id),
                    {
                        "name": person.name,
                        "rows": person.rows,
                        "guardian": guardians[person.guardian_phone].guardian_id if person.guardian_phone else None,
                        "enrollments": person.enrollments,
                        "source": "roster",
                    },
                    _key(report, "student", person.student_id),
                )
            )
            self._flush()
        self._flush(force=True)

    def append_summary(self) -> None:
        """`roster.imported` with the counts, then the events about rows that existed. The
        import is applied by now: this event commits with its rows or not at all."""
        report = self.report
        report.applied = True
        summary = {k: v for k, v in report.summary().items() if k != "events"}
        self.checked.append(
            NewEvent(
                "roster.imported",
                ("roster", report.file_hash[:32]),
                {"source": report.source, **summary},
                _key(report, "imported", "file"),
            )
        )
        report.events += self.chain.append(self.checked)


def file_hash(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def import_file(path: str | Path, *, mapping: dict | None = None, options: Options | None = None) -> Report:
    """Plan and (unless a dry run) apply an import of the file at `path`; returns the report.

    A real import runs in one transaction: with any rejected row and no `valid_only`,
    nothing is written and the report says why.
    """
    options = options or Options()
    started = time.perf_counter()
    with _gc_paused():
        return _import_file(path, mapping, options, started)


@contextmanager
def _gc_paused():
    """The cyclic garbage collector paused for the import: it allocates millions of objects
    that live until the end (rows, people, events), and each full collection would walk
    them all again — a sixth of a 100,000-row import. Cycles left behind are collected after."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _import_file(path: str | Path, mapping: dict | None, options: Options, started: float) -> Report:
    try:
        sheet = read(path)
    except ValueError as exc:
        raise RosterImportError(str(exc)) from exc
    digest = file_hash(path)
    if options.progress:
        options.progress("checking", 0, len(sheet.rows))
    with transaction.atomic():
        if not options.dry_run:
            _lock()
        try:
            result = plan(sheet, mapping=mapping, options=options)
        except ValueError as exc:
            raise RosterImportError(str(exc)) from exc
        del sheet
        report = result.report
        report.source, report.file_hash = Path(path).name, digest
        if options.progress:
            options.progress("checked", report.rows, report.rows)
        if not options.dry_run and (options.valid_only or not report.rejected) and report.writes:
            _apply(result, options)
    report.seconds = time.perf_counter() - started
    return report
