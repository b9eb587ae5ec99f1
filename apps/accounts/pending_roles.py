"""Roles of the tenant types whose vertical is not built yet: none today. The zone's roles
moved to apps/learning/roles.py, the club's to apps/wallet/roles.py and apps/club/roles.py.

A type without its vertical keeps its logins and permission checks here until its app
arrives; the vertical that arrives moves its type's block into its own `roles.py`,
registers it from its AppConfig.ready() and deletes it here (README, "Adding a vertical"):
the registry refuses a type's role or resource declared twice."""

from __future__ import annotations


def register() -> None:
    """Called from the accounts app's AppConfig.ready(); nothing is pending."""
