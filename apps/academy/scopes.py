"""What each role's row scope means on academy models (apps.accounts.scoping):

- coach `assigned`: the classes they teach, and the students, sessions, attendance,
  feedback, videos and V-Index of those classes;
- guardian `own_children`: the children linked to them by an approved link;
  `own_family`: their family's invoices and payments;
- student `self`: their own classes, sessions, attendance, feedback and videos.
"""

from django.db.models import Q

from apps.accounts.scoping import register_groups, register_scope
from apps.notifications.models import Message

from .models import Attendance, Class, Feedback, Guardian, Invoice, Payment, Session, Student, Video, VIndexSnapshot

ONGOING = ("active", "paused")


def _coach_students(user) -> Q:
    return Q(enrollments__klass__coach__user=user, enrollments__status__in=ONGOING)


def _guardian_children(user) -> Q:
    return Q(guardian_links__guardian__user=user, guardian_links__status="approved")


register_scope(Student, "assigned")(_coach_students)
register_scope(Student, "own_children")(_guardian_children)
register_scope(Student, "self")(lambda user: Q(user=user))

register_scope(Guardian, "assigned")(
    lambda user: Q(
        links__student__enrollments__klass__coach__user=user, links__student__enrollments__status__in=ONGOING
    )
)

register_scope(Class, "assigned")(lambda user: Q(coach__user=user))
register_scope(Class, "own_children")(
    lambda user: Q(
        enrollments__student__guardian_links__guardian__user=user,
        enrollments__student__guardian_links__status="approved",
        enrollments__status__in=ONGOING,
    )
)
register_scope(Class, "self")(lambda user: Q(enrollments__student__user=user, enrollments__status__in=ONGOING))

register_scope(Session, "assigned")(lambda user: Q(klass__coach__user=user))
register_scope(Session, "own_children")(
    lambda user: Q(
        klass__enrollments__student__guardian_links__guardian__user=user,
        klass__enrollments__student__guardian_links__status="approved",
    )
)
register_scope(Session, "self")(lambda user: Q(klass__enrollments__student__user=user))

for model in (Attendance, Feedback):
    register_scope(model, "assigned")(lambda user: Q(session__klass__coach__user=user))
    register_scope(model, "own_children")(
        lambda user: Q(student__guardian_links__guardian__user=user, student__guardian_links__status="approved")
    )
    register_scope(model, "self")(lambda user: Q(student__user=user))

# The live board's groups (services.attendance.broadcast): what each scope above hears.
# A coach hears their classes whole; a guardian and a student hear single students.
register_groups(Attendance, "assigned")(
    lambda user: [f"class.{pk}" for pk in Class.objects.filter(coach__user=user).values_list("pk", flat=True)]
)
register_groups(Attendance, "own_children")(
    lambda user: [
        f"student.{pk}" for pk in Student.objects.filter(_guardian_children(user)).values_list("pk", flat=True)
    ]
)
register_groups(Attendance, "self")(
    lambda user: [f"student.{pk}" for pk in Student.objects.filter(user=user).values_list("pk", flat=True)]
)

register_scope(Video, "assigned")(
    lambda user: Q(student__enrollments__klass__coach__user=user, student__enrollments__status__in=ONGOING)
)
register_scope(Video, "own_children")(
    lambda user: Q(student__guardian_links__guardian__user=user, student__guardian_links__status="approved")
)
register_scope(Video, "self")(lambda user: Q(student__user=user))

register_scope(VIndexSnapshot, "assigned")(
    lambda user: Q(student__enrollments__klass__coach__user=user, student__enrollments__status__in=ONGOING)
)

register_scope(Invoice, "own_family")(lambda user: Q(family__guardians__user=user))
register_scope(Payment, "own_family")(lambda user: Q(family__guardians__user=user))


def _own_messages(user) -> Q:
    refs = [f"user:{user.pk}"]
    refs += [f"guardian:{pk}" for pk in Guardian.objects.filter(user=user).values_list("pk", flat=True)]
    refs += [f"student:{pk}" for pk in Student.objects.filter(user=user).values_list("pk", flat=True)]
    return Q(contact_ref__in=refs)


register_scope(Message, "own")(_own_messages)
