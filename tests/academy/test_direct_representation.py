"""The academy's read-only list serializers read model columns directly
(apps/core/api/represent.py): each must give exactly what DRF's own `to_representation`
gives, on the rows as the API reads them (prefetches, deferred columns) and read alone."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from rest_framework import serializers

from apps.academy import models as m
from apps.academy.api import serializers as s
from apps.academy.api import views as v
from apps.academy.services import attendance, billing, enrollment, schedule
from apps.core.api import represent
from apps.core.api.represent import DirectRepresentation
from tests.utils import make_user

from .conftest import student

pytestmark = pytest.mark.usefixtures("before_december")

# Each serializer using the direct read, with the queryset its list reads rows through.
LISTS = {
    s.StudentSerializer: v.StudentViewSet.base_queryset,
    s.SessionSerializer: v.SessionViewSet.base_queryset,
    s.AttendanceSerializer: v.AttendanceViewSet.base_queryset,
    s.InvoiceSerializer: v.InvoiceViewSet.base_queryset,
    s.InvoiceLineSerializer: m.InvoiceLine.objects.all(),
}


def _drf(serializer, row) -> dict:
    """DRF's own to_representation, skipping DirectRepresentation's."""
    return super(DirectRepresentation, serializer).to_representation(row)


@pytest.fixture
def rows(academy):
    with academy.t.context():
        kids = [
            student("가람", date(2015, 1, 1), "010-1111-2222"),
            student("나래", None, "010-1111-2222"),  # no birth date: a None column
            student('<다온 & "co">', date(2014, 3, 3), "010-3333-4444"),
        ]
        for kid in kids:
            enrollment.enroll(kid, academy.klass, starts_on=date(2026, 12, 1))
        schedule.generate_sessions(date(2026, 12, 1), date(2026, 12, 14))
        sessions = list(m.Session.objects.filter(klass=academy.klass).order_by("date", "starts_at"))
        attendance.mark(sessions[0], kids[0], "present")
        attendance.mark(sessions[0], kids[1], "absent")
        mark = m.Attendance.objects.get(session=sessions[0], student=kids[0])
        mark.checked_in_at = datetime(2026, 12, 1, 7, 1, 2, 345678, tzinfo=UTC)
        mark.save(update_fields=["checked_in_at"])
        billing.issue_monthly_invoices(date(2026, 12, 1))
        make_user("unused")  # (a user row, so that ids of different tables differ)
    return kids


def test_every_direct_serializer_is_checked():
    users = {cls for cls in vars(s).values() if isinstance(cls, type) and issubclass(cls, DirectRepresentation)} - {
        DirectRepresentation
    }
    assert users == set(LISTS)


def test_direct_rows_equal_drf_rows(academy, rows):
    with academy.t.context():
        for cls, queryset in LISTS.items():
            listed = list(queryset.all())
            alone = list(cls.Meta.model.objects.all())
            assert listed and len(listed) == len(alone), cls
            child = cls(many=True).child  # one instance serves every row, as in a list
            for row in listed + alone:
                assert child.to_representation(row) == _drf(child, row), (cls, row.pk)
                assert list(child.to_representation(row)) == list(_drf(child, row))  # key order too
            # The list's whole output, and a detail serializer's.
            assert cls(listed, many=True).data == [_drf(cls(), row) for row in listed]
            assert cls(alone[0]).data == _drf(cls(), alone[0])


def test_columns_and_keys_are_read_directly(academy, rows):
    """The saving itself: fails if every field went through DRF's get_attribute."""
    kinds = {cls: {name: kind for kind, name, _attname, _field in cls(many=True).child._direct_plan} for cls in LISTS}
    assert kinds[s.InvoiceSerializer]["number"] == represent._COLUMN
    assert kinds[s.InvoiceSerializer]["family"] == represent._KEY
    # In the class's shared plan: DRF's steps on the prototype's field, the method on the
    # serializer at hand.
    assert kinds[s.InvoiceSerializer]["lines"] == represent._SHARED  # nested
    assert kinds[s.InvoiceSerializer]["due"] == represent._SHARED  # a property
    assert kinds[s.SessionSerializer]["class_name"] == represent._SHARED  # dotted source
    assert kinds[s.SessionSerializer]["makeup_for"] == represent._KEY
    assert kinds[s.StudentSerializer]["guardians"] == represent._METHOD  # method field
    assert kinds[s.AttendanceSerializer]["checked_in_at"] == represent._COLUMN


def test_lists_build_no_fields(academy, rows):
    """The per-class plan: a list's serializer reads its rows without making its fields
    (fails with the per-instance plan, which builds them for every response)."""
    with academy.t.context():
        for cls, queryset in LISTS.items():
            assert cls(many=True).child._direct_plan  # the class's plan, made on first use
            assert cls._shared_direct_plan, cls
            serializer = cls(list(queryset.all()), many=True)
            assert serializer.data
            assert "fields" not in serializer.child.__dict__, cls


class _ContextMethod(DirectRepresentation, s.ModelSerializer):
    who = serializers.SerializerMethodField()

    class Meta:
        model = m.Invoice
        fields = ["id", "number", "who"]

    def get_who(self, obj) -> str:
        return self.context["who"]


def test_a_shared_plans_method_field_sees_its_own_context(academy, rows):
    with academy.t.context():
        row = m.Invoice.objects.first()
        for who in ("first", "second"):
            assert _ContextMethod([row], many=True, context={"who": who}).data[0]["who"] == who
            assert _ContextMethod(row, context={"who": who}).data["who"] == who
        assert _ContextMethod._shared_direct_plan


class _Shown(serializers.CharField):
    def to_representation(self, value):
        return f"<{value}>"


def test_a_field_showing_values_its_own_way_keeps_the_instance_plan(academy, rows):
    class Serializer(DirectRepresentation, s.ModelSerializer):
        number = _Shown()

        class Meta:
            model = m.Invoice
            fields = ["id", "number"]

    with academy.t.context():
        row = m.Invoice.objects.first()
        assert Serializer([row], many=True).data == [{"id": row.pk, "number": f"<{row.number}>"}]
        assert Serializer._shared_direct_plan is False


def test_a_nested_list_with_a_method_field_is_not_shared(academy, rows):
    class Line(DirectRepresentation, s.ModelSerializer):
        note = serializers.SerializerMethodField()

        class Meta:
            model = m.InvoiceLine
            fields = ["kind", "note"]

        def get_note(self, obj) -> str:
            return self.context.get("note", "none")

    class Invoice(DirectRepresentation, s.ModelSerializer):
        lines = Line(many=True, read_only=True)

        class Meta:
            model = m.Invoice
            fields = ["id", "lines"]

    with academy.t.context():
        row = m.Invoice.objects.first()
        data = Invoice([row], many=True, context={"note": "mine"}).data
        assert data[0]["lines"] and {line["note"] for line in data[0]["lines"]} == {"mine"}
        assert Invoice._shared_direct_plan is False


def test_a_row_of_another_kind_takes_drfs_path(academy, rows):
    child = s.SessionSerializer(many=True).child
    plain = {"id": 1, "klass": None, "class_name": "x", "date": date(2026, 12, 1), "status": "held"}
    plain |= {"starts_at": None, "ends_at": None, "makeup_for": None, "note": ""}
    assert child.to_representation(plain) == _drf(child, plain)


class _Custom(serializers.CharField):
    def get_attribute(self, instance):
        return "custom"


def test_a_field_with_its_own_get_attribute_is_not_read_directly(academy, rows):
    class Serializer(DirectRepresentation, s.ModelSerializer):
        number = _Custom()

        class Meta:
            model = m.Invoice
            fields = ["id", "number"]

    with academy.t.context():
        row = m.Invoice.objects.first()
        assert Serializer(row).data == {"id": row.pk, "number": "custom"}
