"""List filtering, search and ordering for every API (django-filter + DRF), the default
filter backends (REST_FRAMEWORK["DEFAULT_FILTER_BACKENDS"]).

A list view opts in per feature, and each shows in the OpenAPI schema only when declared:

    filterset_class = StudentFilter            # or filterset_fields = ["status"]
    search_fields = ["name", "school"]         # ?search=
    ordering_fields = ["name", "birth_date"]   # ?ordering=name,-birth_date
    ordering = ["name"]                        # the default

A bad filter value is a 400 `validation_error` naming the parameter; use `BooleanFilter`
from here for yes/no parameters (strict: `?at_risk=-102` is an error, not "no filter").
Filters by a related row take its id and narrow to nothing when no such row exists (a
deleted coach's id lists no classes, it is not a bad request): subclass `FilterSet` from
here, which `filterset_fields` views get too (`FilterBackend`).
"""

from __future__ import annotations

import django_filters as df
from django import forms
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from django_filters.utils import translate_validation
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework.filters import OrderingFilter, SearchFilter


# A plain integer in the schema, not int64: a number too large for any id is still a
# question with no rows (tests/academy/test_api_filters.py), not a bad request.
@extend_schema_field(OpenApiTypes.INT)
class IdFilter(df.NumberFilter):
    """A related row's id: any whole number; one that names no row matches nothing."""

    field_class = forms.IntegerField


class FilterSet(df.FilterSet):
    def is_valid(self) -> bool:
        # django-filter reads `?status=` as "no filter"; the schema says an empty value is
        # not a status (nor an id, a number, a date or a boolean): only free-text filters
        # may be given empty.
        valid = super().is_valid()
        if self.is_bound:
            for name, spec in self.filters.items():
                if not isinstance(spec, df.CharFilter) and self.data.get(name, None) == "":
                    if name not in self.form.errors:
                        self.form.add_error(
                            name, forms.ValidationError(_("This field may not be blank."), code="blank")
                        )
                    valid = False
        return valid

    def get_form_class(self):
        """django-filter makes a new form class per request (a type() call and a form field
        per filter, ~0.4 ms); its fields depend only on the filterset class here, so the
        class is made once per filterset class. Django's forms copy their fields per
        instance. A filterset whose filters change per request must override this."""
        cls = type(self)
        form = cls.__dict__.get("_form_class")
        if form is None:
            form = cls._form_class = super().get_form_class()
        return form

    @classmethod
    def filter_for_field(cls, field, field_name, lookup_expr=None):
        from django.db import models

        if (field.many_to_one or field.one_to_one) and lookup_expr in (None, "exact"):
            return IdFilter(field_name=f"{field_name}_id", label=f"{field_name} id")
        if isinstance(field, models.BooleanField) and lookup_expr in (None, "exact"):
            return BooleanFilter(field_name=field_name)
        return super().filter_for_field(field, field_name, lookup_expr)

    @classmethod
    def reads_nothing_from(cls, params) -> bool:
        """True when `params` (the query string) names none of the filters and no filter is
        required: the filterset would leave the rows as they are, so its form need not be
        made nor validated (~0.5 ms of CPU on a list read without filters). Every filter
        leaves the rows alone without a value (django-filter's `EMPTY_VALUES`); a parameter
        name only starting with a filter's name (a range's `_min`, `_after`) counts as
        naming it. A filterset class, or a filter class, that filters its own way is always run."""
        names = cls.__dict__.get("_param_names")
        if names is None:
            own = any(
                getattr(cls, method) is not getattr(FilterSet, method)
                for method in ("__init__", "is_valid", "filter_queryset", "qs", "form", "errors")
            )
            # A required filter refuses a missing value; a filter class of our own might
            # narrow without one (django-filter's own return the rows on an empty value).
            unusual = any(
                spec.extra.get("required") or not type(spec).filter.__module__.startswith("django_filters.")
                for spec in cls.base_filters.values()
            )
            names = cls._param_names = False if own or unusual else tuple(cls.base_filters)
        return names is not False and not any(key.startswith(names) for key in params)


class FilterBackend(DjangoFilterBackend):
    filterset_base = FilterSet

    def filter_queryset(self, request, queryset, view):
        """django-filter's, except that a query string naming none of the filters leaves
        the rows as they are without a form (FilterSet.reads_nothing_from)."""
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is None:
            return queryset
        if issubclass(filterset_class, FilterSet) and filterset_class.reads_nothing_from(request.query_params):
            return queryset
        filterset = filterset_class(**self.get_filterset_kwargs(request, queryset, view))
        if not filterset.is_valid() and self.raise_exception:
            raise translate_validation(filterset.errors)
        return filterset.qs


class DeclaredSearchFilter(SearchFilter):
    """?search= only on views that declare search_fields (and only then in the schema)."""

    def get_schema_operation_parameters(self, view):
        return super().get_schema_operation_parameters(view) if getattr(view, "search_fields", None) else []


class DeclaredOrderingFilter(OrderingFilter):
    """?ordering= only over the fields a view declares (DRF would otherwise offer every
    serializer field), and only then in the schema, with the accepted values listed."""

    def get_valid_fields(self, queryset, view, context=None):
        if not getattr(view, "ordering_fields", None):
            return []
        return super().get_valid_fields(queryset, view, context or {})

    def get_schema_operation_parameters(self, view):
        fields = getattr(view, "ordering_fields", None)
        if not fields:
            return []
        (parameter,) = super().get_schema_operation_parameters(view)
        choices = [f for name in fields for f in (name, f"-{name}")]
        parameter["description"] = f"Order by one or more of, comma-separated: {', '.join(choices)}"
        return [parameter]


class StrictBooleanField(forms.NullBooleanField):
    """true/false/1/0 or nothing; anything else is an error (django-filter's own boolean
    filter reads "-102" as "no filter" and answers 200)."""

    TRUE, FALSE = ("true", "True", "1"), ("false", "False", "0")
    # A plain input: NullBooleanSelect would turn any unknown value into None before to_python.
    widget = forms.TextInput

    def to_python(self, value):
        if value in (None, ""):
            return None
        if value in self.TRUE or value is True:
            return True
        if value in self.FALSE or value is False:
            return False
        raise forms.ValidationError(_("Must be a valid boolean."), code="invalid")

    def validate(self, value):
        pass


class BooleanFilter(df.BooleanFilter):
    field_class = StrictBooleanField
