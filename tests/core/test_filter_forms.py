"""A filterset's form class is made once per filterset class (apps/core/api/filters.py):
each request still gets its own form, fields and errors."""

from __future__ import annotations

import pytest
from django.http import QueryDict

from apps.academy.api.filters import StudentFilter
from apps.academy.models import Student

pytestmark = pytest.mark.django_db


def test_one_form_class_per_filterset_and_a_form_of_its_own_per_request(tenants):
    with tenants["academy"].context():
        bad = StudentFilter(QueryDict("status=nonsense&family="), queryset=Student.objects.all())
        good = StudentFilter(QueryDict("status=active"), queryset=Student.objects.all())
        assert good.get_form_class() is bad.get_form_class() is StudentFilter.__dict__["_form_class"]
        assert not bad.is_valid() and set(bad.errors) == {"status", "family"}
        assert good.is_valid() and not good.errors
        assert good.form.fields["status"] is not bad.form.fields["status"]
        assert good.form.cleaned_data["status"] == "active"
