"""Related rows of a list page, prefetched into plain lists.

    base_queryset = Invoice.objects.prefetch_related(listed("lines"))
    lines = InvoiceLineSerializer(many=True, read_only=True)   # Meta.list_serializer_class = RelatedRows
    ...related_rows(student, "guardian_links")                 # in a SerializerMethodField

Django's `prefetch_related("lines")` hands every row of the page its own related manager and
a filtered clone of the prefetch queryset (`RelatedManager._apply_rel_filters`: a `.filter()`
per row, ~50–70 µs of CPU each), only so that `row.lines.all()` can return the prefetched
rows. With `to_attr` the rows are set on each instance as a list: ~1.4 ms less per request on
the bench academy's student list (10 rows) and invoice list (20 rows). The serializers read
the list when the queryset made one and the related manager otherwise (a detail response
built from a row that was not prefetched), so both give the same output.

A list page reads its listed() relations with a statement compiled once per process
(`Listed.attach`, called by the API's pagination): Django builds, for every page, the
prefetch queryset's `<fk> IN (…)` filter from the page's instances and compiles the whole
statement again (~0.5–0.8 ms of CPU on the student list's guardian links with their
guardians). The statement is Django's own for the relation's queryset, compiled once with the
filter written as `<fk> = ANY(%s)` (PostgreSQL reads an IN list as exactly that), and the
rows are made as Django makes them (`from_db`, `select_related` through Django's related
populators, the reverse relation set on each related row). A relation whose queryset does
anything else (annotations, extra columns, a slice, further prefetches, a many-to-many or a
key to another column than the primary key) is left to Django's prefetch.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db import connections
from django.db.models import Model, Prefetch, QuerySet
from django.db.models.fields.related import ForeignKey
from django.db.models.query import ModelIterable, get_related_populators
from rest_framework import serializers

PREFIX = "_listed_"


class Listed(Prefetch):
    """listed()'s Prefetch: Django's wherever a queryset prefetches it, and `attach()` for a
    list page's rows (the API's pagination)."""

    def __init__(self, lookup: str, queryset: QuerySet | None = None) -> None:
        super().__init__(lookup, queryset=queryset, to_attr=PREFIX + lookup)
        self.relation = lookup
        self._compiled: dict[tuple[type, str], Any] = {}
        self._lock = threading.Lock()

    def __getstate__(self) -> dict:
        # Prefetch objects are pickled with their querysets: the lock cannot be, and the
        # compiled statements are remade on first use.
        state = super().__getstate__()
        state.pop("_lock", None)
        state["_compiled"] = {}
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    def attach(self, rows: Sequence[Model]) -> bool:
        """Read the relation's rows for `rows` (instances of one model, read from `db`) in one
        compiled statement and set each row's list; False, having done nothing, when the
        relation is not one this can read (Django's prefetch must then be used)."""
        if not rows:
            return True
        first = rows[0]
        db = first._state.db or "default"
        key = (type(first), db)
        compiled = self._compiled.get(key)
        if compiled is None:
            with self._lock:
                compiled = self._compiled.get(key)
                if compiled is None:
                    compiled = self._compiled[key] = _compile(type(first), self.relation, self.queryset, db) or False
        if not compiled:
            return False
        sql, params, position, fk, model, init_list, start, end, populators, converters = compiled
        keys = [row.pk for row in rows]
        params = list(params)
        params[position] = keys
        connection = connections[db]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            fetched = cursor.fetchall()
        by_key = {row.pk: row for row in rows}
        found: dict[Any, list] = {}
        attname = fk.attname
        for values in fetched:
            if converters:
                values = list(values)
                for pos, (funcs, expression) in converters:
                    value = values[pos]
                    for func in funcs:
                        value = func(value, expression, connection)
                    values[pos] = value
            obj = model.from_db(db, init_list, values[start:end])
            for populator in populators:
                populator.populate(values, obj)
            owner = getattr(obj, attname)
            # As Django's reverse many-to-one prefetch: the related row knows its owner.
            if not fk.is_cached(obj):
                fk.set_cached_value(obj, by_key[owner])
            found.setdefault(owner, []).append(obj)
        to_attr = self.to_attr
        for row in rows:
            setattr(row, to_attr, found.get(row.pk, []))
        return True


def listed(lookup: str, queryset: QuerySet | None = None) -> Listed:
    """`Prefetch(lookup, queryset)` into a list that related_rows() reads (one level only)."""
    if "__" in lookup:
        raise ValueError(f"listed() prefetches one relation, not a path: {lookup!r}")
    return Listed(lookup, queryset)


def split_listed(queryset: QuerySet) -> tuple[QuerySet, list[Listed]]:
    """The queryset without its listed() prefetches, and those prefetches, for a caller
    that attaches them itself once the rows are read; the queryset as it is when it has none
    or does not yield model instances."""
    lookups = queryset._prefetch_related_lookups
    mine = [lookup for lookup in lookups if isinstance(lookup, Listed)]
    if not mine or queryset._iterable_class is not ModelIterable:
        return queryset, []
    rest = [lookup for lookup in lookups if not isinstance(lookup, Listed)]
    return queryset.prefetch_related(None).prefetch_related(*rest), mine


_SENTINEL = -7_301_946_285_113


def _compile(owner: type[Model], relation: str, queryset: QuerySet | None, db: str):
    """(sql, params, the keys' position, fk, model, init_list, start, end, populators,
    converters) for `owner.<relation>` read by `<fk> = ANY(keys)`, or None."""
    try:
        rel = owner._meta.get_field(relation)
    except FieldDoesNotExist:
        return None
    fk = getattr(rel, "field", None)
    if (
        not rel.one_to_many
        or not isinstance(fk, ForeignKey)
        or fk.model is not rel.related_model
        or fk.target_field is not owner._meta.pk
        or fk.remote_field.model is not owner
    ):
        return None
    if queryset is None:
        queryset = rel.related_model._default_manager.all()
    query = queryset.query
    if (
        queryset.model is not rel.related_model
        or queryset._iterable_class is not ModelIterable
        or queryset._prefetch_related_lookups
        or queryset._known_related_objects
        or query.is_sliced
        or query.annotations
        or query.extra
        or query.combinator
        or query.distinct
    ):
        return None
    template = queryset.filter(**{f"{fk.name}__in": [_SENTINEL]})
    compiler = template.query.get_compiler(using=db)
    sql, params = compiler.as_sql()
    connection = connections[db]
    quote = connection.ops.quote_name
    written = f"{quote(fk.model._meta.db_table)}.{quote(fk.column)} IN (%s)"
    if sql.count(written) != 1 or list(params).count(_SENTINEL) != 1 or compiler.annotation_col_map:
        return None
    if compiler.has_extra_select or compiler.col_count != len(compiler.select):
        return None
    sql = sql.replace(written, f"{quote(fk.model._meta.db_table)}.{quote(fk.column)} = ANY(%s)")
    params = tuple(params)
    position = params.index(_SENTINEL)
    select, klass_info = compiler.select, compiler.klass_info
    fields = klass_info["select_fields"]
    start, end = fields[0], fields[-1] + 1
    init_list = [column[0].target.attname for column in select[start:end]]
    if fk.attname not in init_list:
        return None
    populators = get_related_populators(klass_info, select, db)
    converters = list(compiler.get_converters([column[0] for column in select]).items())
    return sql, params, position, fk, klass_info["model"], init_list, start, end, populators, converters


def related_rows(obj: Model, name: str):
    """`obj.<name>.all()`: the list listed() made when the row was read with it, else the
    related manager's rows (its own prefetch cache or a query)."""
    rows = obj.__dict__.get(PREFIX + name)
    return getattr(obj, name).all() if rows is None else rows


class RelatedRows(serializers.ListSerializer):
    """A nested `many=True` serializer reading its rows through related_rows()."""

    def get_attribute(self, instance):
        if len(self.source_attrs) == 1 and isinstance(instance, Model):
            rows = instance.__dict__.get(PREFIX + self.source_attrs[0])
            if rows is not None:
                return rows
        return super().get_attribute(instance)
