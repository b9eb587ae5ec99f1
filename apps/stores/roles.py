"""Who may do what on store hosts (seed 002): the store's resources (added to the common
ones of every tenant type) and its two roles. Registered from StoresConfig.ready().

The owner approves replies (`reply:approve`); staff suggest them (`reply:create`) for the
stores they are assigned to (scope `assigned`, apps/stores/scopes.py)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from apps.accounts.roles import CRUD, SELF_SCOPES, SELF_SERVICE, Role, full_access, scoped

RESOURCES: dict[str, tuple[str, ...]] = {
    "store": CRUD,
    "connector": ("read", "manage"),  # Naver / Kakao / Google accounts of a store
    "review": ("read", "update"),
    "reply": (*CRUD, "approve"),  # approve: publish an AI-drafted reply
    "keyword": ("read", "update"),
    "report": ("read", "export"),
    "alert": ("read", "manage"),  # negative-review alerts
    "billing": ("read", "manage"),  # the shop's plan and payments
    "payment": ("read", "create", "refund"),  # online payments taken by the shop (apps.payments)
}

ROLES: list[Role] = [
    full_access(
        "owner", _("Owner"), _("Owns the shops: everything, including platform connections, billing and roles.")
    ),
    Role(
        "staff",
        _("Staff"),
        _("Reads reviews and drafts replies for the shops they are assigned to; the owner approves."),
        (
            "store:read",
            "review:read",
            "reply:read",
            "reply:create",
            "reply:update",
            "keyword:read",
            "report:read",
            "alert:read",
            "notification:read",
            "dashboard:read",
            *SELF_SERVICE,
        ),
        scopes={**scoped("assigned", "store", "review", "reply", "keyword", "report", "alert"), **SELF_SCOPES},
        back_office=True,
    ),
]


def register() -> None:
    """Called from the app's AppConfig.ready()."""
    from apps.accounts.roles import register_resources, register_roles

    register_resources("store", RESOURCES)
    register_roles("store", *ROLES)
