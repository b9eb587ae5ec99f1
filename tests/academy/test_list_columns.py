"""The academy's lists read only the columns their serializers show (ScopedViewSet.list_columns)
and show exactly what the whole rows show."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.academy import models as m
from apps.academy.api import serializers as s
from apps.academy.api import views as v
from apps.academy.services import attendance, billing, schedule

from .conftest import enrolled_kids

pytestmark = pytest.mark.usefixtures("before_december")


@pytest.fixture
def desk(academy, member):
    with academy.t.context():
        kids = enrolled_kids(academy, second_birth=None)
        schedule.generate_sessions(date(2026, 12, 1), date(2026, 12, 14))
        first = m.Session.objects.filter(klass=academy.klass).order_by("date", "starts_at").first()
        attendance.mark(first, kids[0], "present")
        attendance.mark(first, kids[1], "late")
        billing.issue_monthly_invoices(date(2026, 12, 1))
    _staff, client = member("academy", "staff")
    return first, client


LISTS = [
    # path, view, serializer, a column of the table the list no longer reads
    ("/api/v1/students/", v.StudentViewSet, s.StudentSerializer, '"academy_student"."kiosk_pin_hash"'),
    ("/api/v1/sessions/?date_after=2026-12-01", v.SessionViewSet, s.SessionSerializer, '"academy_class"."monthly_fee"'),
    ("/api/v1/attendance/?session={session}", v.AttendanceViewSet, s.AttendanceSerializer, '"academy_student"."phone"'),
    ("/api/v1/invoices/", v.InvoiceViewSet, s.InvoiceSerializer, '"academy_invoice"."created_by_id"'),
]


@pytest.mark.parametrize(("path", "view", "serializer", "dropped"), LISTS)
def test_lists_show_what_whole_rows_show_and_read_fewer_columns(academy, desk, path, view, serializer, dropped):
    session, client = desk
    with CaptureQueriesContext(connection) as captured:
        rows = client.get(path.format(session=session.pk)).json()["results"]
    assert rows
    # Fails while the list reads whole rows.
    assert not any(dropped in q["sql"] for q in captured), dropped
    with academy.t.context():
        whole = {row.pk: row for row in view.base_queryset.model.objects.all()}
        assert rows == [serializer(whole[row["id"]]).data for row in rows]
