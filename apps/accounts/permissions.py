"""The one permission mechanism: every check in the API, the admin, websocket consumers,
services and tasks goes through `has_permission` (or `require_permission`).

    from apps.accounts.permissions import has_permission, require_permission, HasPermission

    has_permission(user, "attendance:write")        # -> bool
    require_permission(user, "invoice:create")      # raises AccessDenied, audited
    permission_classes = [HasPermission("attendance:write")]        # DRF, 403 audited
    class StudentAdmin(PermissionAdminMixin, admin.ModelAdmin): permission_resource = "student"
    class BoardConsumer(TenantJsonConsumer): permission_required = "attendance:read"   # 4403

A user's permissions are the union of the roles they hold in the current schema
(apps.accounts.roles); active superusers hold every permission. A user whose roles require
MFA and who has no TOTP authenticator holds none until they enrol. Which rows a
permission reaches is decided by `apps.accounts.scoping.visible_to`.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Model

from .roles import Role, expand, is_known
from .tenant_type import current_roles, current_tenant_type

_ROLE_CACHE = "_mc_roles"
_MFA_CACHE = "_mc_mfa_missing"


class AccessDenied(PermissionDenied):
    """Raised by require_permission; the refusal is already in the audit log."""

    def __init__(self, permission: str, user_message: str | None = None):
        self.permission = permission
        self.user_message = user_message  # shown to the user; None means the generic text
        super().__init__(user_message or f"permission required: {permission}")


def _check_known(perm: str) -> None:
    # A misspelt permission would otherwise be granted to superusers only, silently.
    if not is_known(perm):
        raise ValueError(f"unknown permission {perm!r}: add it to its vertical's roles.RESOURCES")


def role_codes(user) -> list[str]:
    """Codes of the roles the user holds in the current schema (including any that are
    not roles of this tenant's type, which grant nothing)."""
    if user is None or not getattr(user, "is_authenticated", False) or user.pk is None:
        return []
    cached = getattr(user, _ROLE_CACHE, None)
    if cached is None or cached[0] != _schema():
        from .models import RoleAssignment

        codes = sorted(RoleAssignment.objects.filter(user_id=user.pk).values_list("role", flat=True))
        cached = (_schema(), codes)
        setattr(user, _ROLE_CACHE, cached)
    return list(cached[1])


def remember_role_codes(user, codes: list[str]) -> None:
    """The user's role codes in the current schema, loaded with the user (backends.get_user)."""
    setattr(user, _ROLE_CACHE, (_schema(), sorted(codes)))


def prime_role_codes(users) -> None:
    """Load the roles of many users in one query, for role_codes to answer from."""
    from .models import RoleAssignment

    users = [u for u in users if u.pk is not None]
    codes: dict[int, list[str]] = {u.pk: [] for u in users}
    for user_id, role in RoleAssignment.objects.filter(user_id__in=codes).values_list("user_id", "role"):
        codes[user_id].append(role)
    for user in users:
        setattr(user, _ROLE_CACHE, (_schema(), sorted(codes[user.pk])))


def _schema() -> str:
    from django.db import connection

    return connection.schema_name


def forget_cached_roles(user) -> None:
    for attr in (_ROLE_CACHE, _MFA_CACHE):
        if hasattr(user, attr):
            delattr(user, attr)


def user_roles(user) -> list[Role]:
    """The roles (of this tenant's type) the user holds here."""
    catalogue = current_roles()
    return [catalogue[code] for code in role_codes(user) if code in catalogue]


def _active(user) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and getattr(user, "is_active", False))


def holds_every_permission(user) -> bool:
    """Superusers, and holders of a `*` role (the tenant's owner)."""
    if not _active(user):
        return False
    if user.is_superuser:
        return not mfa_missing(user)
    return not mfa_missing(user) and any("*" in role.permissions for role in user_roles(user))


def roles_granting(user, perm: str) -> list[Role]:
    """The user's roles that grant `perm` (empty for superusers: they need none)."""
    _check_known(perm)
    if not _active(user) or mfa_missing(user):
        return []
    return [role for role in user_roles(user) if role.grants(perm)]


def has_permission(user, perm: str) -> bool:
    _check_known(perm)
    if not _active(user) or mfa_missing(user):
        return False
    if user.is_superuser:
        return True
    return any(role.grants(perm) for role in user_roles(user))


def effective_permissions(user) -> list[str]:
    """Every concrete permission of this tenant's type the user holds, sorted."""
    if not _active(user) or mfa_missing(user):
        return []
    tenant_type = current_tenant_type()
    if user.is_superuser:
        return sorted(expand(["*"], tenant_type))
    return sorted(expand([p for role in user_roles(user) for p in role.permissions], tenant_type))


def require_permission(
    user,
    perm: str,
    *,
    resource: Model | tuple[str, Any] | None = None,
    request=None,
) -> None:
    """Raise AccessDenied (a PermissionDenied) unless the user holds `perm`, and record the
    refusal in the audit log. For services: call it before doing anything."""
    if has_permission(user, perm):
        return
    from apps.audit.services import record_denial

    exception = AccessDenied(perm)
    details = {"mfa_required": True} if _active(user) and mfa_missing(user) else None
    record_denial(exception, actor=user, permission=perm, resource=resource, request=request, details=details)
    raise exception


# ---------------------------------------------------------------------------- MFA


def mfa_required(user) -> bool:
    """Superusers and holders of an owner/manager/admin-type role must use TOTP."""
    if not _active(user):
        return False
    return bool(user.is_superuser or any(role.requires_mfa for role in user_roles(user)))


def mfa_enabled(user) -> bool:
    from allauth.mfa.models import Authenticator

    return Authenticator.objects.filter(user_id=user.pk, type=Authenticator.Type.TOTP).exists()


def mfa_missing(user) -> bool:
    """The user must enrol TOTP before anything that needs a permission is served."""
    cached = getattr(user, _MFA_CACHE, None)
    if cached is not None and cached[0] == _schema():
        return cached[1]
    missing = mfa_required(user) and not mfa_enabled(user)
    if user is not None and getattr(user, "pk", None) is not None:
        setattr(user, _MFA_CACHE, (_schema(), missing))
    return missing


def __getattr__(name: str):
    # The DRF class and the admin mixin live with DRF and the admin; importing them from
    # here keeps one import path without loading DRF or the admin with the models.
    if name == "HasPermission":
        from .api.permissions import HasPermission

        return HasPermission
    if name == "PermissionAdminMixin":
        from .admin_mixins import PermissionAdminMixin

        return PermissionAdminMixin
    if name in ("visible_to", "register_scope", "ScopedQuerySet"):
        from . import scoping

        return getattr(scoping, name)
    raise AttributeError(name)


__all__ = [
    "AccessDenied",
    "effective_permissions",
    "has_permission",
    "holds_every_permission",
    "mfa_missing",
    "mfa_required",
    "require_permission",
    "role_codes",
    "roles_granting",
    "user_roles",
]
