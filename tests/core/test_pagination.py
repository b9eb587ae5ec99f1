"""The API's paginator reads the page before the total and skips the COUNT when the page is
not full (apps/core/api/pagination.py): the totals, the pages past the end and the query
sent must be what Django's own paginator gives."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.core.api.pagination import CountSavingPaginator
from tests.utils import make_user

pytestmark = pytest.mark.django_db


def _read(paginator_class, per_page: int, number):
    users = get_user_model().objects.filter(username__startswith="pg_").order_by("pk")
    with CaptureQueriesContext(connection) as captured:
        paginator = paginator_class(users, per_page)
        page = paginator.page(number)
        rows = [u.username for u in page]
        answer = (rows, paginator.count, paginator.num_pages, page.has_next(), page.has_previous())
    counts = [q["sql"] for q in captured.captured_queries if q["sql"].startswith("SELECT COUNT(*)")]
    return answer, len(counts)


def test_the_same_pages_and_totals_as_django_with_a_count_only_for_full_pages(tenants):
    with tenants["academy"].context():
        for n in range(7):
            make_user(f"pg_{n}")
        # Only a first page that is not full goes without the count: every other page is
        # checked against the total first, as Django does.
        for per_page, number, counted in [(10, 1, 0), (8, 1, 0), (7, 1, 1), (3, 1, 1), (3, 2, 1), (3, 3, 1), (5, 2, 1)]:
            ours, count_queries = _read(CountSavingPaginator, per_page, number)
            assert ours == _read(Paginator, per_page, number)[0], (per_page, number)
            assert count_queries == counted, (per_page, number)


def test_pages_that_are_not_there_are_refused_as_django_refuses_them(tenants):
    with tenants["academy"].context():
        for n in range(4):
            make_user(f"pg_{n}")
        numbers = [(3, EmptyPage), (9, EmptyPage), (10**18, EmptyPage), (0, EmptyPage), ("x", PageNotAnInteger)]
        for number, error in numbers:
            for paginator_class in (CountSavingPaginator, Paginator):
                with pytest.raises(error):
                    _read(paginator_class, 2, number)
        # No rows at all: page 1 is there and empty, as in Django (allow_empty_first_page).
        get_user_model().objects.filter(username__startswith="pg_").delete()
        assert _read(CountSavingPaginator, 2, 1) == (([], 0, 1, False, False), 0)


def test_an_api_list_counts_its_rows_and_refuses_a_page_past_the_end(tenants, member):
    _staff, client = member("academy", "staff")
    listed = client.get("/api/v1/students/")
    assert listed.status_code == 200
    assert listed.json()["count"] == len(listed.json()["results"])
    assert client.get("/api/v1/students/?page=2").status_code == 404
    # A page number past any OFFSET the database takes: a 404, never a database error.
    assert client.get(f"/api/v1/students/?page={10**18}").status_code == 404
    assert client.get("/api/v1/students/?page=last").status_code == 200
