"""Serializer fields every API uses for dates: a date or time outside 1900–2100 is a field
error, not a row (a consultation once accepted year 0165 and came back as
"0165-09-15T07:38:03+08:27:52", Seoul's local mean time of that year).

`ModelSerializer` maps model date fields to them; declare `PlausibleDateField()` /
`PlausibleDateTimeField()` instead of DRF's own on plain serializers."""

from __future__ import annotations

import copy
import datetime
import functools

from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

EARLIEST = datetime.date(1900, 1, 1)
LATEST = datetime.date(2100, 12, 31)
MAX_UTC_OFFSET = datetime.timedelta(hours=14)
MESSAGE = _("Enter a date between 1900-01-01 and 2100-12-31.")


class PlausibleDateField(serializers.DateField):
    default_error_messages = {"implausible": MESSAGE}

    def to_internal_value(self, value):
        day = super().to_internal_value(value)
        if not EARLIEST <= day <= LATEST:
            self.fail("implausible")
        return day


class PlausibleDateTimeField(serializers.DateTimeField):
    default_error_messages = {"implausible": MESSAGE}

    def to_internal_value(self, value):
        # The offset as written, before DRF converts to Seoul time: no place is more than 14
        # hours from UTC, and a value like +21:28 reached PostgreSQL where it is not converted.
        written = parse_datetime(value) if isinstance(value, str) else None
        offset = written.utcoffset() if written is not None else None
        if offset is not None and abs(offset) > MAX_UTC_OFFSET:
            self.fail("implausible")
        moment = super().to_internal_value(value)
        day = timezone.localtime(moment).date() if timezone.is_aware(moment) else moment.date()
        if not EARLIEST <= day <= LATEST:
            self.fail("implausible")
        return moment


class PrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """DRF's, except that an id too large for the database (`99999999999999999999`) names
    nothing, like any other unknown id (`does_not_exist`), instead of a type error."""

    def to_internal_value(self, data):
        if isinstance(data, str) and data.strip().lstrip("-").isdigit():
            data = int(data)
        if isinstance(data, int) and not isinstance(data, bool) and not -(2**63) <= data < 2**63:
            self.fail("does_not_exist", pk_value=data)
        return super().to_internal_value(data)


# What the API takes as a Korean phone number, stricter than the importer's normaliser
# (apps.core.normalise), so that the schema can say exactly what is accepted: mobile
# (010 + 8 digits, 011/016–019 + 7–8), Seoul 02, the area codes, 070 and 050x, written
# with or without - or spaces, from 0 or from +82.
PHONE_PATTERN = (
    r"^(?:\+82[ -]?|0)(?:10[ -]?[0-9]{4}|1[16-9][ -]?[0-9]{3,4}|2[ -]?[0-9]{3,4}"
    r"|(?:3[1-3]|4[1-4]|5[1-5]|6[1-4]|70|50[0-9])[ -]?[0-9]{3,4})[ -]?[0-9]{4}$"
)


@extend_schema_field({"type": "string", "pattern": f"^$|{PHONE_PATTERN}", "example": "010-1234-5678"})
class PhoneField(serializers.CharField):
    default_error_messages = {"phone": _("Enter a Korean phone number, e.g. 010-1234-5678.")}

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_blank", True)
        super().__init__(**kwargs)
        self.validators.append(RegexValidator(PHONE_PATTERN, message=self.error_messages["phone"], code="phone"))


class ModelSerializer(serializers.ModelSerializer):
    serializer_related_field = PrimaryKeyRelatedField
    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.DateField: PlausibleDateField,
        models.DateTimeField: PlausibleDateTimeField,
    }

    def get_fields(self) -> dict[str, serializers.Field]:
        """DRF's fields, with what it works out from the model kept per class: DRF inspects
        the model and builds each field's arguments anew for every serializer made (each
        API response, each list's child), ~1 ms of CPU for a dozen fields. The arguments
        depend only on the class (its Meta, the model), so the first instance records them
        and later ones make fresh fields from them, as DRF's own copy of a field does
        (`Field.__deepcopy__`: same class, same arguments). Declared fields are copied
        per instance as before; a subclass that builds fields its own way is not cached."""
        cls = type(self)
        plan = cls.__dict__.get("_field_plan")
        if not plan:
            fields = super().get_fields()
            if plan is None:
                builds_its_own = any(
                    getattr(cls, name) is not getattr(ModelSerializer, name) for name in _FIELD_BUILDERS
                )
                declared = self._declared_fields
                cls._field_plan = (
                    False
                    if builds_its_own
                    else [(name, _field_recipe(field, name in declared)) for name, field in fields.items()]
                )
            return fields
        declared = copy.deepcopy(self._declared_fields)
        return {name: declared[name] if recipe is None else recipe() for name, recipe in plan}


# The methods DRF builds model fields with: a serializer overriding one may depend on more
# than its class (the request, the tenant), so its fields are not cached.
_FIELD_BUILDERS = (
    "get_field_names",
    "get_default_field_names",
    "get_extra_kwargs",
    "get_uniqueness_extra_kwargs",
    "include_extra_kwargs",
    "build_field",
    "build_standard_field",
    "build_relational_field",
    "build_nested_field",
    "build_property_field",
    "build_url_field",
    "build_unknown_field",
)
# Arguments DRF's own field copy shares rather than copies (`Field.__deepcopy__`), plus the
# model field and queryset, which a field only reads (a related field's queryset is
# cloned with .all() on every use).
_SHARED_ARGUMENTS = frozenset({"validators", "regex", "model_field", "queryset"})
_IMMUTABLE = (str, int, float, bool, type(None), Promise)


def _field_recipe(field: serializers.Field, declared: bool):
    """None for a declared field (copied per instance), else how to make a fresh copy."""
    if declared:
        return None
    kind, args, kwargs = type(field), field._args, field._kwargs
    if args or any(isinstance(value, (serializers.Field, serializers.BaseSerializer)) for value in kwargs.values()):
        # A field holding a field (a to-many relation's child, a nested serializer): DRF's
        # deep copy, which copies the inner one too.
        return functools.partial(copy.deepcopy, field)
    shared = {k: v for k, v in kwargs.items() if k in _SHARED_ARGUMENTS or isinstance(v, _IMMUTABLE)}
    copied = {k: v for k, v in kwargs.items() if k not in shared}
    if not copied:
        return functools.partial(kind, **shared)
    return lambda: kind(**shared, **copy.deepcopy(copied))
