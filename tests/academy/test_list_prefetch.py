"""The student and invoice lists read their related rows (guardian links, invoice lines) into
plain lists (apps/core/api/prefetch.py) and show exactly what a row read alone shows."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection
from django.db.models import Count
from django.test.utils import CaptureQueriesContext

from apps.academy import models as m
from apps.academy.api import serializers as s
from apps.academy.api.views import InvoiceViewSet, StudentViewSet
from apps.academy.services import billing, enrollment
from apps.core.api.prefetch import listed, related_rows, split_listed

from .conftest import enrolled_kids

pytestmark = pytest.mark.usefixtures("before_december")


@pytest.fixture
def desk(academy, member):
    with academy.t.context():
        kids = enrolled_kids(academy)  # the first two one family
        enrollment.enroll(kids[2], academy.other, starts_on=date(2026, 12, 1))
        billing.issue_monthly_invoices(date(2026, 12, 1))
    _staff, client = member("academy", "staff")
    return kids, client


def test_list_rows_are_what_a_row_read_alone_shows(academy, desk):
    _kids, client = desk
    students = client.get("/api/v1/students/").json()["results"]
    invoices = client.get("/api/v1/invoices/").json()["results"]
    assert len(students) == 3 and any(row["guardians"] for row in students)
    assert len(invoices) == 2 and sum(len(row["lines"]) for row in invoices) >= 3
    with academy.t.context():
        # Each row read without any prefetch: the serializers fall back to the relations.
        alone = {row.pk: s.StudentSerializer(row).data for row in m.Student.objects.all()}
        assert students == [alone[row["id"]] for row in students]
        alone = {row.pk: s.InvoiceSerializer(row).data for row in m.Invoice.objects.all()}
        assert invoices == [alone[row["id"]] for row in invoices]
    for path, rows in (("/api/v1/students/", students), ("/api/v1/invoices/", invoices)):
        for row in rows:
            assert client.get(f"{path}{row['id']}/").json() == row


def test_the_lists_prefetch_into_lists_not_a_related_manager_per_row(academy, desk):
    """The saving itself (~1.4 ms a request on the bench's lists): a plain
    prefetch_related() would give every row a filtered queryset of its own."""
    with academy.t.context():
        for queryset, relation in (
            (StudentViewSet.base_queryset, "guardian_links"),
            (InvoiceViewSet.base_queryset, "lines"),
        ):
            rows = list(queryset.all())
            assert rows
            for row in rows:
                assert isinstance(row.__dict__.get(f"_listed_{relation}"), list), relation
                assert relation not in getattr(row, "_prefetched_objects_cache", {}), relation


def test_related_rows_reads_the_list_or_the_relation(academy, desk):
    with academy.t.context():
        plain = m.Invoice.objects.order_by("pk")
        expected = [[line.pk for line in invoice.lines.all()] for invoice in plain]
        prefetched = list(plain.prefetch_related(listed("lines")))
        with CaptureQueriesContext(connection) as captured:
            assert [[line.pk for line in related_rows(i, "lines")] for i in prefetched] == expected
        assert len(captured) == 0
        with CaptureQueriesContext(connection) as captured:
            assert [[line.pk for line in related_rows(i, "lines")] for i in plain.all()] == expected
        assert len(captured) == len(expected) + 1  # the invoices, then each one's lines
        with pytest.raises(ValueError):
            listed("lines__enrollment")


def _state(obj) -> dict:
    """What a prefetched row holds: its loaded columns and the related rows cached on it."""
    values = {k: v for k, v in obj.__dict__.items() if not k.startswith("_")}
    cached = {name: getattr(rel, "pk", rel) for name, rel in obj._state.fields_cache.items()}
    return {"values": values, "cached": cached, "deferred": sorted(obj.get_deferred_fields())}


@pytest.mark.parametrize(
    ("queryset", "relation"),
    [(StudentViewSet.base_queryset, "guardian_links"), (InvoiceViewSet.base_queryset, "lines")],
)
def test_attach_gives_what_djangos_prefetch_gives(academy, desk, queryset, relation):
    """Listed.attach (the list pages' compiled read) against Django's own prefetch: the same
    rows in the same order, with the same columns loaded, the same related rows cached
    (select_related, and the owner set on each related row) — and one query."""
    with academy.t.context():
        (lookup,) = queryset._prefetch_related_lookups
        django_rows = list(queryset.all())  # Django's prefetch
        plain, found = split_listed(queryset.all())
        assert found == [lookup] and not plain._prefetch_related_lookups
        rows = list(plain)
        assert [r.pk for r in rows] == [r.pk for r in django_rows]
        with CaptureQueriesContext(connection) as captured:
            assert lookup.attach(rows) is True
        assert len(captured) == 1 and "= ANY(" in captured[0]["sql"]  # fails with Django's prefetch
        for mine, theirs in zip(rows, django_rows, strict=True):
            got, expected = mine.__dict__[f"_listed_{relation}"], theirs.__dict__[f"_listed_{relation}"]
            assert [_state(r) for r in got] == [_state(r) for r in expected]
            for related in got:
                owner = next(
                    iter(
                        f
                        for f in type(related)._meta.concrete_fields
                        if f.is_relation and f.remote_field.model is type(mine)
                    )
                )
                assert owner.get_cached_value(related) is mine
        assert lookup.attach([]) is True


def test_attach_refuses_what_it_cannot_read(academy, desk):
    with academy.t.context():
        invoices = list(m.Invoice.objects.all())
        sliced = listed("lines", m.InvoiceLine.objects.all()[:1])
        assert sliced.attach(invoices) is False
        annotated = listed("lines", m.InvoiceLine.objects.annotate(n=Count("id")))
        assert annotated.attach(invoices) is False
        assert not any("_listed_lines" in invoice.__dict__ for invoice in invoices)


def test_lists_read_their_listed_relations_compiled(academy, desk):
    """Through the API: the student and invoice lists' related rows come by the compiled
    statement (`= ANY`), in one query each, with the page's rows as before."""
    _kids, client = desk
    for path in ("/api/v1/students/", "/api/v1/invoices/"):
        with CaptureQueriesContext(connection) as captured:
            response = client.get(path)
        assert response.status_code == 200
        assert sum("= ANY(" in q["sql"] for q in captured) == 1, path
