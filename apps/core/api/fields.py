"""Serializer fields every API uses for dates: a date or time outside 1900–2100 is a field
error, not a row (a consultation once accepted year 0165 and came back as
"0165-09-15T07:38:03+08:27:52", Seoul's local mean time of that year).

`ModelSerializer` maps model date fields to them; declare `PlausibleDateField()` /
`PlausibleDateTimeField()` instead of DRF's own on plain serializers."""

from __future__ import annotations

import datetime

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

EARLIEST = datetime.date(1900, 1, 1)
LATEST = datetime.date(2100, 12, 31)
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
        moment = super().to_internal_value(value)
        day = timezone.localtime(moment).date() if timezone.is_aware(moment) else moment.date()
        if not EARLIEST <= day <= LATEST:
            self.fail("implausible")
        return moment


class ModelSerializer(serializers.ModelSerializer):
    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.DateField: PlausibleDateField,
        models.DateTimeField: PlausibleDateTimeField,
    }
