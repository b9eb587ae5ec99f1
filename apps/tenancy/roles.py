"""Who may do what on the platform host (the `public` schema): the operators' resources
and roles. Registered from TenancyConfig.ready()."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from apps.accounts.roles import CRUD, Role, full_access

RESOURCES: dict[str, tuple[str, ...]] = {
    "tenant": (*CRUD, "suspend"),
    "plan": CRUD,
    "schedule": ("read", "update"),  # Celery beat schedules
    "identity": ("read",),  # the universal identity registry
}

ROLES: list[Role] = [
    full_access("operator", _("Platform operator"), _("Runs the platform: tenants, plans, schedules, operators.")),
    Role(
        "auditor",
        _("Auditor"),
        _("Reads and exports the platform's audit log, reads tenants and plans."),
        (
            "audit:read",
            "audit:export",
            "tenant:read",
            "plan:read",
            "profile:read",
            "profile:update",
            "role:read",
        ),
        scopes={"role": "own"},
        back_office=True,
        requires_mfa=True,
    ),
]


def register() -> None:
    """Called from the app's AppConfig.ready()."""
    from apps.accounts.roles import register_resources, register_roles

    register_resources("public", RESOURCES)
    register_roles("public", *ROLES)
