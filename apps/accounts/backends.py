"""Authentication backends whose permission side is the role mechanism.

Django's own permission tables (groups, user permissions) are not used: nothing grants
through them, so roles stay the only source. `user.has_perm("attendance:write")` asks
the roles; Django's model permissions (`"ledger.view_event"`, asked by admin pages that
don't map themselves to role permissions) are held only by superusers and holders of a
`*` role — the tenant's owner.
"""

from __future__ import annotations

import functools
import inspect

from allauth.account.auth_backends import AuthenticationBackend as AllauthBackend
from django.contrib.auth.backends import ModelBackend


class RolePermissionsMixin:
    def get_user_permissions(self, user_obj, obj=None) -> set:
        return set()

    def get_group_permissions(self, user_obj, obj=None) -> set:
        return set()

    def get_all_permissions(self, user_obj, obj=None) -> set:
        return set()

    def has_perm(self, user_obj, perm: str, obj=None) -> bool:
        from .permissions import has_permission, holds_every_permission

        if ":" in perm:
            return has_permission(user_obj, perm)
        return holds_every_permission(user_obj)

    def has_module_perms(self, user_obj, app_label: str) -> bool:
        from .permissions import holds_every_permission

        return holds_every_permission(user_obj)

    def get_user(self, user_id):
        """The session's user with the codes of its roles, in one query: every signed-in
        request asks for both (the permission and MFA checks), and a second round trip for
        the roles was a fixed cost of every API and portal request.

        The query is raw SQL built once per process from the models' metadata: the ORM's
        version of it (an ArrayAgg over a LEFT JOIN, GROUP BY, LIMIT 21) cost ~1 ms of CPU
        to compile on every signed-in request, the raw one ~0.2 ms all told. The tables are
        not schema-qualified, so the tenant's search_path picks them as for any query."""
        from django.contrib.auth import get_user_model
        from django.db import connection

        from .permissions import remember_role_codes

        model = get_user_model()
        user_id = model._meta.pk.to_python(user_id)
        sql, names, converters = _user_with_roles_query()
        with connection.cursor() as cursor:
            cursor.execute(sql, [user_id])
            row = cursor.fetchone()
        if row is None:
            return None
        *values, codes = row
        for index, convert in converters:
            values[index] = convert(values[index], connection)
        # A cursor and Model.from_db rather than Manager.raw(): RawQuerySet maps its columns
        # to the model's fields anew on every read (~0.2 ms of a signed-in request's CPU).
        user = model.from_db(connection.alias, names, values)
        remember_role_codes(user, list(codes))
        return user if self.user_can_authenticate(user) else None

    def with_perm(self, perm, is_active=True, include_superusers=True, obj=None):
        from django.contrib.auth import get_user_model

        return get_user_model()._default_manager.none()


@functools.cache
def _user_with_roles_query() -> tuple[str, list[str], list]:
    """The SQL, the user's field names in its column order, and the converters of the
    fields that have any (from_db_value), by column index."""
    from django.contrib.auth import get_user_model
    from django.db import connection

    from .models import RoleAssignment

    quote = connection.ops.quote_name
    user = get_user_model()._meta
    assignment = RoleAssignment._meta
    fields = user.concrete_fields
    columns = ", ".join(f"u.{quote(f.column)}" for f in fields)
    role, holder = (quote(assignment.get_field(name).column) for name in ("role", "user"))
    pk = quote(user.pk.column)
    sql = (
        f"SELECT {columns}, ARRAY(SELECT a.{role} FROM {quote(assignment.db_table)} a WHERE a.{holder} = u.{pk})"
        f" AS _mc_role_codes FROM {quote(user.db_table)} u WHERE u.{pk} = %s"
    )
    converters = []
    for index, field in enumerate(fields):
        column = field.get_col(user.db_table)
        for convert in connection.ops.get_db_converters(column) + field.get_db_converters(connection):
            converters.append((index, functools.partial(_apply, convert, column)))
    return sql, [f.attname for f in fields], converters


def _apply(convert, column, value, connection):
    return convert(value, column, connection)


class RoleModelBackend(RolePermissionsMixin, ModelBackend):
    """Username and password, permissions from roles."""


class LoginBackend(RolePermissionsMixin, AllauthBackend):
    """allauth's login by username or e-mail; its permission answers are the same."""


class TenantTypeBackend(RoleModelBackend):
    """The sign-in methods verticals add for their tenant type (apps.accounts.hooks: a
    guardian's phone number on academy hosts), asked only on hosts of that type."""

    def authenticate(self, request, **credentials):
        from .hooks import backends_for, current_type

        for backend in backends_for(current_type()):
            try:
                inspect.signature(backend.authenticate).bind(request, **credentials)
            except TypeError:
                continue  # not this backend's kind of credentials (as django.contrib.auth does)
            user = backend.authenticate(request, **credentials)
            if user is not None:
                return user
        return None

    def login_alias(self, login: str) -> str | None:
        """The sign-in limit's account key for another form of login (apps.core.ratelimit)."""
        from .hooks import backends_for, current_type

        for backend in backends_for(current_type()):
            alias = getattr(backend, "login_alias", None)
            if alias is not None and (found := alias(login)):
                return found
        return None
