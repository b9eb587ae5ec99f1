"""Query filters of the academy's list endpoints (django-filter), shown in the OpenAPI schema.
Filters narrow the rows of the user's scope; they never widen it."""

from __future__ import annotations

import django_filters as df

from apps.core.api.filters import BooleanFilter, FilterSet, IdFilter

from .. import models as m


class StudentFilter(FilterSet):
    q = df.CharFilter(method="name_or_school", label="name or school contains")

    class Meta:
        model = m.Student
        fields = ["status", "grade", "family"]

    def name_or_school(self, rows, name, value):
        from django.db.models import Q

        return rows.filter(Q(name__icontains=value) | Q(school__icontains=value))


class GuardianLinkFilter(FilterSet):
    pending = BooleanFilter(method="only_pending", label="only links waiting for approval")

    class Meta:
        model = m.GuardianLink
        fields = ["status", "student", "relation"]

    def only_pending(self, rows, name, value):
        return rows.filter(status=m.GuardianLink.Status.PENDING) if value else rows


class ConsultationFilter(FilterSet):
    follow_up = BooleanFilter(method="to_follow_up", label="only consultations to follow up now")

    class Meta:
        model = m.Consultation
        fields = ["status", "source", "klass", "assigned_to"]

    def to_follow_up(self, rows, name, value):
        from ..services import consultations

        return rows.filter(pk__in=consultations.to_follow_up().values("pk")) if value else rows


class SessionFilter(FilterSet):
    # The list shows today's sessions unless ?date= names another day (SessionViewSet).
    date = df.DateFilter()
    date_after = df.DateFilter(field_name="date", lookup_expr="gte", label="on or after")
    date_before = df.DateFilter(field_name="date", lookup_expr="lte", label="on or before")
    klass = IdFilter(field_name="klass_id", label="class id")

    param_aliases = {"class": "klass"}  # the older name of the parameter

    class Meta:
        model = m.Session
        fields = ["status"]


class EnrollmentFilter(FilterSet):
    class Meta:
        model = m.Enrollment
        fields = ["student", "klass", "status", "plan"]


class AttendanceFilter(FilterSet):
    date = df.DateFilter(field_name="session__date")

    class Meta:
        model = m.Attendance
        fields = ["student", "session", "status", "method"]


class InvoiceFilter(FilterSet):
    class Meta:
        model = m.Invoice
        fields = ["status", "family", "kind", "period"]


class PaymentFilter(FilterSet):
    class Meta:
        model = m.Payment
        fields = ["family", "invoice", "method"]


class FeedbackFilter(FilterSet):
    class Meta:
        model = m.Feedback
        fields = ["student", "session"]


class VideoFilter(FilterSet):
    class Meta:
        model = m.Video
        fields = ["student", "kind"]


class VIndexFilter(FilterSet):
    at_risk = BooleanFilter()

    class Meta:
        model = m.VIndexSnapshot
        fields = ["student"]
