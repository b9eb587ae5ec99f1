"""What each zone role's row scope means (apps.accounts.scoping):

- org_admin `own_org`: the organisations they administer, and those organisations'
  classes, students, users, links, exams and attempts;
- teacher `assigned`: the classes naming them, those classes' active students, and rows
  about those students;
- parent `own_children`: the students of their *approved* links, and rows about them;
  `own` (links): the links they asked for;
- student `self`: their own rows.

`student_rule(scope, user, path)` is the rule of a scope for any model that points at a
student through `path` (apps.problems uses it for submissions and progress, the exams here
for attempts), so every model about a student is scoped the same way.
"""

from __future__ import annotations

from django.db.models import Q

from apps.accounts.models import User
from apps.accounts.scoping import register_scope

from .models import Attempt, Exam, Klass, LiveRoom, Organisation, ParentLink, Student


def admin_orgs(user):
    """The organisations `user` administers (a subquery)."""
    return Organisation.objects.filter(staff__user=user, staff__kind="admin").values("pk")


def _prefix(path: str) -> str:
    return f"{path}__" if path else ""


def student_rule(scope: str, user, path: str = "student") -> Q:
    """The rows whose student (at `path`; "" for Student itself) lies in `scope` for `user`."""
    p = _prefix(path)
    if scope == "own_org":
        return Q(**{f"{p}organisation__in": admin_orgs(user)})
    if scope == "assigned":
        return Q(**{f"{p}enrollments__klass__teachers": user, f"{p}enrollments__is_active": True})
    if scope == "own_children":
        return Q(**{f"{p}parent_links__parent": user, f"{p}parent_links__status": ParentLink.Status.APPROVED})
    if scope == "self":
        return Q(**{f"{p}user": user})
    raise ValueError(f"no student rule for scope {scope!r}")


for _scope in ("own_org", "assigned", "own_children", "self"):
    register_scope(Student, _scope)(lambda user, scope=_scope: student_rule(scope, user, ""))

register_scope(Organisation, "own_org")(lambda user: Q(pk__in=admin_orgs(user)))

register_scope(Klass, "own_org")(lambda user: Q(organisation__in=admin_orgs(user)))
register_scope(Klass, "assigned")(lambda user: Q(teachers=user))

register_scope(User, "own_org")(
    lambda user: (
        Q(pk=user.pk)
        | Q(learning_staff__organisation__in=admin_orgs(user))
        | Q(learning_student__organisation__in=admin_orgs(user))
    )
)

register_scope(ParentLink, "own_org")(lambda user: student_rule("own_org", user))
register_scope(ParentLink, "self")(lambda user: Q(student__user=user))
register_scope(ParentLink, "own")(lambda user: Q(parent=user))

register_scope(Exam, "own_org")(lambda user: Q(organisation__in=admin_orgs(user)))
register_scope(Exam, "public")(lambda user: Q(is_public=True, status=Exam.Status.PUBLISHED))

# Attempts are both the `attempt` and the `report` resource (a report is a finished attempt).
for _scope in ("own_org", "assigned", "own_children", "self"):
    register_scope(Attempt, _scope)(lambda user, scope=_scope: student_rule(scope, user))

register_scope(LiveRoom, "own_org")(lambda user: Q(klass__organisation__in=admin_orgs(user)))
register_scope(LiveRoom, "public")(lambda user: Q(pk__in=[]))  # guests see no rooms
