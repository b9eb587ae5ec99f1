"""Changelists in a fixed number of queries: computed columns loaded for the whole page.

A column computed per row (a balance, a count, the latest snapshot) is one query per row:
a changelist of 100 rows ran 100 more queries than a changelist of one. A ModelAdmin with
`PageColumnsMixin` gets `load_page(request, objects)` called once with the page's rows (the
same instances the template renders) and stores each row's value on it; its display
methods read that value and fall back to the per-row computation when it is absent (a
detail page). tests/academy/test_query_counts.py checks every changelist.
"""

from __future__ import annotations


class PageColumnsMixin:
    def get_changelist_instance(self, request):
        changelist = super().get_changelist_instance(request)
        # Evaluated once here; the template iterates the same, now cached, rows.
        objects = list(changelist.result_list)
        if objects:
            self.load_page(request, objects)
        return changelist

    def load_page(self, request, objects: list) -> None:
        """Set each object's computed columns, a fixed number of queries for the page."""
