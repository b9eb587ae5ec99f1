"""What the zone roles' scopes mean for problems, submissions and progress
(apps.accounts.scoping; the roles and the people are apps.learning's). The same rules filter
the API, the admin and the pages; a submission's socket events go to its student only.

Submissions and progress point at the student's user; learning's `student_rule` gives every
scope the meaning it has for learning's own rows about a student, through the user's
student profile (`student__learning_student`):

- org_admin `own_org`: their organisations' students; problems of their organisations;
- teacher `assigned`: the active students of the classes naming them;
- parent `own_children`: the students of their approved links;
- student `self`: their own rows (also without a student profile);
- guest `public`: published problems.
"""

from __future__ import annotations

from django.db.models import Q

from apps.accounts.scoping import register_scope
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


@register_scope(Problem, "own_org")
def _organisation_problems(user) -> Q:
    return Q(organisation__in=admin_orgs(user))
