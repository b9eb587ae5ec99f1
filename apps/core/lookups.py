"""`field__any=[...]`: `column = ANY(%s)` with the whole list as one array parameter.

For the lists of thousands of values an import looks up. `field__in` writes one
placeholder per value, and the statement's text with 10,000 placeholders is built by
Django and parsed again by psycopg each time: most of a 100,000-row re-import's time."""

from __future__ import annotations

from django.db.models import Field, ForeignObject, Lookup


class AnyOf(Lookup):
    lookup_name = "any"
    prepare_rhs = False

    def get_db_prep_lookup(self, value, connection):
        field = self.lhs.output_field
        return "%s", [[field.get_db_prep_value(v, connection, prepared=False) for v in value]]

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        cast = self.lhs.output_field.cast_db_type(connection)  # a foreign key: its target's type
        return f"{lhs} = ANY({rhs}::{cast}[])", (*lhs_params, *rhs_params)


Field.register_lookup(AnyOf)
ForeignObject.register_lookup(AnyOf)  # foreign keys keep lookups of their own
