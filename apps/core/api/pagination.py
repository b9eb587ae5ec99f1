"""The API's page-number pagination (REST_FRAMEWORK["DEFAULT_PAGINATION_CLASS"])."""

from __future__ import annotations

from django.core.paginator import Page
from django.core.paginator import Paginator as DjangoPaginator
from django.db.models import QuerySet, prefetch_related_objects
from rest_framework.exceptions import NotFound
from rest_framework.pagination import PageNumberPagination

from .prefetch import split_listed


class CountSavingPaginator(DjangoPaginator):
    """Django's paginator, except that the first page is read before the total: a first page
    with fewer rows than a page holds is the whole list, so its length is the total and the
    `SELECT COUNT(*)` is not sent. Most lists of an academy fit on their first page; the
    count cost each of them a query's compilation (~0.5–1 ms of CPU) and a round trip. A full
    first page still asks for the count (there may be more), and every other page goes
    through Django's own order (count, then the page): a page number is checked against the
    total before it becomes an OFFSET, so `?page=10**18` stays a 404, not a database error."""

    # tests/query_counts.py turns it off: its sweep compares a one-row page with a page of
    # every row, like with like, and a per-row query must not hide behind a saved count.
    save_count = True

    def page(self, number) -> Page:
        if not self.save_count or self.orphans or "count" in self.__dict__ or str(number) != "1":
            return super().page(number)
        rows = list(self.object_list[: self.per_page])
        if len(rows) < self.per_page:
            # cached_property: what `count` would have answered, without the query.
            self.__dict__["count"] = len(rows)
        return self._get_page(rows, 1, self)


class Pagination(PageNumberPagination):
    """DRF's, except that `?page=` with no number is refused like any other page that is not
    one (404, "Invalid page"), instead of silently meaning page 1: the schema says a page is
    a whole number."""

    django_paginator_class = CountSavingPaginator

    def paginate_queryset(self, queryset, request, view=None):
        if request.query_params.get(self.page_query_param, None) == "":
            raise NotFound(self.invalid_page_message.format(page_number="", message=""))
        # The page's listed() relations in a statement compiled once (apps.core.api.prefetch).
        queryset, listed = split_listed(queryset) if isinstance(queryset, QuerySet) else (queryset, [])
        page = super().paginate_queryset(queryset, request, view)
        for lookup in listed:
            if page and not lookup.attach(page):
                prefetch_related_objects(page, lookup)
        return page
