"""The club's roles (seed 004: floor manager, cashier, player) and the wallet's resources,
registered from WalletConfig.ready(). The live tables' resources (room, table, seat, hand,
player, report) are apps/club/roles.py's."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from apps.accounts.roles import SELF_SCOPES, SELF_SERVICE, Role, full_access, scoped

RESOURCES: dict[str, tuple[str, ...]] = {
    "wallet": ("read", "adjust"),
    "deposit": ("read", "create", "approve"),
    "withdrawal": ("read", "create", "approve"),
    "rake": ("read", "configure"),
    "vip": ("read", "update"),
    "rakeback": ("read", "run"),
}

ROLES: list[Role] = [
    full_access(
        "floor_manager",
        _("Floor manager"),
        _("Runs the card room: rooms, tables, players, rake, VIP, money approvals and roles."),
    ),
    Role(
        "cashier",
        _("Cashier"),
        _("Handles deposits and withdrawals and reads wallets, rake and rakeback."),
        (
            "player:read",
            "wallet:read",
            "deposit:*",
            "withdrawal:read",
            "withdrawal:approve",
            "rake:read",
            "rakeback:read",
            "vip:read",
            "table:read",
            "report:read",
            "notification:read",
            "dashboard:read",
            *SELF_SERVICE,
        ),
        scopes=SELF_SCOPES,
        back_office=True,
    ),
    Role(
        "player",
        _("Player"),
        _("Plays: takes seats, sees their own hands, wallet, deposits and withdrawals."),
        (
            "table:read",
            "seat:take",
            "hand:read",
            "wallet:read",
            "deposit:read",
            "deposit:create",
            "withdrawal:read",
            "withdrawal:create",
            "vip:read",
            "rakeback:read",
            "notification:read",
            *SELF_SERVICE,
        ),
        scopes={
            **scoped("own", "hand", "wallet", "deposit", "withdrawal", "vip", "rakeback", "notification"),
            **SELF_SCOPES,
        },
    ),
]


def register() -> None:
    """Called from WalletConfig.ready()."""
    from apps.accounts.roles import register_resources, register_roles

    register_resources("club", RESOURCES)
    register_roles("club", *ROLES)
