"""Reads compiled once per process, for the few statements a hot path runs on every request.

Building and compiling a queryset costs the ORM far more than PostgreSQL needs to run it: a
CAT answer's locked read of its attempt with the exam and the student (`select_related`,
`select_for_update`, a scope filter) took 1.2 ms of CPU to compile and 0.3 ms to run and
load (`bench/cat-http --cpu`). `JoinedRead` writes that statement once from the models'
metadata — the same columns, joins and converters as the ORM's — and afterwards only
executes it. For fixed-shape look-ups by key; anything else stays a queryset.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property

from django.db import connection, models


class JoinedRead:
    """`model` by equality on `keys` (field paths: "pk", "student__user"), with the forward
    foreign keys `related` loaded as `select_related(*related)` would, optionally locked
    (`FOR UPDATE OF` the model's row only, as `select_for_update(of=("self",))`).

        read = JoinedRead(Attempt, related=("exam", "student"), keys=("pk", "student__user"), lock=True)
        attempt = read.one(pk, user_id)   # or Attempt.DoesNotExist
    """

    def __init__(
        self, model: type[models.Model], *, related: Sequence[str] = (), keys: Sequence[str], lock: bool = False
    ) -> None:
        self.model, self.related, self.keys, self.lock = model, tuple(related), tuple(keys), lock

    def one(self, *values) -> models.Model:
        """The row whose keys equal `values`, its related rows attached; DoesNotExist if none."""
        sql, parts = self._compiled
        with connection.cursor() as cursor:
            cursor.execute(sql, list(values))
            row = cursor.fetchone()
        if row is None:
            raise self.model.DoesNotExist(f"{self.model.__name__} matching {dict(zip(self.keys, values, strict=True))}")
        objs = []
        start = 0
        for model, fields, converters in parts:
            values_ = list(row[start : start + len(fields)])
            start += len(fields)
            for n, (col, funcs) in converters.items():
                for func in funcs:
                    values_[n] = func(values_[n], col, connection)
            objs.append(model.from_db(connection.alias, [f.attname for f in fields], values_))
        main, *rest = objs
        for name, obj in zip(self.related, rest, strict=True):
            self.model._meta.get_field(name).set_cached_value(main, obj)
        return main

    @cached_property
    def _compiled(self) -> tuple[str, list]:
        quote = connection.ops.quote_name
        meta = self.model._meta
        parts, select, joins, aliases = [], [], [], {"": "t0"}
        tables = [(self.model, "t0")]
        for n, name in enumerate(self.related, start=1):
            field = meta.get_field(name)
            if not field.many_to_one or field.null:
                raise ValueError(f"JoinedRead: {name} must be a non-null forward foreign key")
            alias = f"t{n}"
            aliases[name] = alias
            target = field.related_model
            joins.append(
                f"INNER JOIN {quote(target._meta.db_table)} {alias} "
                f"ON {alias}.{quote(field.target_field.column)} = t0.{quote(field.column)}"
            )
            tables.append((target, alias))
        for model, alias in tables:
            fields = list(model._meta.concrete_fields)
            converters = {}
            for n, field in enumerate(fields):
                col = field.get_col(alias)
                funcs = connection.ops.get_db_converters(col) + col.get_db_converters(connection)
                if funcs:
                    converters[n] = (col, funcs)
            select += [f"{alias}.{quote(f.column)}" for f in fields]
            parts.append((model, fields, converters))
        where = []
        for key in self.keys:
            relation, _sep, name = key.rpartition("__")
            if relation and relation not in aliases:
                field = meta.get_field(relation)
                if not field.many_to_one:
                    raise ValueError(f"JoinedRead: {relation} is not a forward foreign key")
                alias = f"k{len(aliases)}"
                aliases[relation] = alias
                joins.append(
                    f"INNER JOIN {quote(field.related_model._meta.db_table)} {alias} "
                    f"ON {alias}.{quote(field.target_field.column)} = t0.{quote(field.column)}"
                )
            model = meta.get_field(relation).related_model if relation else self.model
            target = model._meta.pk if name == "pk" else model._meta.get_field(name)
            where.append(f"{aliases[relation]}.{quote(target.column)} = %s")
        sql = (
            f"SELECT {', '.join(select)} FROM {quote(meta.db_table)} t0 {' '.join(joins)} "
            f"WHERE {' AND '.join(where)}" + (" FOR UPDATE OF t0" if self.lock else "")
        )
        return sql, parts
