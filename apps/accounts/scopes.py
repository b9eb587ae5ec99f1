"""Row scopes of the accounts models (see apps.accounts.scoping). The zone's `own_org` on
users (an organisation administrator's members) is registered by apps/learning/scopes.py."""

from django.db.models import Q

from .models import RoleAssignment
from .scoping import register_scope


@register_scope(RoleAssignment, "own")
def _own_assignments(user) -> Q:
    return Q(user_id=user.pk)
