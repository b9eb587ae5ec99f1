"""What the zone roles' scopes mean for problems, submissions and progress
(apps.accounts.scoping; the roles and the people are apps.learning's). The same rules filter
the API, the admin and the pages; a submission's socket events go to its student only.

Submissions and progress point at the student's user; learning's `student_rule` gives every
scope the meaning it has for learning's own rows about a student, through the user's
student profile (`student__learning_student`):

- org_admin `own_org`: their organisations' students; problems of their organisations;
- teacher `assigned`: the active students of the classes naming them; problems they wrote,
  their schools' problems (every organisation they are staff of) and the zone's own
  published ones;
- parent `own_children`: the students of their approved links;
- student `self`: their own rows (also without a student profile); problems `own_school`: the
  published problems of the zone and of their own school, never another school's;
- guest `public`: published problems.

Editing a problem is narrower than reading it (`editable_filter`, checked by
services.update_problem for the API, the pages and the admin): a teacher changes the problems
they wrote and their schools' problems, as colleagues share a school's bank; not the zone's
own problems (read-only to them, 403) nor another school's (not even visible, 404). An
org_admin changes their organisations' problems, a zone_admin every one.

Live (`ws/problems/`): a socket joins one group per student whose submission events it may
hear, decided when it connects (`live_student_ids`): a student's own, and a parent's approved
children. Staff scopes (`assigned`, `own_org`, every row) follow their students over REST;
their sockets carry their own submissions only, never wider than their REST scope.
"""

from __future__ import annotations

from django.db.models import Q

from apps.accounts.permissions import has_permission, roles_granting
from apps.accounts.scoping import NOTHING, register_scope, scope_rule
from apps.learning.models import StaffMembership, Student
from apps.learning.scopes import admin_orgs, student_rule

from .models import Problem, Progress, Submission

THROUGH_USER = "student__learning_student"

for _model in (Submission, Progress):
    register_scope(_model, "self")(lambda user: Q(student=user))
    for _scope in ("own_org", "assigned", "own_children"):
        register_scope(_model, _scope)(lambda user, scope=_scope: student_rule(scope, user, THROUGH_USER))


@register_scope(Problem, "public")
def _public_problems(user) -> Q:
    return Q(status=Problem.Status.PUBLISHED)


@register_scope(Problem, "own_school")
def _students_problems(user) -> Q:
    schools = Student.objects.filter(user=user, organisation__isnull=False).values("organisation_id")
    return Q(status=Problem.Status.PUBLISHED) & (Q(organisation__isnull=True) | Q(organisation__in=schools))


@register_scope(Problem, "own_org")
def _organisation_problems(user) -> Q:
    return Q(organisation__in=admin_orgs(user))


def _teachers_own(user) -> Q:
    """What a teacher wrote, and the problems of every school they work for."""
    schools = StaffMembership.objects.filter(user=user).values("organisation_id")
    return Q(author=user) | Q(organisation__in=schools)


@register_scope(Problem, "assigned")
def _teachers_problems(user) -> Q:
    return _teachers_own(user) | Q(organisation__isnull=True, status=Problem.Status.PUBLISHED)


# Where editing is narrower than reading; other scopes edit what they read.
_EDIT_RULES = {"assigned": _teachers_own}


def editable_filter(user) -> Q | None:
    """The problems `user` may change: None for every one, NOTHING for none."""
    if not has_permission(user, "problem:update"):
        return NOTHING
    if user.is_superuser:
        return None
    combined: Q | None = None
    for role in roles_granting(user, "problem:update"):
        scope = role.scope_for("problem")
        if scope is None:
            return None
        rule = _EDIT_RULES.get(scope) or scope_rule(Problem, scope)
        combined = rule(user) if combined is None else combined | rule(user)
    return combined


def may_edit(problem: Problem, user) -> bool:
    condition = editable_filter(user)
    if condition is None:
        return True
    if condition is NOTHING:
        return False
    return Problem.objects.filter(condition, pk=problem.pk).exists()


# Scopes whose rows a submission socket carries live: the students' user ids they reach.
_LIVE = {
    "self": lambda user: [user.pk],
    "own_children": lambda user: list(
        Student.objects.filter(student_rule("own_children", user, "")).values_list("user_id", flat=True)
    ),
}


def live_student_ids(user) -> list[int]:
    """The students (user ids) whose submission events a socket of `user` hears: the user's
    own submissions, and the students their `self` / `own_children` scopes reach over REST
    (a parent's approved children). Nothing wider than the REST scope of another student."""
    if not getattr(user, "is_authenticated", False):
        return []
    ids = {user.pk}  # one's own submissions (a student; staff who answered a problem)
    for role in roles_granting(user, "submission:read"):
        rule = _LIVE.get(role.scope_for("submission") or "")
        if rule is not None:
            ids.update(rule(user))
    return sorted(ids)
