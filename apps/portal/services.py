"""What the parent portal shows and does, for one signed-in guardian.

Every read is limited to what the guardian's permission allows (`visible_to`'s scope) and narrowed
to the guardian role's own scope (`own_children`, `own_family`): a parent who also holds a
staff role still sees only their own children and family here. A row outside that is
simply not there (404). Writes call the academy's, payments' and notifications' services.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db import connection, transaction
from django.db.models import F, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.academy.models import (
    Attendance,
    Class,
    Enrollment,
    Feedback,
    Guardian,
    GuardianLink,
    Invoice,
    Session,
    Student,
    Video,
)
from apps.academy.models import Payment as FamilyPayment
from apps.academy.services import people
from apps.accounts.permissions import has_permission, role_codes
from apps.accounts.scoping import NOTHING, scope_filter, scope_rule
from apps.core import ratelimit
from apps.core.services import invalid
from apps.notifications import services as notifications
from apps.notifications.models import Channel, Preference
from apps.payments import services as payments
from apps.payments.models import Payment as OnlinePayment

GUARDIAN_ROLE = "guardian"
ONGOING = ("active", "paused")
# The guardian role's scope for each resource the portal reads.
OWN_SCOPE = {"student": "own_children", "session": "own_children", "attendance": "own_children"}
OWN_SCOPE |= {"feedback": "own_children", "video": "own_children", "invoice": "own_family", "payment": "own_family"}
LINK_REQUESTS_PER_DAY = 5
PORTAL_CHANNELS = (Channel.ALIMTALK, Channel.TELEGRAM)


def is_guardian(user) -> bool:
    """Whether the portal is for this user: they hold the guardian role here."""
    return GUARDIAN_ROLE in role_codes(user) and has_permission(user, "student:read")


def portal_home(request) -> str | None:
    """Where a parent lands after signing in on an academy host without a `next`."""
    if not request.user.is_staff and is_guardian(request.user):
        return "/portal/"
    return None


def guardian_profile(user) -> Guardian | None:
    return Guardian.objects.filter(user=user).select_related("family").first() if user.is_authenticated else None


def own(queryset: QuerySet, user, perm: str) -> QuerySet:
    """The rows of `queryset` the user may `perm`, within the guardian role's own scope."""
    model = queryset.model
    mine = scope_rule(model, OWN_SCOPE[perm.split(":", 1)[0]])(user)
    queryset = _permitted(queryset, user, perm, mine)
    return queryset.filter(pk__in=model._default_manager.filter(mine).values("pk"))


def _permitted(queryset: QuerySet, user, perm: str, mine) -> QuerySet:
    # visible_to(), unrolled: for a guardian the permission's scope is the guardian role's own
    # rule (`mine`), and filtering twice by one subquery only cost its compilation on every
    # portal query; another scope (a guardian who also holds a staff role) still applies.
    allowed = scope_filter(queryset.model, user, perm)
    if allowed is NOTHING:
        return queryset.none()
    if allowed is not None and allowed != mine:
        queryset = queryset.filter(pk__in=queryset.model._default_manager.filter(allowed).values("pk"))
    return queryset


# Set on a Student read through the guardian role's own scope (children(), child()): the pk
# of the user it was read for.
_OWN_CHILD_OF = "_portal_own_child_of"


def _mark_own(students, user):
    for kid in students:
        setattr(kid, _OWN_CHILD_OF, user.pk)
    return students


def own_of_children(queryset: QuerySet, user, perm: str, students) -> QuerySet:
    """own(), for rows the caller limits to `students` (by the row's own student, or by a
    class one of them is enrolled in) when every one of them was read through the guardian's
    own scope (own_children(), child()): the guardian role's own-children rule of sessions
    and attendance holds for those rows by construction — an approved link of this user to
    the row's student, or to a student enrolled in the row's class —, so its subquery (~1 ms
    of compilation a query on the portal's pages) is left out; the permission's own scope
    still applies when it is another. Students read any other way take own()."""
    if not all(getattr(kid, _OWN_CHILD_OF, None) == user.pk for kid in students):
        return own(queryset, user, perm)
    resource = perm.split(":", 1)[0]
    if OWN_SCOPE[resource] != "own_children":
        raise ValueError(f"own_of_children: {perm} is not scoped by the guardian's children")
    return _permitted(queryset, user, perm, scope_rule(queryset.model, "own_children")(user))


def get_own(queryset: QuerySet, user, perm: str, **lookup):
    try:
        return own(queryset, user, perm).get(**lookup)
    except queryset.model.DoesNotExist:
        raise Http404 from None


# ---------------------------------------------------------------------------- children


def children(user) -> QuerySet:
    # birth_date is encrypted: ordering by it would order by ciphertext. Only the columns the
    # portal shows of a child (the others, encrypted ones among them, load on access): the
    # list is read on every page for its nav.
    return own(Student.objects.all(), user, "student:read").only(*_CHILD_FIELDS).order_by("name", "pk")


_CHILD_FIELDS = ("id", "name", "school", "grade")


def own_children(user) -> list[Student]:
    """children(), read: the rows marked as the guardian's own (own_of_children())."""
    return _mark_own(list(children(user)), user)


def child(user, pk: int) -> Student:
    return _mark_own([get_own(Student.objects.all(), user, "student:read", pk=pk)], user)[0]


def child_among(user, kids: list[Student], pk: int) -> Student:
    """child(), found among the user's own_children() already read for the page (the same
    scope, so the same row or the same 404) instead of a query of its own."""
    for kid in kids:
        if kid.pk == pk and getattr(kid, _OWN_CHILD_OF, None) == user.pk:
            return kid
    raise Http404


def week_of(day: date) -> tuple[date, date]:
    monday = day - timedelta(days=day.weekday())
    return monday, monday + timedelta(days=6)


@dataclass
class Meeting:
    session: Session
    attendance: Attendance | None

    @property
    def cancelled(self) -> bool:
        return self.session.status == Session.Status.CANCELLED


@dataclass
class Day:
    date: date
    is_today: bool
    meetings: list[Meeting] = field(default_factory=list)


def sessions_of(user, student: Student, start: date, end: date) -> QuerySet:
    """The child's class meetings between two dates, while they were enrolled."""
    # One filter() call, so that every condition is on the same enrollment row.
    enrolled = Session.objects.filter(
        Q(klass__enrollments__ends_on__isnull=True) | Q(klass__enrollments__ends_on__gte=F("date")),
        klass__enrollments__student=student,
        klass__enrollments__status__in=ONGOING,
        klass__enrollments__starts_on__lte=F("date"),
        date__range=(start, end),
    )
    return (
        own(Session.objects.all(), user, "session:read")
        .filter(pk__in=enrolled.values("pk"))
        .select_related("klass")
        .order_by("date", "starts_at")
    )


def meetings(user, student: Student, start: date, end: date) -> list[Meeting]:
    sessions = list(sessions_of(user, student, start, end))
    marks = {
        a.session_id: a
        for a in own(Attendance.objects.all(), user, "attendance:read").filter(
            student=student, session__in=[s.pk for s in sessions]
        )
    }
    return [Meeting(s, marks.get(s.pk)) for s in sessions]


def week(user, student: Student, today: date | None = None) -> list[Day]:
    """This week, Monday to Sunday, with the child's meetings and their attendance."""
    return weeks(user, [student], today)[student.pk]


def weeks(user, students: list[Student], today: date | None = None) -> dict[int, list[Day]]:
    """This week for each child, in three queries whatever the number of children: their
    enrollments, the week's meetings of those classes, the children's marks on them. A
    meeting is a child's while the child was enrolled in its class (as `sessions_of`)."""
    today = today or timezone.localdate()
    monday, sunday = week_of(today)
    result = {
        s.pk: [Day(monday + timedelta(days=i), monday + timedelta(days=i) == today) for i in range(7)] for s in students
    }
    if not students:
        return result
    if _reads_own_children_only(user, students, ((Session, "session:read"), (Attendance, "attendance:read"))):
        seen = set()
        for student_id, session, mark in _week_rows(students, monday, sunday):
            if (student_id, session.pk) not in seen:
                seen.add((student_id, session.pk))
                result[student_id][(session.date - monday).days].meetings.append(Meeting(session, mark))
        return result
    enrollments = list(
        Enrollment.objects.filter(student__in=students, status__in=ONGOING, starts_on__lte=sunday)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=monday))
        .values_list("student_id", "klass_id", "starts_on", "ends_on")
    )
    sessions = list(
        # The classes of the children's own enrollments (own_of_children()).
        own_of_children(Session.objects.all(), user, "session:read", students)
        .filter(klass_id__in={klass for _, klass, _, _ in enrollments}, date__range=(monday, sunday))
        .select_related("klass")
        .order_by("date", "starts_at", "pk")
    )
    marks = {
        (a.student_id, a.session_id): a
        for a in own_of_children(Attendance.objects.all(), user, "attendance:read", students).filter(
            student__in=students, session__in=[s.pk for s in sessions]
        )
    }
    seen = set()
    for session in sessions:
        for student_id, klass_id, starts_on, ends_on in enrollments:
            if (
                klass_id == session.klass_id
                and starts_on <= session.date
                and (ends_on is None or ends_on >= session.date)
                and (student_id, session.pk) not in seen
            ):
                seen.add((student_id, session.pk))
                meeting = Meeting(session, marks.get((student_id, session.pk)))
                result[student_id][(session.date - monday).days].meetings.append(meeting)
    return result


def _reads_own_children_only(user, students, reads) -> bool:
    """Whether rows of `reads` ((model, permission) pairs) limited to `students` need no other
    filter: every student was read through the guardian's own scope (own_children(), child())
    and each permission's scope is that own-children rule or every row — what
    own_of_children() would leave unfiltered. Otherwise the ORM path applies the scope."""
    if not all(getattr(kid, _OWN_CHILD_OF, None) == user.pk for kid in students):
        return False
    for model, perm in reads:
        allowed = scope_filter(model, user, perm)
        if allowed is not None and (allowed is NOTHING or allowed != scope_rule(model, "own_children")(user)):
            return False
    return True


_WEEK_SQL = """
SELECT e.student_id, s.id, s.klass_id, s.date, s.starts_at, s.ends_at, s.status, k.name, k.room,
       a.id, a.status, a.checked_in_at
FROM {session} s
JOIN {klass} k ON k.id = s.klass_id
JOIN {enrollment} e ON e.klass_id = s.klass_id
LEFT JOIN {attendance} a ON a.session_id = s.id AND a.student_id = e.student_id
WHERE e.student_id = ANY(%s) AND e.status = ANY(%s) AND e.starts_on <= s.date
  AND (e.ends_on IS NULL OR e.ends_on >= s.date) AND s.date BETWEEN %s AND %s
ORDER BY s.date, s.starts_at, s.id, e.student_id
"""
# Model.from_db() takes a subset of the fields in the model's own field order.
_SESSION_FIELDS = ("id", "klass_id", "date", "starts_at", "ends_at", "status")
_ATTENDANCE_FIELDS = ("id", "session_id", "student_id", "status", "checked_in_at")


def _week_rows(students: list[Student], monday: date, sunday: date):
    """(student pk, session with its class, the student's mark or None) of each meeting of the
    week in a class a student was enrolled in on its date (the conditions of `sessions_of`,
    on one enrollment row), in date and time order. One SQL statement for what the ORM path
    reads in three: the ORM's building and compiling of those queries was most of the
    home's CPU. Only for rows the caller showed need no scope filter
    (_reads_own_children_only); the instances carry the fields the portal shows, any other
    is loaded on access (deferred)."""
    sql = _WEEK_SQL.format(
        session=Session._meta.db_table,
        klass=Class._meta.db_table,
        enrollment=Enrollment._meta.db_table,
        attendance=Attendance._meta.db_table,
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [[s.pk for s in students], list(ONGOING), monday, sunday])
        rows = cursor.fetchall()
    db = connection.alias
    classes: dict[int, Class] = {}
    for student_id, *session_row, klass_name, room, mark_id, mark_status, checked_in_at in rows:
        session = Session.from_db(db, _SESSION_FIELDS, session_row)
        klass = classes.get(session.klass_id)
        if klass is None:
            klass = classes[session.klass_id] = Class.from_db(
                db, ("id", "name", "room"), (session.klass_id, klass_name, room)
            )
        session.klass = klass
        mark = None
        if mark_id is not None:
            mark = Attendance.from_db(
                db, _ATTENDANCE_FIELDS, (mark_id, session.pk, student_id, mark_status, checked_in_at)
            )
        yield student_id, session, mark


def attendance_history(user, student: Student, limit: int = 60) -> list[Attendance]:
    """The child's marks, newest class meeting first."""
    if _reads_own_children_only(user, [student], ((Attendance, "attendance:read"),)):
        return _history_rows(student, limit)
    return list(
        own_of_children(Attendance.objects.all(), user, "attendance:read", [student])
        .filter(student=student)
        .select_related("session", "session__klass")
        .order_by("-session__date", "-session__starts_at", "-pk")[:limit]
    )


_HISTORY_SQL = """
SELECT a.id, a.session_id, a.status, a.checked_in_at, s.klass_id, s.date, s.starts_at, k.name
FROM {attendance} a
JOIN {session} s ON s.id = a.session_id
JOIN {klass} k ON k.id = s.klass_id
WHERE a.student_id = %s
ORDER BY s.date DESC, s.starts_at DESC, a.id DESC
LIMIT %s
"""


def _history_rows(student: Student, limit: int) -> list[Attendance]:
    """attendance_history()'s ORM query in one SQL statement, for the reason of _week_rows()
    (and on the same condition); the marks carry what the page shows, any other field is
    loaded on access."""
    sql = _HISTORY_SQL.format(
        attendance=Attendance._meta.db_table, session=Session._meta.db_table, klass=Class._meta.db_table
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [student.pk, limit])
        rows = cursor.fetchall()
    db = connection.alias
    classes: dict[int, Class] = {}
    marks = []
    for mark_id, session_id, status, checked_in_at, klass_id, day, starts_at, klass_name in rows:
        klass = classes.get(klass_id)
        if klass is None:
            klass = classes[klass_id] = Class.from_db(db, ("id", "name"), (klass_id, klass_name))
        session = Session.from_db(db, ("id", "klass_id", "date", "starts_at"), (session_id, klass_id, day, starts_at))
        session.klass = klass
        mark = Attendance.from_db(
            db,
            ("id", "session_id", "student_id", "status", "checked_in_at"),
            (mark_id, session_id, student.pk, status, checked_in_at),
        )
        mark.session = session
        marks.append(mark)
    return marks


def attendance_summary(history: list[Attendance]) -> dict[str, int]:
    counts = dict.fromkeys(Attendance.Status.values, 0)
    for mark in history:
        counts[mark.status] += 1
    return counts


def feedback_for(user, student: Student, limit: int = 30) -> list[Feedback]:
    return list(
        own(Feedback.objects.all(), user, "feedback:read")
        .filter(student=student, visible_to_guardians=True)
        .select_related("session", "session__klass", "coach")
        .order_by("-session__date", "-created_at")[:limit]
    )


def videos_for(user, student: Student, limit: int = 30) -> list[Video]:
    return list(own(Video.objects.all(), user, "video:read").filter(student=student)[:limit])


# ---------------------------------------------------------------------------- money


def invoices(user) -> QuerySet:
    return (
        own(Invoice.objects.all(), user, "invoice:read")
        .exclude(status=Invoice.Status.CANCELLED)
        .order_by("-issued_on", "-number")
    )


def invoice(user, pk: int) -> Invoice:
    return get_own(
        Invoice.objects.select_related("family").prefetch_related(
            "lines", Prefetch("allocations", queryset=_allocations())
        ),
        user,
        "invoice:read",
        pk=pk,
    )


def _allocations():
    from apps.academy.models import Allocation

    return Allocation.objects.select_related("payment").order_by("payment__received_at")


def pending_online_payment(obj: Invoice) -> OnlinePayment | None:
    """An online payment of the invoice started and not yet confirmed by the gateway."""
    return (
        OnlinePayment.objects.filter(
            payable_kind="academy.invoice", payable_id=str(obj.pk), status=OnlinePayment.Status.PENDING
        )
        .exclude(checkout_url="")
        .order_by("-created_at")
        .first()
    )


def pay(user, pk: int, *, base_url: str) -> OnlinePayment:
    """Start paying what is due on one of the family's invoices: the same service the API's
    `POST /api/v1/invoices/{id}/pay/` calls. Another family's invoice is a 404."""
    obj = get_own(Invoice.objects.all(), user, "invoice:pay", pk=pk)
    return payments.start_payment(obj, base_url=base_url, actor=user)


def receipts(user) -> QuerySet:
    return (
        own(FamilyPayment.objects.all(), user, "payment:read")
        .prefetch_related(Prefetch("allocations", queryset=_invoice_allocations()))
        .order_by("-received_at")
    )


def _invoice_allocations():
    from apps.academy.models import Allocation

    return Allocation.objects.select_related("invoice").order_by("invoice__issued_on")


def receipt(user, pk: int) -> FamilyPayment:
    return get_own(
        FamilyPayment.objects.select_related("family", "invoice").prefetch_related(
            Prefetch("allocations", queryset=_invoice_allocations())
        ),
        user,
        "payment:read",
        pk=pk,
    )


# ---------------------------------------------------------------------------- preferences


def contact_ref(guardian: Guardian) -> str:
    # The same reference apps.academy.services.notifying sends to, so these choices apply.
    return f"guardian:{guardian.pk}"


def preference(guardian: Guardian) -> Preference:
    return Preference.objects.filter(contact_ref=contact_ref(guardian)).first() or Preference(
        contact_ref=contact_ref(guardian), channels=list(notifications.DEFAULT_CHANNELS)
    )


def save_preference(user, *, channels: list[str], marketing_opt_out: bool, muted: bool) -> Preference:
    guardian = guardian_profile(user)
    if guardian is None:
        raise Http404
    return notifications.set_preference(
        contact_ref(guardian),
        channels=channels,
        allowed=PORTAL_CHANNELS,
        marketing_opt_out=marketing_opt_out,
        muted=muted,
        actor=user,
    )


# ---------------------------------------------------------------------------- guardian links


def links(user) -> QuerySet:
    """The guardian's own links to children, newest first (pending ones wait for staff)."""
    return GuardianLink.objects.filter(guardian__user=user).select_related("student").order_by("-created_at")


_GUARDIAN_HOME_SQL = """
SELECT g.id, g.family_id, g.name, l.id, l.created_at, l.student_id, st.name
FROM {guardian} g
LEFT JOIN {link} l ON l.guardian_id = g.id AND l.status = %s
LEFT JOIN {student} st ON st.id = l.student_id
WHERE g.user_id = %s
ORDER BY l.created_at DESC, l.id DESC
"""


def guardian_with_pending(user) -> tuple[Guardian | None, list[GuardianLink]]:
    """guardian_profile() (its family not read) and its links waiting for staff (links()
    with status pending, newest first) in one SQL statement instead of two ORM queries, for
    the home, which shows the guardian's name and those requests; any other field is loaded
    on access."""
    sql = _GUARDIAN_HOME_SQL.format(
        guardian=Guardian._meta.db_table, link=GuardianLink._meta.db_table, student=Student._meta.db_table
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [GuardianLink.Status.PENDING.value, user.pk])
        rows = cursor.fetchall()
    if not rows:
        return None, []
    db = connection.alias
    guardian = Guardian.from_db(db, ("id", "family_id", "name", "user_id"), (*rows[0][:3], user.pk))
    pending = []
    for *_guardian, link_id, created_at, student_id, student_name in rows:
        if link_id is None:
            continue
        link = GuardianLink.from_db(
            db,
            ("id", "created_at", "guardian_id", "student_id", "status"),
            (link_id, created_at, guardian.pk, student_id, GuardianLink.Status.PENDING.value),
        )
        link.guardian = guardian
        link.student = Student.from_db(db, ("id", "name"), (student_id, student_name))
        pending.append(link)
    return guardian, pending


@transaction.atomic
def request_link(user, *, name: str, birth_date: date | None, relation: str) -> GuardianLink | None:
    """A parent asks to be linked to a child known to the academy, by the child's name and
    birth date. The link waits for staff approval (apps.academy.services.people); the
    child is not shown before. Returns None when no single child matches: nothing is
    written, and the parent is told the same as for a match, so the form does not tell
    who is enrolled."""
    guardian = guardian_profile(user)
    if guardian is None:
        raise invalid(name=_("Your login is not linked to a guardian profile yet. Please ask the academy."))
    name = (name or "").strip()
    if not name:
        raise invalid(name=_("Enter the child's name."))
    if birth_date is None:
        raise invalid(birth_date=_("Enter the child's birth date."))
    if relation not in GuardianLink.Relation.values:
        raise invalid(relation=_("Choose how you are related to the child."))
    # The platform's sliding window (atomic in Redis, per schema), not a read-then-write counter.
    if ratelimit.hit(ratelimit.key("portal_link_request", "user", user.pk), LINK_REQUESTS_PER_DAY, 24 * 60 * 60):
        raise invalid(name=_("Too many requests today. Please try again tomorrow or ask the academy."))
    matches = list(
        Student.objects.filter(person_index=people.person_index(name, birth_date)).exclude(
            status=Student.Status.WITHDRAWN
        )[:2]
    )
    if len(matches) != 1:
        return None
    return people.link_guardian(guardian, matches[0], relation=relation, approved=False, actor=user)
