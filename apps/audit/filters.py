"""Filters of the audit log shared by the API and the CSV export; a bad value is an
error naming the parameter."""

from __future__ import annotations

import re
from datetime import datetime, time

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from apps.core.api.schema import DATE_PATTERN, DATE_TIME_PATTERN

FILTERS = ("action", "actor", "resource_type", "resource_id", "since", "until")


def _moment(name: str, value: str, *, end: bool) -> datetime:
    if not (re.match(DATE_PATTERN, value) or re.match(DATE_TIME_PATTERN, value)):
        raise ValidationError({name: _("Expected a date (2026-03-01) or a date and time.")})
    parsed = parse_datetime(value)
    if parsed is None:
        day = parse_date(value)
        if day is None:
            raise ValidationError({name: _("Expected a date (2026-03-01) or a date and time.")})
        parsed = datetime.combine(day, time.max if end else time.min)
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    return parsed


def apply(queryset: QuerySet, params) -> tuple[QuerySet, dict]:
    """Filter by the query parameters; returns the rows and the filters used."""
    used = {name: params.get(name) for name in FILTERS if params.get(name)}
    errors: dict[str, str] = {}
    if "action" in used:
        queryset = queryset.filter(action=used["action"])
    if "actor" in used:
        actor = used["actor"]
        queryset = queryset.filter(actor_id=int(actor)) if actor.isdigit() else queryset.filter(actor_username=actor)
    if "resource_type" in used:
        queryset = queryset.filter(resource_type=used["resource_type"])
    if "resource_id" in used:
        queryset = queryset.filter(resource_id=used["resource_id"])
    for name, lookup, end in (("since", "at__gte", False), ("until", "at__lte", True)):
        if name in used:
            try:
                queryset = queryset.filter(**{lookup: _moment(name, used[name], end=end)})
            except ValidationError as exc:
                errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    return queryset, used
