"""The base of every vertical's API viewsets (DESIGN.md, convention 4).

    class StudentViewSet(ScopedViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
        resource = "student"
        base_queryset = Student.objects.all()
        permission_classes = [HasPermission(resource="student")]

Lists and detail lookups hold only the rows in the user's scope for `<resource>:read`
(apps.accounts.scoping: the same registered scopes as the admin and websocket events); a
row that exists outside the scope answers 404 like a missing one, and the attempt is
written to the audit log.
"""

from __future__ import annotations

from django.http import Http404
from rest_framework import viewsets

from apps.accounts.scoping import record_out_of_scope, visible_to


class ScopedViewSet(viewsets.GenericViewSet):
    """Rows in the user's scope for the resource's read permission."""

    resource = ""
    base_queryset = None
    lookup_value_regex = "[0-9]+"  # ids only: anything else is a 404 from the router, never a 500
    # The columns the list action reads (QuerySet.only(), paths into select_related rows
    # included), when its serializer shows fewer than the rows hold: every column loaded is
    # compiled into the query, sent and made into the row (an encrypted one decrypted) for
    # nothing. Detail reads and actions read whole rows. A field shown but not listed here
    # would be a query per row: the query-count sweep (tests/query_counts.py) catches it.
    list_columns: tuple[str, ...] = ()

    def get_queryset(self):
        rows = visible_to(self.base_queryset.all(), self.request.user, f"{self.resource}:read")
        if self.list_columns and getattr(self, "action", None) == "list":
            rows = rows.only(*self.list_columns)
        return rows

    def get_object(self):
        try:
            return super().get_object()
        except Http404:
            key = self.lookup_url_kwarg or self.lookup_field
            lookup = {self.lookup_field: self.kwargs.get(key)}
            record_out_of_scope(self.base_queryset.all(), self.request.user, f"{self.resource}:read", **lookup)
            raise
