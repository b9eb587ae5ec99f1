"""The API's page-number pagination (REST_FRAMEWORK["DEFAULT_PAGINATION_CLASS"])."""

from __future__ import annotations

from django.core.paginator import EmptyPage, Page, PageNotAnInteger
from django.core.paginator import Paginator as DjangoPaginator
from rest_framework.exceptions import NotFound
from rest_framework.pagination import PageNumberPagination


class CountSavingPaginator(DjangoPaginator):
    """Django's paginator, except that the page is read before the total: a page with fewer
    rows than a page holds is the last one, so the total is the rows before it plus its own,
    and the `SELECT COUNT(*)` is not sent. Most lists of an academy fit on their first page;
    the count query cost each of them a query's compilation (~0.5–1 ms of CPU) and a round
    trip. A full page still asks for the count (there may be more), and a page past the end
    is refused as Django refuses it."""

    # tests/query_counts.py turns it off: its sweep compares a one-row page with a page of
    # every row, like with like, and a per-row query must not hide behind a saved count.
    save_count = True

    def page(self, number) -> Page:
        if not self.save_count or self.orphans or "count" in self.__dict__:
            return super().page(number)
        try:
            if isinstance(number, float) and not number.is_integer():
                raise ValueError
            number = int(number)
        except (TypeError, ValueError):
            raise PageNotAnInteger(self.error_messages["invalid_page"]) from None
        if number < 1:
            raise EmptyPage(self.error_messages["min_page"])
        bottom = (number - 1) * self.per_page
        rows = list(self.object_list[bottom : bottom + self.per_page])
        if not rows and number > 1:
            raise EmptyPage(self.error_messages["no_results"])
        if len(rows) < self.per_page:
            # cached_property: what `count` would have answered, without the query.
            self.__dict__["count"] = bottom + len(rows)
        elif number > self.num_pages:  # (a full page: the count decides, as in Django)
            raise EmptyPage(self.error_messages["no_results"])
        return self._get_page(rows, number, self)


class Pagination(PageNumberPagination):
    """DRF's, except that `?page=` with no number is refused like any other page that is not
    one (404, "Invalid page"), instead of silently meaning page 1: the schema says a page is
    a whole number."""

    django_paginator_class = CountSavingPaginator

    def paginate_queryset(self, queryset, request, view=None):
        if request.query_params.get(self.page_query_param, None) == "":
            raise NotFound(self.invalid_page_message.format(page_number="", message=""))
        return super().paginate_queryset(queryset, request, view)
