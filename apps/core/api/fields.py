"""Serializer fields every API uses for dates: a date or time outside 1900–2100 is a field
error, not a row (a consultation once accepted year 0165 and came back as
"0165-09-15T07:38:03+08:27:52", Seoul's local mean time of that year).

`ModelSerializer` maps model date fields to them; declare `PlausibleDateField()` /
`PlausibleDateTimeField()` instead of DRF's own on plain serializers."""

from __future__ import annotations

import datetime

from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.dateparse import parse_datetime
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
