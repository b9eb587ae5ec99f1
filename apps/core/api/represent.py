"""Read-only list serializers that read model columns directly.

    class InvoiceSerializer(DirectRepresentation, ModelSerializer): ...

DRF's `Serializer.to_representation` asks each field for its value through the generic
`Field.get_attribute` (a walk over `source_attrs` that checks each step for a mapping and a
callable, with its exception handling) and, for a foreign key's id, makes a `PKOnlyObject`,
for every field of every row: on a 20-row invoice list with its lines ~1,000 such calls a
request, about a third of the serializer's CPU. The plan here is made once per serializer
instance (a list's child serves every row): a field whose source is one of the model's own
concrete columns is read with `getattr` and given to the field's own `to_representation`
(DRF's None rule kept: None stays None); a foreign key shown as its id (DRF's pk-only
related field) is read from its `<name>_id` column. Every other field — a method field, a
dotted source, a property, a nested serializer, a field class with its own `get_attribute` —
goes through DRF's own steps, as does a row that is not an instance of `Meta.model`. The
field classes, names, order and so the OpenAPI schema are DRF's; only the reading changes.
tests/core/test_direct_representation.py compares every serializer using it with DRF's
`to_representation` on real rows.

The plan is kept per class when the class's fields depend on the class alone (the project's
ModelSerializer, whose fields are made from the class's Meta) and every field can be read
without the serializer instance's context: a column, a key, a DRF field of DRF's own reading
and showing (a dotted source, a property), a method field (called on the serializer at hand,
so its `self.context` is this request's), or a nested list of a serializer that qualifies in
turn and holds no method field. Such a list then builds no fields at all: DRF made and bound
a dozen fields per response (~0.3–0.6 ms of CPU on the academy lists) to read them the same
way every time. The shared fields belong to a prototype instance of the class, never bound
to a request. Any other field keeps the per-instance plan over the instance's own fields.
"""

from __future__ import annotations

from functools import cached_property

from django.core.exceptions import FieldDoesNotExist
from rest_framework import fields as drf_fields
from rest_framework import relations, serializers
from rest_framework.fields import SkipField, empty
from rest_framework.relations import PKOnlyObject

from .fields import ModelSerializer
from .prefetch import RelatedRows

# How a field is read: DRF's steps on the instance's own field (_GENERIC), a column, a key,
# and in a per-class plan a method field (_METHOD) and DRF's steps on the prototype's field
# (_SHARED).
_GENERIC, _COLUMN, _KEY, _METHOD, _SHARED = 0, 1, 2, 3, 4


class DirectRepresentation:
    """A ModelSerializer mixin (put it first): `to_representation` reading columns directly."""

    @property
    def _direct_plan(self) -> list[tuple[int, str, str, drf_fields.Field]]:
        """The class's shared plan when it has one, else this instance's."""
        cls = type(self)
        shared = cls.__dict__.get("_shared_direct_plan")
        if shared is None:
            shared = _class_plan(cls)
            cls._shared_direct_plan = shared
        return shared or self._own_direct_plan

    @cached_property
    def _own_direct_plan(self) -> list[tuple[int, str, str, drf_fields.Field]]:
        model = self.Meta.model
        plan = []
        for field in self._readable_fields:
            kind, attname = _GENERIC, ""
            if len(field.source_attrs) == 1:
                try:
                    model_field = model._meta.get_field(field.source_attrs[0])
                except FieldDoesNotExist:
                    model_field = None
                if model_field is not None and model_field.concrete and field.source_attrs[0] == model_field.name:
                    kind, attname = _kind(field, model_field)
            plan.append((kind, field.field_name, attname, field))
        return plan

    def to_representation(self, instance):
        if not isinstance(instance, self.Meta.model):
            return super().to_representation(instance)
        ret = {}
        for kind, name, attname, field in self._direct_plan:
            if kind == _COLUMN:
                value = getattr(instance, attname)
                ret[name] = None if value is None else field.to_representation(value)
            elif kind == _KEY:
                ret[name] = getattr(instance, attname)
            elif kind == _METHOD:
                # DRF's SerializerMethodField: its source is the row itself, never None.
                ret[name] = getattr(self, attname)(instance)
            else:
                try:
                    attribute = field.get_attribute(instance)
                except SkipField:
                    continue
                check_for_none = attribute.pk if isinstance(attribute, PKOnlyObject) else attribute
                ret[name] = None if check_for_none is None else field.to_representation(attribute)
        return ret


def _kind(field: drf_fields.Field, model_field) -> tuple[int, str]:
    """How a field whose source is the model's concrete `model_field` can be read."""
    if model_field.is_relation:
        # DRF's pk-only read: the row's <name>_id, shown as it is (no pk_field to convert it).
        if (
            isinstance(field, relations.PrimaryKeyRelatedField)
            and model_field.many_to_one
            and type(field).get_attribute is relations.RelatedField.get_attribute
            and type(field).to_representation is relations.PrimaryKeyRelatedField.to_representation
            and type(field).use_pk_only_optimization is relations.PrimaryKeyRelatedField.use_pk_only_optimization
            and field.pk_field is None
        ):
            return _KEY, model_field.attname
        return _GENERIC, ""
    # A column's value is never callable, so DRF's get_attribute would return getattr's value.
    if type(field).get_attribute is drf_fields.Field.get_attribute and not isinstance(
        field, serializers.BaseSerializer
    ):
        return _COLUMN, model_field.attname
    return _GENERIC, ""


def _class_plan(cls: type) -> list | bool:
    """The plan every instance of `cls` can share, or False (see the module's docstring)."""
    if (
        cls.get_fields is not ModelSerializer.get_fields
        or cls.fields is not serializers.Serializer.fields
        or cls._readable_fields is not serializers.Serializer._readable_fields
        or cls.to_representation is not DirectRepresentation.to_representation
    ):
        return False
    prototype = cls()
    own = prototype._own_direct_plan  # builds the prototype's fields, and so the class's recipes
    if not cls.__dict__.get("_field_plan"):
        return False  # fields not made from the class alone (apps.core.api.fields)
    plan = []
    for kind, name, attname, field in own:
        if kind in (_COLUMN, _KEY):
            if kind == _COLUMN and not _drf_shows(field):
                return False
            plan.append((kind, name, attname, field))
        elif type(field) is serializers.SerializerMethodField:
            plan.append((_METHOD, name, field.method_name, field))
        elif _context_free(field):
            plan.append((_SHARED, name, "", field))
        else:
            return False
    return plan


def _drf_shows(field: drf_fields.Field) -> bool:
    """The field shows a value as DRF's own field classes do, from the value alone."""
    return type(field).to_representation.__module__ == "rest_framework.fields"


def _context_free(field: drf_fields.Field) -> bool:
    """The field's value and its showing depend on the row alone, not on the serializer it is
    bound to (its context, its parent's methods)."""
    if isinstance(field, serializers.ListSerializer):
        child = field.child
        plan = _class_plan(type(child)) if isinstance(child, DirectRepresentation) else False
        return (
            type(field).to_representation is serializers.ListSerializer.to_representation
            and type(field).get_attribute in (drf_fields.Field.get_attribute, RelatedRows.get_attribute)
            and bool(plan)
            and all(kind != _METHOD for kind, *_rest in plan)
        )
    return (
        not isinstance(field, (serializers.BaseSerializer, relations.RelatedField, relations.ManyRelatedField))
        and type(field).get_attribute is drf_fields.Field.get_attribute
        and _drf_shows(field)
        and (field.default is empty or not callable(field.default))
    )
