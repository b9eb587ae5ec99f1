"""The academy API for the mobile app. Each viewset checks the role's permission for the
action (HasPermission) and shows only rows in the role's scope (visible_to): a coach sees
their classes' students, a guardian their approved children, a student themselves. Writes
go through the services, so the API writes the same ledger events as the back office."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action, api_view, permission_classes
from rest_framework.response import Response

from apps.accounts.api.permissions import HasPermission
from apps.accounts.scoping import visible_to
from apps.core.api.body import object_body
from apps.core.api.fields import PlausibleDateField
from apps.core.api.prefetch import listed
from apps.core.api.viewsets import ScopedViewSet
from apps.payments import services as payments

from .. import models as m
from ..services import attendance, billing, consultations, dashboard, enrollment, feedback, people, schedule
from . import filters as f
from . import serializers as s


def _created(data) -> Response:
    return Response(data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["academy: people"])
class StudentViewSet(ScopedViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    resource = "student"
    # What StudentSerializer reads and no more: `family` is its key (DRF reads family_id, so
    # no Family row or join), the phone is not shown, of the guardians only the name is:
    # every encrypted column loaded is a Fernet decryption (~14 µs) per row (apps.core.pii).
    # The links come with their guardian's name in one query (a join), not a second
    # prefetch: each query is ~0.5 ms of ORM compilation before it reaches the database.
    # listed(): into a list per student, without a related manager per row (apps.core.api.prefetch).
    base_queryset = m.Student.objects.defer("phone").prefetch_related(
        listed(
            "guardian_links",
            m.GuardianLink.objects.select_related("guardian").only(
                "student_id", "guardian_id", "relation", "status", "guardian__name"
            ),
        )
    )
    serializer_class = s.StudentSerializer
    list_columns = ("id", "name", "birth_date", "school", "grade", "status", "memo", "family")
    permission_classes = [HasPermission(resource="student")]
    filterset_class = f.StudentFilter
    search_fields = ["name", "school"]
    ordering_fields = ["name", "grade", "id"]  # (birth_date is encrypted: its order means nothing)
    ordering = ["name", "id"]

    def get_queryset(self):
        return super().get_queryset().distinct()

    @extend_schema(request=s.StudentWriteSerializer, responses=s.StudentSerializer)
    def create(self, request):
        data = s.StudentWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = people.upsert_student(actor=request.user, **data.validated_data)
        return Response(s.StudentSerializer(result.student).data, status=201 if result.created else 200)

    @extend_schema(request=None, responses=inline_serializer("Pin", {"pin": serializers.CharField()}))
    @action(detail=True, methods=["post"], permission_classes=[HasPermission("student:update")])
    def kiosk_pin(self, request, pk=None):
        """A new kiosk PIN for the student, shown once."""
        return Response({"pin": attendance.set_pin(self.get_object(), actor=request.user)})

    @extend_schema(request=None, responses=inline_serializer("QrToken", {"token": serializers.CharField()}))
    @action(detail=True, methods=["get"], permission_classes=[HasPermission("attendance:read")])
    def qr(self, request, pk=None):
        """What the student's QR code encodes now (valid for ten minutes)."""
        return Response({"token": attendance.qr_token(self.get_object())})


@extend_schema(tags=["academy: people"])
class GuardianLinkViewSet(ScopedViewSet, mixins.ListModelMixin):
    resource = "guardian"
    base_queryset = m.GuardianLink.objects.select_related("guardian", "student")
    serializer_class = s.GuardianLinkSerializer
    permission_classes = [HasPermission(resource="guardian", actions={"decide": "guardian:approve"})]

    filterset_class = f.GuardianLinkFilter
    ordering_fields = ["id", "decided_at"]
    ordering = ["id"]

    def get_queryset(self):
        rows = m.GuardianLink.objects.filter(
            guardian__in=visible_to(m.Guardian.objects.all(), self.request.user, "guardian:read")
        )
        return rows.select_related("guardian", "student")

    @extend_schema(
        request=inline_serializer("Decision", {"approve": serializers.BooleanField()}),
        responses=s.GuardianLinkSerializer,
    )
    @action(detail=True, methods=["post"])
    def decide(self, request, pk=None):
        link = people.decide_link(
            self.get_object(), approve=bool(object_body(request).get("approve")), actor=request.user
        )
        return Response(s.GuardianLinkSerializer(link).data)


@extend_schema(tags=["academy: consultations"])
class ConsultationViewSet(ScopedViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    resource = "consultation"
    base_queryset = m.Consultation.objects.all()
    serializer_class = s.ConsultationSerializer
    permission_classes = [
        HasPermission(
            resource="consultation", actions={"move": "consultation:update", "convert": "consultation:convert"}
        )
    ]

    filterset_class = f.ConsultationFilter
    search_fields = ["student_name", "guardian_name", "interest"]
    ordering_fields = ["created_at", "scheduled_at", "follow_up_on", "student_name"]
    ordering = ["-created_at", "-id"]

    @extend_schema(request=s.ConsultationWriteSerializer, responses=s.ConsultationSerializer)
    def create(self, request):
        data = s.ConsultationWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        created = consultations.open_consultation(actor=request.user, assigned_to=request.user, **data.validated_data)
        return _created(s.ConsultationSerializer(created).data)

    @extend_schema(request=s.MoveSerializer, responses=s.ConsultationSerializer)
    @action(detail=True, methods=["post"])
    def move(self, request, pk=None):
        data = s.MoveSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        moved = consultations.move(self.get_object(), actor=request.user, **data.validated_data)
        return Response(s.ConsultationSerializer(moved).data)

    @extend_schema(request=s.ConvertSerializer, responses=s.EnrollmentSerializer)
    @action(detail=True, methods=["post"])
    def convert(self, request, pk=None):
        data = s.ConvertSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        made = consultations.convert(self.get_object(), actor=request.user, **data.validated_data)
        return _created(s.EnrollmentSerializer(made).data)


@extend_schema(tags=["academy: classes"])
class ClassViewSet(ScopedViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    resource = "class"
    base_queryset = m.Class.objects.select_related("coach").prefetch_related("slots")
    serializer_class = s.ClassSerializer
    permission_classes = [HasPermission(resource="class")]
    filterset_fields = ["programme", "coach", "is_active"]
    search_fields = ["name", "room"]
    ordering_fields = ["name", "capacity", "monthly_fee", "id"]
    ordering = ["name", "id"]

    def get_queryset(self):
        return super().get_queryset().distinct()


@extend_schema(tags=["academy: classes"])
class SessionViewSet(ScopedViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    resource = "session"
    base_queryset = m.Session.objects.select_related("klass")
    serializer_class = s.SessionSerializer
    list_columns = ("id", "klass__name", "date", "starts_at", "ends_at", "status", "makeup_for", "note")
    permission_classes = [
        HasPermission(
            resource="session",
            actions={"roll_call": "attendance:write", "cancel": "session:update", "makeup": "session:create"},
        )
    ]

    filterset_class = f.SessionFilter
    ordering_fields = ["date", "starts_at", "id"]
    ordering = ["date", "starts_at", "id"]

    def get_queryset(self):
        rows = super().get_queryset().distinct()
        params = self.request.query_params
        if self.action == "list" and not any(params.get(k) for k in ("date", "date_after", "date_before")):
            rows = rows.filter(date=timezone.localdate())  # the list is today's unless asked otherwise
        return rows

    @extend_schema(request=s.RollCallSerializer, responses=s.AttendanceSerializer(many=True))
    @action(detail=True, methods=["post"])
    def roll_call(self, request, pk=None):
        """Mark a whole class at once; all marks or none."""
        data = s.RollCallSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        marks = data.validated_data["marks"]
        done = attendance.roll_call(
            self.get_object(), marks, absent_rest=data.validated_data["absent_rest"], actor=request.user
        )
        return Response(s.AttendanceSerializer(done, many=True).data)

    @extend_schema(
        request=inline_serializer("Cancel", {"reason": serializers.CharField()}), responses=s.SessionSerializer
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        return Response(
            s.SessionSerializer(
                schedule.cancel_session(
                    self.get_object(), reason=str(object_body(request).get("reason", "")), actor=request.user
                )
            ).data
        )

    @extend_schema(request=s.MakeupSerializer, responses=s.SessionSerializer)
    @action(detail=True, methods=["post"])
    def makeup(self, request, pk=None):
        data = s.MakeupSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        made = schedule.schedule_makeup(
            self.get_object(),
            on=data.validated_data["date"],
            starts_at=data.validated_data["starts_at"],
            ends_at=data.validated_data["ends_at"],
            actor=request.user,
        )
        return _created(s.SessionSerializer(made).data)


@extend_schema(tags=["academy: enrollments"])
class EnrollmentViewSet(ScopedViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    resource = "enrollment"
    base_queryset = m.Enrollment.objects.select_related("student", "klass")
    serializer_class = s.EnrollmentSerializer
    permission_classes = [
        HasPermission(
            resource="enrollment",
            actions={
                "withdraw": "enrollment:delete",
                "pause": "enrollment:update",
                "resume": "enrollment:update",
                "transfer": "enrollment:update",
                "refund_quote": "enrollment:read",
            },
        )
    ]
    filterset_class = f.EnrollmentFilter
    ordering_fields = ["starts_on", "id"]
    ordering = ["-starts_on", "-id"]

    def create(self, request):
        data = s.EnrollmentSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        made = enrollment.enroll(
            v["student"],
            v["klass"],
            starts_on=v["starts_on"],
            plan=v.get("plan", "monthly"),
            monthly_fee=v.get("monthly_fee"),
            actor=request.user,
        )
        return _created(s.EnrollmentSerializer(made).data)

    @extend_schema(
        request=s.WithdrawSerializer,
        responses=inline_serializer(
            "Withdrawal",
            {
                "rule": serializers.CharField(),
                "refund": serializers.IntegerField(),
                "credited": serializers.IntegerField(),
            },
        ),
    )
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        data = s.WithdrawSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = enrollment.withdraw(self.get_object(), actor=request.user, **data.validated_data)
        return Response(
            {"rule": result["decision"].rule, "refund": result["decision"].amount, "credited": result["credited"]}
        )

    @extend_schema(
        responses=inline_serializer(
            "RefundQuote",
            {
                "rule": serializers.CharField(),
                "refund": serializers.IntegerField(),
                "elapsed": serializers.IntegerField(),
                "total": serializers.IntegerField(),
            },
        )
    )
    @action(detail=True, methods=["get"])
    def refund_quote(self, request, pk=None):
        """What the refund rule would give back if the student left on ?on=YYYY-MM-DD."""
        on = PlausibleDateField().to_internal_value(request.query_params.get("on") or timezone.localdate().isoformat())
        _invoice, decision = enrollment.refund_decision(self.get_object(), on)
        return Response(
            {"rule": decision.rule, "refund": decision.amount, "elapsed": decision.elapsed, "total": decision.total}
        )

    @extend_schema(request=s.PauseSerializer, responses=s.EnrollmentSerializer)
    @action(detail=True, methods=["post"])
    def pause(self, request, pk=None):
        data = s.PauseSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(
            s.EnrollmentSerializer(enrollment.pause(self.get_object(), actor=request.user, **data.validated_data)).data
        )

    @extend_schema(request=s.ResumeSerializer, responses=s.EnrollmentSerializer)
    @action(detail=True, methods=["post"])
    def resume(self, request, pk=None):
        data = s.ResumeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        on = data.validated_data.get("on") or timezone.localdate()
        return Response(s.EnrollmentSerializer(enrollment.resume(self.get_object(), on=on, actor=request.user)).data)

    @extend_schema(request=s.TransferSerializer, responses=s.EnrollmentSerializer)
    @action(detail=True, methods=["post"])
    def transfer(self, request, pk=None):
        data = s.TransferSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        made = enrollment.transfer(
            self.get_object(), data.validated_data["to_class"], on=data.validated_data["on"], actor=request.user
        )
        return _created(s.EnrollmentSerializer(made).data)


@extend_schema(tags=["academy: attendance"])
class AttendanceViewSet(ScopedViewSet, mixins.ListModelMixin):
    resource = "attendance"
    base_queryset = m.Attendance.objects.select_related("student", "session")
    serializer_class = s.AttendanceSerializer
    # Of the student its name (no encrypted birth date and phone to decrypt), of the session its id.
    list_columns = ("id", "session__id", "student__name", "status", "method", "checked_in_at", "checked_out_at", "note")
    permission_classes = [HasPermission(resource="attendance", actions={"check_in": "attendance:write"})]

    filterset_class = f.AttendanceFilter
    ordering_fields = ["session__date", "checked_in_at", "id"]
    ordering = ["-session__date", "-id"]

    def get_queryset(self):
        return super().get_queryset().distinct()

    @extend_schema(request={"application/json": s.CHECK_IN_SCHEMA}, responses=s.AttendanceSerializer)
    @action(detail=False, methods=["post"])
    def check_in(self, request):
        """Kiosk PIN or QR check-in (the kiosk signs in as staff)."""
        data = s.CheckInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        if data.validated_data.get("token"):
            done = attendance.qr_check_in(data.validated_data["token"])
        else:
            done = attendance.kiosk_check_in(data.validated_data.get("pin", ""))
        return Response(s.AttendanceSerializer(done).data)


@extend_schema(tags=["academy: billing"])
class InvoiceViewSet(ScopedViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    resource = "invoice"
    base_queryset = m.Invoice.objects.prefetch_related(listed("lines"))  # apps.core.api.prefetch
    serializer_class = s.InvoiceSerializer
    list_columns = ("id", "number", "family", "kind", "period", "issued_on", "due_on", "status", "total", "paid")
    permission_classes = [
        HasPermission(
            resource="invoice",
            actions={"pay": "invoice:pay", "issue_monthly": "invoice:create", "monthly_run": "invoice:create"},
        )
    ]

    filterset_class = f.InvoiceFilter
    search_fields = ["number"]
    ordering_fields = ["issued_on", "due_on", "total", "id"]
    ordering = ["-issued_on", "-id"]

    def get_queryset(self):
        return super().get_queryset().distinct()

    @extend_schema(
        request=inline_serializer("Pay", {"gateway": serializers.CharField(required=False)}),
        responses=inline_serializer(
            "Checkout", {"checkout_url": serializers.URLField(), "order_id": serializers.CharField()}
        ),
    )
    @action(detail=True, methods=["post"])
    def pay(self, request, pk=None):
        """Start an online payment of what is due; open `checkout_url` to pay."""
        payment = payments.start_payment(
            self.get_object(),
            gateway=object_body(request).get("gateway") or None,
            base_url=request.build_absolute_uri("/"),
            actor=request.user,
        )
        return _created({"checkout_url": payment.checkout_url, "order_id": payment.order_id})

    @extend_schema(request=None, responses={202: s.InvoiceRunSerializer})
    @action(detail=False, methods=["post"])
    def issue_monthly(self, request):
        """Queue this month's invoices (a Celery task; one run per month at a time: asking
        again while it runs returns it). Follow it at issue_monthly/<run>/ or over
        ws/academy/invoicing/<run>/."""
        run = billing.start_monthly_run(timezone.localdate(), actor=request.user)
        return Response(s.InvoiceRunSerializer(run).data, status=202)

    @extend_schema(request=None, responses=s.InvoiceRunSerializer)
    @action(detail=False, methods=["get"], url_path=r"issue_monthly/(?P<run_id>[0-9]+)")
    def monthly_run(self, request, run_id=None):
        """One invoicing run: its status and progress."""
        return Response(s.InvoiceRunSerializer(get_object_or_404(m.InvoiceRun, pk=run_id)).data)


@extend_schema(tags=["academy: billing"])
class PaymentViewSet(ScopedViewSet, mixins.ListModelMixin):
    resource = "payment"
    base_queryset = m.Payment.objects.all()
    serializer_class = s.PaymentSerializer
    permission_classes = [HasPermission(resource="payment")]
    filterset_class = f.PaymentFilter
    ordering_fields = ["received_at", "amount", "id"]
    ordering = ["-received_at", "-id"]

    def create(self, request):
        """A payment received at the desk (cash, transfer, card)."""
        data = s.PaymentSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        made = billing.record_payment(
            v["family"],
            v["amount"],
            method=v["method"],
            invoice=v.get("invoice"),
            reference=v.get("reference", ""),
            actor=request.user,
        )
        return _created(s.PaymentSerializer(made).data)


@extend_schema(tags=["academy: feedback"])
class FeedbackViewSet(ScopedViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    resource = "feedback"
    base_queryset = m.Feedback.objects.select_related("session", "student")
    serializer_class = s.FeedbackSerializer
    permission_classes = [HasPermission(resource="feedback")]
    filterset_class = f.FeedbackFilter
    ordering_fields = ["created_at", "id"]
    ordering = ["-created_at", "-id"]

    def get_queryset(self):
        rows = super().get_queryset().distinct()
        perms = self.request.user
        from apps.accounts.permissions import has_permission

        if not has_permission(perms, "feedback:create"):
            rows = rows.filter(visible_to_guardians=True)
        return rows

    def create(self, request):
        data = s.FeedbackSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        session = get_object_or_404(
            visible_to(m.Session.objects.all(), request.user, "session:read"), pk=v["session"].pk
        )
        made = feedback.give_feedback(
            session,
            v["student"],
            text=v["text"],
            effort=v.get("effort"),
            skill=v.get("skill"),
            attitude=v.get("attitude"),
            visible=v.get("visible_to_guardians", True),
            actor=request.user,
        )
        return _created(s.FeedbackSerializer(made).data)


@extend_schema(tags=["academy: feedback"])
class VideoViewSet(ScopedViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    resource = "video"
    base_queryset = m.Video.objects.all()
    serializer_class = s.VideoSerializer
    permission_classes = [HasPermission(resource="video")]

    filterset_class = f.VideoFilter
    search_fields = ["title", "description"]
    ordering_fields = ["recorded_at", "title", "id"]
    ordering = ["-recorded_at", "-id"]

    def get_queryset(self):
        return super().get_queryset().distinct()

    def create(self, request):
        data = s.VideoSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        student = get_object_or_404(
            visible_to(m.Student.objects.all(), request.user, "student:read"), pk=v["student"].pk
        )
        made = feedback.add_video(
            student,
            url=v["url"],
            title=v["title"],
            kind=v["kind"],
            duration_seconds=v.get("duration_seconds"),
            recorded_at=v.get("recorded_at"),
            tags=v.get("tags", []),
            description=v.get("description", ""),
            actor=request.user,
        )
        return _created(s.VideoSerializer(made).data)


@extend_schema(tags=["academy: V-Index"])
class VIndexViewSet(ScopedViewSet, mixins.ListModelMixin):
    """The latest V-Index of each student in scope (?at_risk=1 for alerts); ?student=ID for
    one student's history."""

    resource = "vindex"
    base_queryset = m.VIndexSnapshot.objects.select_related("student")
    serializer_class = s.VIndexSerializer
    permission_classes = [HasPermission(resource="vindex")]

    filterset_class = f.VIndexFilter
    ordering_fields = ["value", "computed_at"]

    def get_queryset(self):
        rows = super().get_queryset()
        if str(self.request.query_params.get("student", "")).isdigit():
            return rows.order_by("-computed_at")  # one student's history (the filter picks them)
        latest = rows.order_by("student_id", "-computed_at").distinct("student_id").values_list("pk", flat=True)
        rows = m.VIndexSnapshot.objects.filter(pk__in=list(latest)).select_related("student")
        return rows.order_by("value", "student_id")


@extend_schema(
    tags=["academy: dashboard"],
    responses=inline_serializer(
        "Dashboard",
        {
            "today": serializers.ListField(),
            "unpaid": serializers.DictField(),
            "follow_ups": serializers.ListField(),
            "alerts": serializers.ListField(),
        },
    ),
)
@api_view(["GET"])
@permission_classes([HasPermission("dashboard:read")])
def dashboard_view(request):
    """What the front desk needs this morning."""
    return Response(dashboard.summary(request.user))
