"""Row scopes of the accounts models (see apps.accounts.scoping)."""

from django.db.models import Q

from .models import RoleAssignment, User
from .scoping import register_scope


@register_scope(RoleAssignment, "own")
def _own_assignments(user) -> Q:
    return Q(user_id=user.pk)


@register_scope(User, "own_org")
def _users_of_own_org(user) -> Q:
    # Zone organisations arrive with the learning app, which replaces this rule with one
    # that follows org membership. Until then an organisation administrator reaches only
    # their own account: closed, never open.
    return Q(pk=user.pk)
