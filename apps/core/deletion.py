"""`on_delete` for references from one tenant type's models to models every schema has
(users, above all).

Deleting a user makes Django's collector visit every model that points at users, in every
installed app — including apps whose tables exist only in another tenant type's schemas
(academy tables don't exist in a store's schema). SET_NULL there would UPDATE a table that
isn't there. `SET_NULL_WHERE_PRESENT` does SET_NULL only when the referencing table exists
in the current schema.
"""

from __future__ import annotations

from django.db import connections, models


def _table_here(using: str, table: str) -> bool:
    with connections[using].cursor() as cursor:
        # Unqualified: resolved through the tenant's search_path, as the ORM would.
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [f'"{table}"'])
        return cursor.fetchone()[0]


def SET_NULL_WHERE_PRESENT(collector, field, sub_objs, using):
    if _table_here(using, field.model._meta.db_table):
        models.SET_NULL(collector, field, sub_objs, using)


# Like SET_NULL: the collector must not evaluate the related rows before calling us.
SET_NULL_WHERE_PRESENT.lazy_sub_objs = True


def CASCADE_WHERE_PRESENT(collector, field, sub_objs, using):
    """CASCADE from a user only where the referencing table exists (a zone's memberships,
    say, exist only in zone schemas; users are deleted in every schema)."""
    if _table_here(using, field.model._meta.db_table):
        models.CASCADE(collector, field, sub_objs, using)


CASCADE_WHERE_PRESENT.lazy_sub_objs = True


def created_by_field(verbose_name=None, **options) -> models.ForeignKey:
    """The optional "created by" user of a tenant's record: kept when the user goes (the
    reference is nulled where the table exists), and no reverse accessor on users, which
    every vertical's records would otherwise crowd."""
    from django.conf import settings
    from django.utils.translation import gettext_lazy as _

    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=verbose_name or _("created by"),
        null=True,
        blank=True,
        on_delete=SET_NULL_WHERE_PRESENT,
        related_name="+",
        **options,
    )
