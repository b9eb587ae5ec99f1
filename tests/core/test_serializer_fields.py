"""The project's ModelSerializer keeps what DRF works out from the model per class
(apps/core/api/fields.py): every serializer of every tenant type must get the same fields
as DRF builds afresh, and fresh objects of its own, never another instance's."""

from __future__ import annotations

import pytest
from django.urls import get_resolver
from rest_framework import serializers

from apps.core.api.fields import ModelSerializer

pytestmark = pytest.mark.django_db

TYPES = {"academy": "academy", "zone": "zone", "store": "store", "club": "club"}


def _subclasses(cls) -> list[type]:
    found = []
    for sub in cls.__subclasses__():
        found += [sub, *_subclasses(sub)]
    return found


def _described(fields) -> dict[str, str]:
    # DRF's repr of a field names its class and every argument it was made with.
    return {name: repr(field) for name, field in fields.items()}


@pytest.mark.parametrize("key", sorted(TYPES))
def test_every_model_serializer_gets_the_fields_drf_would_build(tenants, key):
    t = tenants[key]
    get_resolver(f"config.urls.{TYPES[key]}").url_patterns  # noqa: B018 (imports every serializer)
    checked = 0
    with t.context():
        for cls in _subclasses(ModelSerializer):
            if getattr(getattr(cls, "Meta", None), "model", None) is None:
                continue
            first, second = cls(), cls()
            first_fields = dict(first.fields)
            # (a subclass may add its own fields on top: ModelSerializer's part is compared)
            cached = ModelSerializer.get_fields(second)
            assert _described(cached) == _described(serializers.ModelSerializer.get_fields(cls())), cls
            for name, field in cached.items():
                if name in first_fields:
                    assert field is not first_fields[name], (cls, name)
                    assert field._kwargs is not first_fields[name]._kwargs, (cls, name)
            checked += 1
    assert checked >= 3


def test_the_fields_are_worked_out_once_per_class(tenants):
    from apps.academy.api.serializers import InvoiceSerializer, StudentSerializer

    with tenants["academy"].context():
        for cls in (StudentSerializer, InvoiceSerializer):
            cls().fields  # noqa: B018
            assert cls.__dict__["_field_plan"], cls
            # A field bound to one response is never the next one's.
            one, two = cls().fields, cls().fields
            assert all(one[name] is not two[name] and two[name].parent is not one[name].parent for name in one)
