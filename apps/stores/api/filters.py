"""Query filters of the review inbox (django-filter), shown in the OpenAPI schema with their
types and choices. Filters narrow the rows of the user's scope; they never widen it."""

from __future__ import annotations

import django_filters as df
from django.db.models import Q

from apps.core.api.filters import BooleanFilter, FilterSet

from .. import models as m


class ReviewFilter(FilterSet):
    rating = df.TypedChoiceFilter(choices=[(n, str(n)) for n in range(1, 6)], coerce=int, label="stars")
    urgent = BooleanFilter(method="only_urgent", label="only reviews with urgent matters")
    q = df.CharFilter(method="text_or_author", label="text or author contains")
    keyword = df.CharFilter(method="with_keyword", label="has this keyword")

    class Meta:
        model = m.Review
        fields = ["store", "platform", "sentiment", "reply_status"]

    def only_urgent(self, rows, name, value):
        return rows.exclude(urgent=[]) if value else rows

    def text_or_author(self, rows, name, value):
        return rows.filter(Q(text__icontains=value) | Q(author__icontains=value))

    def with_keyword(self, rows, name, value):
        return rows.filter(keywords__contains=[value])
