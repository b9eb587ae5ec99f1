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
    # Older names of parameters, read as the new one when that is not given:
    # {"class": "klass"} takes ?class=3 as ?klass=3.
    param_aliases: dict[str, str] = {}

    def __init__(self, data=None, *args, **kwargs):
        if data is not None:
            data = _with_aliases(data, self.param_aliases)
        super().__init__(data, *args, **kwargs)

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
            # An older name (param_aliases) names its filter too.
            names = cls._param_names = False if own or unusual else (*cls.base_filters, *cls.param_aliases)
        return names is not False and not any(key.startswith(names) for key in params)

    @classmethod
    def filter_directly(cls, rows, params):
        """The rows filtered as the filterset would filter them, without making the filterset
        and its form (~0.15–0.2 ms of CPU a request), or None when this cannot be sure of
        giving the same answer: the caller then runs the filterset.

        django-filter deep-copies its filters and makes and validates a form of every
        filter for each request. Here each named parameter is read as that form reads it
        (its widget's value_from_datadict), validated by the same form field (the form
        class's, made once per class: get_form_class) and applied by the filter's own
        `filter()`, in the filters' order. Only for filtersets whose every filter is of
        the plain kind: django-filter's own filtering, no `method=`, not required, a widget
        reading one value. An empty or invalid value goes to the filterset, whose form
        makes the error."""
        plan = cls.__dict__.get("_direct_plan")
        if plan is None:
            plan = cls._direct_plan = cls._make_direct_plan()
        if not plan:
            return None
        params = _with_aliases(params, cls.param_aliases)
        for name, spec, field in plan:
            raw = field.widget.value_from_datadict(params, {}, name)
            if raw is None:
                continue
            if raw == "":
                return None
            try:
                value = field.clean(raw)
            except forms.ValidationError:
                return None
            rows = spec.filter(rows, value)
        return rows

    @classmethod
    def _make_direct_plan(cls) -> list | bool:
        cls.reads_nothing_from({})  # its checks of the class: False when it filters its own way
        if cls.__dict__.get("_param_names") is False or cls.get_form_class is not FilterSet.get_form_class:
            return False
        if "_form_class" not in cls.__dict__:
            cls(queryset=cls._meta.model._default_manager.none()).get_form_class()
        form_class = cls.__dict__["_form_class"]
        plan = []
        for name, spec in cls.base_filters.items():
            field = form_class.base_fields[name]
            if (
                spec.method is not None
                or type(spec).filter not in (df.Filter.filter, df.ChoiceFilter.filter)
                or type(field.widget).value_from_datadict not in _ONE_VALUE_READS
                or getattr(field.widget, "allow_multiple_selected", False)
                or field.required
                or field.disabled
            ):
                return False
            plan.append((name, spec, field))
        return plan


# Widgets reading one value of a parameter (`data.get(name)`: the last when repeated).
_ONE_VALUE_READS = (forms.Widget.value_from_datadict, forms.widgets.ChoiceWidget.value_from_datadict)


def _with_aliases(data, aliases: dict[str, str]):
    for old, new in aliases.items():
        if old in data and new not in data:
            data = data.copy()
            data[new] = data[old]
    return data


class FilterBackend(DjangoFilterBackend):
    filterset_base = FilterSet

    def filter_queryset(self, request, queryset, view):
        """django-filter's, except that a query string naming none of the filters leaves
        the rows as they are without a form (FilterSet.reads_nothing_from), and plain
        filters with good values filter without one (FilterSet.filter_directly)."""
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is None:
            return queryset
        if issubclass(filterset_class, FilterSet):
            if filterset_class.reads_nothing_from(request.query_params):
                return queryset
            rows = filterset_class.filter_directly(queryset, request.query_params)
            if rows is not None:
                return rows
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
