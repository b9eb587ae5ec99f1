"""The role mechanism: roles, the permissions they grant, and the registry each tenant
type's roles are declared into.

A permission is `resource:action` (`attendance:write`). A role grants permission
patterns, where either side may be `*` (`exam:*`, `*:read`, `*`). A role may also narrow
resources to a *scope* — a named row filter (`coach` reads `student` rows in scope
`assigned`: the students of their own classes). Scopes are implemented per model with
`apps.accounts.scoping.register_scope`; a role without a scope for a resource sees all of
its rows.

Each vertical declares its own resources and roles in its own `roles.py` and registers
them from its AppConfig.ready() (apps/academy/roles.py, apps/tenancy/roles.py for the
platform host; apps/accounts/pending_roles.py holds the types whose vertical is still to
come); accounts adds COMMON to every type. A resource or role code registered twice for a
type is refused (AlreadyRegistered).

Adding a permission: add the action to the resource in the vertical's RESOURCES (a check
refuses role patterns and permission checks that name anything not registered), then
grant it to roles.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

from django.utils.functional import Promise

from apps.core.registry import AlreadyRegistered

CRUD = ("read", "create", "update", "delete")

# Resources every tenant type has.
COMMON: dict[str, tuple[str, ...]] = {
    "user": CRUD,  # logins of this tenant
    "role": ("read", "assign"),  # role assignments
    "audit": ("read", "export"),  # the audit log
    "profile": ("read", "update"),  # one's own account (GET/PATCH /api/v1/me/)
    "notification": ("read", "send", "manage"),  # messages; `manage`: templates, provider settings
    "settings": ("read", "update"),  # the tenant's own settings
    "ledger": ("read",),  # the event ledger
    "dashboard": ("read",),
}

# tenant type → resource → actions; filled at start-up by register_resources.
VOCABULARY: dict[str, dict[str, tuple[str, ...]]] = {}


@dataclass(frozen=True)
class Role:
    code: str
    label: str | Promise
    description: str | Promise
    permissions: tuple[str, ...]
    # resource -> scope name; resources not listed are unrestricted
    scopes: dict[str, str] = field(default_factory=dict)
    # May open the tenant's admin (keeps User.is_staff in step, see services.sync_staff_flag).
    back_office: bool = False
    # Must have TOTP before the admin or the API serves them.
    requires_mfa: bool = False

    def grants(self, perm: str) -> bool:
        return any(pattern_grants(pattern, perm) for pattern in self.permissions)

    def scope_for(self, resource: str) -> str | None:
        return self.scopes.get(resource)


def full_access(code: str, label: str | Promise, description: str | Promise) -> Role:
    """The type's owner-like role: every permission (`*`), the admin, TOTP required."""
    return Role(code, label, description, ("*",), back_office=True, requires_mfa=True)


# Everyone may see and edit their own account, their own roles and their own audit trail
# (sign-ins, failed attempts against their account).
SELF_SERVICE = ("profile:read", "profile:update", "role:read", "audit:read")
SELF_SCOPES = {"role": "own", "audit": "own"}


def scoped(scope: str, *resources: str) -> dict[str, str]:
    """The same scope for several resources: `scopes=scoped("assigned", "student", "class")`."""
    return dict.fromkeys(resources, scope)


# tenant type → role code → Role, in the order registered; filled at start-up by register_roles.
ROLES: dict[str, dict[str, Role]] = {}


# ---------------------------------------------------------------------------- registration


def register_resources(tenant_type: str, resources: dict[str, tuple[str, ...]]) -> None:
    """Add `tenant_type`'s resources and their actions (from an AppConfig.ready()). A
    resource the type already has is refused: two apps may not both define `payment`."""
    vocabulary = VOCABULARY.setdefault(tenant_type, {})
    for resource in resources:
        if resource in vocabulary:
            raise AlreadyRegistered(f"resource {resource!r} of tenant type {tenant_type!r} is already registered")
        split(f"{resource}:x")  # a resource name without ':'
    vocabulary.update((resource, tuple(actions)) for resource, actions in resources.items())
    _forget()


def register_roles(tenant_type: str, *roles: Role) -> None:
    """Add `tenant_type`'s roles (from the vertical's AppConfig.ready()). A role code the
    type already has is refused, never silently replaced."""
    known = ROLES.setdefault(tenant_type, {})
    codes = [role.code for role in roles]
    for code in codes:
        if code in known or codes.count(code) > 1:
            raise AlreadyRegistered(f"role {code!r} of tenant type {tenant_type!r} is already registered")
    known.update((role.code, role) for role in roles)
    _forget()


def _forget() -> None:
    all_permissions.cache_clear()
    permissions_of_type.cache_clear()


# ---------------------------------------------------------------------------- patterns


def split(perm: str) -> tuple[str, str]:
    resource, sep, action = perm.partition(":")
    if not sep or not resource or not action or ":" in action:
        raise ValueError(f"{perm!r} is not a permission: expected 'resource:action'")
    return resource, action


def pattern_grants(pattern: str, perm: str) -> bool:
    """Whether a granted pattern (`*`, `exam:*`, `*:read`, `exam:read`) covers `perm`."""
    if pattern == "*":
        return True
    granted_resource, granted_action = split(pattern)
    resource, action = split(perm)
    return granted_resource in ("*", resource) and granted_action in ("*", action)


@cache
def all_permissions() -> frozenset[str]:
    """Every concrete permission of every tenant type."""
    return frozenset(perm for tenant_type in VOCABULARY for perm in permissions_of_type(tenant_type))


@cache
def permissions_of_type(tenant_type: str) -> tuple[str, ...]:
    vocabulary = VOCABULARY.get(tenant_type, {})
    return tuple(f"{resource}:{action}" for resource, actions in vocabulary.items() for action in actions)


def expand(patterns, tenant_type: str) -> set[str]:
    """The concrete permissions of `tenant_type` that the patterns grant."""
    return {perm for perm in permissions_of_type(tenant_type) if any(pattern_grants(p, perm) for p in patterns)}


def is_known(perm: str) -> bool:
    return perm in all_permissions()


def roles_for(tenant_type: str) -> dict[str, Role]:
    return ROLES.get(tenant_type, {})


def get_role(tenant_type: str, code: str) -> Role | None:
    return ROLES.get(tenant_type, {}).get(code)


def catalogue_problems() -> list[str]:
    """Mistakes in the catalogue above: patterns that match nothing of their type, scopes on
    resources a role has no permission on. Run as a Django system check."""
    from django.conf import settings

    problems = [f"{t}: no roles registered for this tenant type" for t in settings.TENANT_TYPES if not ROLES.get(t)]
    for tenant_type, roles in ROLES.items():
        vocabulary = VOCABULARY[tenant_type]
        for role in roles.values():
            for pattern in role.permissions:
                try:
                    if not expand([pattern], tenant_type):
                        problems.append(f"{tenant_type}.{role.code}: {pattern!r} matches no {tenant_type} permission")
                except ValueError as exc:
                    problems.append(f"{tenant_type}.{role.code}: {exc}")
            granted = expand(role.permissions, tenant_type)
            for resource in role.scopes:
                if resource not in vocabulary:
                    problems.append(f"{tenant_type}.{role.code}: scope on unknown resource {resource!r}")
                elif not any(perm.startswith(f"{resource}:") for perm in granted):
                    problems.append(
                        f"{tenant_type}.{role.code}: scope on {resource!r} without any {resource} permission"
                    )
    return problems
