"""The API's page-number pagination (REST_FRAMEWORK["DEFAULT_PAGINATION_CLASS"])."""

from __future__ import annotations

from rest_framework.exceptions import NotFound
from rest_framework.pagination import PageNumberPagination


class Pagination(PageNumberPagination):
    """DRF's, except that `?page=` with no number is refused like any other page that is not
    one (404, "Invalid page"), instead of silently meaning page 1: the schema says a page is
    a whole number."""

    def paginate_queryset(self, queryset, request, view=None):
        if request.query_params.get(self.page_query_param, None) == "":
            raise NotFound(self.invalid_page_message.format(page_number="", message=""))
        return super().paginate_queryset(queryset, request, view)
