"""Row scopes of the audit log: `own` is what a user did, and what was done to their
account (failed sign-ins against it, roles given to them)."""

from django.db.models import Q

from apps.accounts.scoping import register_scope

from .models import AuditEntry


@register_scope(AuditEntry, "own")
def _own_entries(user) -> Q:
    return Q(actor_id=user.pk) | Q(resource_type="accounts.user", resource_id=str(user.pk))
