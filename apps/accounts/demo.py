"""Demo logins, one per role of the tenant's type (called by `manage.py seed_demo`).
Roles that require MFA ask their user to set up an authenticator app on first use."""

from __future__ import annotations

from collections.abc import Iterator

from django.contrib.auth import get_user_model

from . import services
from .tenant_type import current_roles


def seed(tenant) -> Iterator[tuple[str, str]]:
    from apps.tenancy.management.commands.seed_demo import demo_password

    User = get_user_model()
    for role in current_roles().values():
        user, created = User.objects.get_or_create(
            username=role.code, defaults={"display_name": str(role.label), "email": f"{role.code}@demo.invalid"}
        )
        if created:
            user.set_password(demo_password())
            user.save(update_fields=["password"])
        services.grant_role(user, role.code)  # idempotent; actor=None: the system
        yield role.code, "/admin/" if role.back_office else "/api/v1/me/"
