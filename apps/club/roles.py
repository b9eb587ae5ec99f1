"""The live tables' resources (seed 004), registered from ClubConfig.ready(). The club's roles
(floor manager, cashier, player) are declared with the wallet's resources in
apps/wallet/roles.py: the player's `table:read`, `seat:take` and `hand:read` (own hands)
and the cashier's `table:read`, `player:read`, `report:read` name these resources."""

from __future__ import annotations

from apps.accounts.roles import CRUD

RESOURCES: dict[str, tuple[str, ...]] = {
    "room": CRUD,
    "table": (*CRUD, "open", "close"),
    "seat": ("take", "manage"),
    "hand": ("read", "export"),
    "player": (*CRUD, "ban"),
    "report": ("read", "export"),
}


def register() -> None:
    """Called from ClubConfig.ready()."""
    from apps.accounts.roles import register_resources

    register_resources("club", RESOURCES)
