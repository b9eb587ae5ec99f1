"""Which tenant type the current database connection serves, and its roles.

django-tenants sets `connection.tenant` to the real Tenant on HTTP requests, but to a
stand-in without a type inside `schema_context()` (Celery tasks, websocket consumers,
commands), so the type is then looked up once per schema and remembered: a schema never
changes type.
"""

from __future__ import annotations

from functools import lru_cache

from django.db import connection

from .roles import Role, roles_for


@lru_cache(maxsize=4096)
def _type_of_schema(schema_name: str) -> str:
    from django_tenants.utils import get_public_schema_name, get_tenant_model

    if schema_name == get_public_schema_name():
        return "public"
    row = get_tenant_model().objects.filter(schema_name=schema_name).values_list("type", flat=True).first()
    if row is None:
        raise LookupError(f"no tenant owns the schema {schema_name!r}")
    return row


def current_tenant_type() -> str:
    tenant_type = getattr(getattr(connection, "tenant", None), "type", None)
    if tenant_type:
        return tenant_type
    return _type_of_schema(connection.schema_name)


def current_roles() -> dict[str, Role]:
    return roles_for(current_tenant_type())


def role_label(code: str) -> str:
    role = current_roles().get(code)
    return str(role.label) if role else code
