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


def _read(filterset_class, query: str, queryset):
    """What the API's filter backend gives for a list view of `filterset_class`."""
    from types import SimpleNamespace

    from rest_framework.request import Request
    from rest_framework.test import APIRequestFactory

    from apps.core.api.filters import FilterBackend

    request = Request(APIRequestFactory().get(f"/x/?{query}"))
    return FilterBackend().filter_queryset(request, queryset, SimpleNamespace(filterset_class=filterset_class))


def test_a_list_read_without_filters_skips_the_filterset_and_keeps_its_rows(tenants):
    """No filter named in the query string: the rows as they are, with no form made (the
    same object back, where django-filter would have made a form and cloned the rows)."""
    import django_filters as df
    from rest_framework.exceptions import ValidationError

    from apps.core.api.filters import FilterSet

    with tenants["academy"].context():
        rows = Student.objects.all()
        for query in ("", "page=2&ordering=name&search=x", "unknown=1"):
            assert _read(StudentFilter, query, rows) is rows, query
        assert _read(StudentFilter, "status=active", rows) is not rows
        with pytest.raises(ValidationError):
            _read(StudentFilter, "status=", rows)  # an empty status is still refused
        with pytest.raises(ValidationError):
            _read(StudentFilter, "status=nonsense", rows)

        class Required(FilterSet):
            grade = df.CharFilter(required=True)

            class Meta:
                model = Student
                fields = []

        class OwnFilter(df.CharFilter):
            def filter(self, qs, value):
                return qs.filter(grade="1")

        class Narrowing(FilterSet):
            grade = OwnFilter()

            class Meta:
                model = Student
                fields = []

        class Ranged(FilterSet):
            born = df.DateFromToRangeFilter(field_name="created_at")

            class Meta:
                model = Student
                fields = []

        with pytest.raises(ValidationError):
            _read(Required, "", rows)  # a required filter still answers "required"
        assert str(_read(Narrowing, "", rows).query) == str(rows.filter(grade="1").query)
        assert not Ranged.reads_nothing_from(QueryDict("born_after=2020-01-01"))
        assert Ranged.reads_nothing_from(QueryDict("page=1"))
