"""What the zone roles' scopes mean for problems, submissions and progress
(apps.accounts.scoping; the roles are the zone's, apps.learning). The same rules filter the
API, the admin and the pages; a submission's socket events go to its student only.

- student `self`: their own submissions and progress.
- guest `public`: published problems.
"""

from __future__ import annotations

from django.db.models import Q

from apps.accounts.scoping import register_scope

from .models import Problem, Progress, Submission


@register_scope(Submission, "self")
def _own_submissions(user) -> Q:
    return Q(student=user)


@register_scope(Progress, "self")
def _own_progress(user) -> Q:
    return Q(student=user)


@register_scope(Problem, "public")
def _public_problems(user) -> Q:
    return Q(status=Problem.Status.PUBLISHED)
