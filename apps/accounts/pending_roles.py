"""Roles of the tenant types whose vertical is not built yet: club (apps.club).

They are here only so that these types have their logins and permission checks before
their apps arrive. The vertical that arrives moves its type's block into its own
`roles.py`, registers it from its AppConfig.ready() and deletes it here (README, "Adding a
vertical"): the registry refuses a type's role or resource declared twice."""

from __future__ import annotations

from apps.accounts.roles import CRUD

# Seed 004: the live tables' resources, until apps/club arrives (the wallet's resources and
# the club's roles are registered by apps/wallet/roles.py).
CLUB_RESOURCES: dict[str, tuple[str, ...]] = {
    "room": CRUD,
    "table": (*CRUD, "open", "close"),
    "seat": ("take", "manage"),
    "hand": ("read", "export"),
    "player": (*CRUD, "ban"),
    "report": ("read", "export"),
}


def register() -> None:
    """Called from the app's AppConfig.ready()."""
    from apps.accounts.roles import register_resources

    register_resources("club", CLUB_RESOURCES)
