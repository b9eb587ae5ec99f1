"""Role assignment: the only code that creates or removes RoleAssignment rows. The admin,
the API and commands call these; each change is recorded in the audit log in the same
transaction.

Nobody can hand out more than they hold: a grantor needs `role:assign` and every
permission the role grants, with a scope at least as wide (a manager can make coaches and
other managers, not owners). Superusers and `actor=None` (the system: commands, demo
data) may assign anything.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from apps.audit import actions
from apps.audit.services import record

from .models import RoleAssignment, User
from .permissions import (
    AccessDenied,
    forget_cached_roles,
    has_permission,
    mfa_missing,
    require_permission,
    roles_granting,
    user_roles,
)
from .roles import Role, expand, split
from .tenant_type import current_roles, current_tenant_type


def _role(code: str) -> Role:
    role = current_roles().get(code)
    if role is None:
        raise ValidationError(
            {
                "role": _("%(role)r is not a role here; choose one of: %(roles)s.")
                % {"role": code, "roles": ", ".join(current_roles())}
            }
        )
    return role


def covers(actor, role: Role) -> bool:
    """Whether `actor` holds every permission `role` grants, as widely scoped."""
    if actor.is_superuser and not mfa_missing(actor):
        return True
    for perm in expand(role.permissions, current_tenant_type()):
        granting = roles_granting(actor, perm)
        if not granting:
            return False
        resource = split(perm)[0]
        actor_scopes = {r.scope_for(resource) for r in granting}
        if None in actor_scopes:
            continue
        if role.scope_for(resource) not in actor_scopes:
            return False
    return True


def can_assign(actor, role: Role) -> bool:
    if actor is None:
        return True
    if actor.is_superuser and not mfa_missing(actor):
        return True
    return has_permission(actor, "role:assign") and covers(actor, role)


def assignable_roles(actor) -> list[Role]:
    return [role for role in current_roles().values() if can_assign(actor, role)]


def can_manage_user(actor, target: User) -> bool:
    """Whether `actor` may change `target`'s account (password, e-mail, roles, active):
    only if they could have given `target` every role `target` holds."""
    if actor.is_superuser and not mfa_missing(actor):
        return True
    if target.is_superuser:
        return False
    return all(covers(actor, role) for role in user_roles(target))


def _check_grantor(actor, role: Role, request) -> None:
    if actor is None:
        return
    require_permission(actor, "role:assign", request=request)
    if not can_assign(actor, role):
        from apps.audit.services import record_denial

        exception = AccessDenied(
            "role:assign",
            _("You cannot assign the role %(role)s: it grants permissions you do not hold.") % {"role": role.label},
        )
        record_denial(exception, actor=actor, permission="role:assign", request=request, details={"role": role.code})
        raise exception


def sync_staff_flag(user: User) -> bool:
    """is_staff follows the roles: set while the user holds a back-office role (or is a
    superuser), cleared otherwise. Returns whether it changed."""
    staff = bool(user.is_superuser or any(role.back_office for role in user_roles(user)))
    if user.is_staff == staff:
        return False
    user.is_staff = staff
    user.save(update_fields=["is_staff"])
    return True


def _record(action: str, user: User, role: Role, actor, request) -> None:
    record(
        action,
        actor=actor,
        resource=user,
        request=request,
        details={"role": role.code, **({} if actor is not None else {"by": "system"})},
    )


def grant_role(user: User, code: str, *, actor=None, request=None) -> RoleAssignment:
    """Give `user` the role `code` (idempotent: holding it already changes nothing)."""
    role = _role(code)
    _check_grantor(actor, role, request)
    with transaction.atomic():
        assignment, created = RoleAssignment.objects.get_or_create(
            user=user, role=role.code, defaults={"granted_by": actor}
        )
        if created:
            forget_cached_roles(user)
            _record(actions.ROLE_GRANTED, user, role, actor, request)
            sync_staff_flag(user)
    return assignment


def revoke_role(user: User, code: str, *, actor=None, request=None) -> bool:
    """Take the role `code` from `user`; returns whether they held it."""
    role = current_roles().get(code)
    if role is not None:
        _check_grantor(actor, role, request)
    elif actor is not None:
        # A code that is not a role of this type grants nothing; any grantor may tidy it.
        require_permission(actor, "role:assign", request=request)
    with transaction.atomic():
        deleted, _rows = RoleAssignment.objects.filter(user=user, role=code).delete()
        if deleted:
            forget_cached_roles(user)
            if role is not None:
                _record(actions.ROLE_REVOKED, user, role, actor, request)
            else:
                record(actions.ROLE_REVOKED, actor=actor, resource=user, request=request, details={"role": code})
            sync_staff_flag(user)
    return bool(deleted)


def set_roles(user: User, codes: Iterable[str], *, actor=None, request=None) -> tuple[list[str], list[str]]:
    """Make `user` hold exactly `codes`; returns (granted, revoked). All or nothing."""
    wanted = list(dict.fromkeys(codes))
    for code in wanted:
        _role(code)
    # Codes that are not roles of this type grant nothing and are left as they are.
    current = set(
        RoleAssignment.objects.filter(user=user, role__in=list(current_roles())).values_list("role", flat=True)
    )
    granted = [code for code in wanted if code not in current]
    revoked = sorted(code for code in current if code not in wanted)
    # Refuse before changing anything, so a refusal never leaves half the change behind.
    for code in [*granted, *revoked]:
        if code in current_roles():
            _check_grantor(actor, current_roles()[code], request)
    with transaction.atomic():
        for code in granted:
            grant_role(user, code, actor=actor, request=request)
        for code in revoked:
            revoke_role(user, code, actor=actor, request=request)
    return granted, revoked
