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


def _djangos(filterset_class, query: str, queryset):
    """What django-filter's own backend gives (its filterset and form, every time)."""
    from types import SimpleNamespace

    from django_filters.rest_framework import DjangoFilterBackend
    from rest_framework.request import Request
    from rest_framework.test import APIRequestFactory

    request = Request(APIRequestFactory().get(f"/x/?{query}"))
    return DjangoFilterBackend().filter_queryset(request, queryset, SimpleNamespace(filterset_class=filterset_class))


def _sql(rows) -> tuple:
    sql, params = rows.query.sql_with_params()
    return sql, tuple(params)


DIRECT_QUERIES = {
    "SessionFilter": [
        "date=2026-12-07",
        "date_after=2026-12-01&date_before=2026-12-31&ordering=-date",
        "klass=3&status=held",
        "class=4",  # the older name
        "class=4&klass=5",  # the new name wins
        "klass=1&klass=2",  # the form reads the last
        "status=held&date=2026-12-07&klass=99999999999999999999",
        "date=2026-1-7",
    ],
    "AttendanceFilter": ["session=93", "session=93&status=present", "student=1&method=kiosk&date=2026-12-07"],
    "InvoiceFilter": ["status=issued&family=2", "period=2026-12-01"],
}


def test_plain_filters_filter_directly_as_the_filterset_does(tenants):
    """FilterSet.filter_directly against django-filter's own backend: the same SQL and
    parameters for good values, and None (the filterset then runs) for the rest."""
    from rest_framework.exceptions import ValidationError

    from apps.academy import models as m
    from apps.academy.api import filters as f

    with tenants["academy"].context():
        for name, queries in DIRECT_QUERIES.items():
            filterset_class = getattr(f, name)
            rows = filterset_class._meta.model.objects.all()
            for query in queries:
                direct = filterset_class.filter_directly(rows, QueryDict(query))
                assert direct is not None, (name, query)  # fails without the direct path
                assert _sql(direct) == _sql(_djangos(filterset_class, query, rows)), (name, query)
                assert _sql(_read(filterset_class, query, rows)) == _sql(direct)
        rows = m.Session.objects.all()
        for query in ("date=", "date=yesterday", "klass=x", "status=nonsense", "class=", "date=2026-02-30"):
            assert f.SessionFilter.filter_directly(rows, QueryDict(query)) is None, query
            with pytest.raises(ValidationError) as theirs:
                _djangos(f.SessionFilter, query, rows)
            with pytest.raises(ValidationError) as ours:
                _read(f.SessionFilter, query, rows)
            assert ours.value.detail == theirs.value.detail or query.endswith("=")  # blank: ours is stricter


def test_filtersets_that_filter_their_own_way_are_not_read_directly(tenants):
    import django_filters as df

    from apps.academy.api.filters import GuardianLinkFilter
    from apps.academy.models import GuardianLink
    from apps.core.api.filters import FilterSet

    with tenants["academy"].context():
        # A filter with a method of its own (q, pending): the filterset runs.
        assert StudentFilter.filter_directly(Student.objects.all(), QueryDict("status=active")) is None
        assert GuardianLinkFilter.filter_directly(GuardianLink.objects.all(), QueryDict("status=approved")) is None

        class Many(FilterSet):
            grades = df.MultipleChoiceFilter(field_name="grade", choices=[("1", "1"), ("2", "2")])

            class Meta:
                model = Student
                fields = []

        assert Many.filter_directly(Student.objects.all(), QueryDict("grades=1&grades=2")) is None
