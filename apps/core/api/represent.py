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
"""

from __future__ import annotations

from functools import cached_property

from django.core.exceptions import FieldDoesNotExist
from rest_framework import fields as drf_fields
from rest_framework import relations, serializers
from rest_framework.fields import SkipField
from rest_framework.relations import PKOnlyObject

_GENERIC, _COLUMN, _KEY = 0, 1, 2


class DirectRepresentation:
    """A ModelSerializer mixin (put it first): `to_representation` reading columns directly."""

    @cached_property
    def _direct_plan(self) -> list[tuple[int, str, str, drf_fields.Field]]:
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
