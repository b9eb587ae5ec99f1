"""The item bank, exams and attempts on the zone's API (issue 14, items 2–4, 9): seed 003's
`POST /api/v1/exams/{id}/start/`, `POST /api/v1/attempts/{id}/submit/`, and the rest."""

from __future__ import annotations

from django.db.models import Q
from django.http import HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from apps.accounts.api.permissions import HasPermission
from apps.accounts.scoping import visible_to
from apps.core.api.viewsets import ScopedViewSet

from ..models import Attempt, Exam, Item, Klass, Student
from ..services import attempts, exams, items, items_io
from . import serializers as s


def _student(request) -> Student:
    student = Student.objects.filter(user=request.user).first()
    if student is None:
        raise ValidationError({"student": [_("Only students take exams.")]})
    return student


def _step(step: attempts.Step, code: int = status.HTTP_200_OK) -> Response:
    body = {
        "attempt": s.attempt_data(step.attempt),
        "item": step.item,
        "correct": step.correct,
        "finished": step.finished,
    }
    return Response(body, status=code)


ITEM_FILTERS = [
    OpenApiParameter("status", str, enum=Item.Status.values, required=False),
    OpenApiParameter("area", str, required=False),
    OpenApiParameter("tag", str, required=False),
    OpenApiParameter("search", str, required=False),
]


@extend_schema(tags=["learning: items"])
class ItemViewSet(ScopedViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    parser_classes = [JSONParser]  # JSON bodies only: a form's empty field is not an omitted one
    resource = "item"
    base_queryset = Item.objects.all()
    serializer_class = s.ItemSerializer
    permission_classes = [
        HasPermission(resource="item", actions={"import_items": "item:create", "export": "item:read"})
    ]

    def get_queryset(self):
        rows = super().get_queryset()
        params = self.request.query_params
        if value := params.get("status"):
            if value not in Item.Status.values:
                raise ValidationError({"status": [_("Unknown status.")]})
            rows = rows.filter(status=value)
        if value := params.get("area"):
            rows = rows.filter(area=value)
        if value := params.get("tag"):
            rows = rows.filter(tags__contains=[value])
        if value := params.get("search"):
            rows = rows.filter(Q(code__icontains=value) | Q(stem__icontains=value))
        return rows

    @extend_schema(parameters=ITEM_FILTERS)
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def create(self, request):
        data = s.ItemSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        item = items.create_item(actor=request.user, **data.validated_data)
        return Response(s.ItemSerializer(item).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, pk=None):
        data = s.ItemSerializer(self.get_object(), data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        item = items.update_item(data.instance, actor=request.user, **data.validated_data)
        return Response(s.ItemSerializer(item).data)

    @extend_schema(responses={204: None})
    def destroy(self, request, pk=None):
        """Items are never deleted (answers refer to them): this retires it."""
        items.set_status(self.get_object(), Item.Status.RETIRED, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request={"multipart/form-data": s.ImportSerializer}, responses=s.ImportResultSerializer)
    @action(detail=False, methods=["post"], url_path="import", parser_classes=[MultiPartParser, FormParser])
    def import_items(self, request):
        """An Excel (.xlsx) or CSV file of items: all rows or none; row-level errors."""
        data = s.ImportSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        upload = data.validated_data["file"]
        report = items_io.import_items(
            upload.read(), filename=upload.name, dry_run=data.validated_data["dry_run"], actor=request.user
        )
        code = status.HTTP_200_OK if not report.errors else status.HTTP_400_BAD_REQUEST
        return Response(report.as_dict(), status=code)

    @extend_schema(
        parameters=[OpenApiParameter("format", str, enum=["xlsx", "csv"], required=False)],
        responses={(200, "application/octet-stream"): OpenApiTypes.BINARY},
    )
    @action(detail=False, methods=["get"])
    def export(self, request):
        fmt = request.query_params.get("format", "xlsx")
        if fmt not in ("xlsx", "csv"):
            raise ValidationError({"format": [_("xlsx or csv.")]})
        body, content_type = items_io.export_items(self.get_queryset(), fmt=fmt, actor=request.user, request=request)
        response = HttpResponse(body, content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="items.{fmt}"'
        return response


@extend_schema(tags=["learning: exams"])
class ExamViewSet(ScopedViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    parser_classes = [JSONParser]  # JSON bodies only: a form's empty field is not an omitted one
    resource = "exam"
    base_queryset = Exam.objects.prefetch_related("exam_items")
    serializer_class = s.ExamSerializer
    permission_classes = [
        HasPermission(
            resource="exam",
            actions={
                "set_items": "exam:update",
                "publish": "exam:publish",
                "close": "exam:publish",
                "start": "attempt:create",
            },
        )
    ]

    def get_queryset(self):
        rows = super().get_queryset()
        user = self.request.user
        if getattr(self, "swagger_fake_view", False) or not user.is_authenticated:
            return rows
        if Student.objects.filter(user=user).exists() and not user.is_staff:
            # Students see what they may take: published, open to them.
            student = Student.objects.get(user=user)
            rows = (
                rows.filter(status=Exam.Status.PUBLISHED)
                .filter(Q(organisation=None) | Q(organisation=student.organisation_id))
                .filter(Q(klass=None) | Q(klass__enrollments__student=student, klass__enrollments__is_active=True))
            )
        return rows.distinct()

    def _klass(self, pk):
        if pk is None:
            return None
        klass = visible_to(Klass.objects.all(), self.request.user, "class:read").filter(pk=pk.pk).first()
        if klass is None:
            raise ValidationError({"klass": [_("No such class, or not yours.")]})
        return klass

    def create(self, request):
        data = s.ExamSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        klass = self._klass(values.pop("klass", None))
        exam = exams.create_exam(actor=request.user, klass=klass, **values)
        return Response(s.ExamSerializer(exam).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, pk=None):
        data = s.ExamSerializer(self.get_object(), data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        values.pop("klass", None)
        exam = exams.update_exam(data.instance, actor=request.user, **values)
        return Response(s.ExamSerializer(exam).data)

    @extend_schema(request=s.ExamItemsSerializer, responses=s.ExamSerializer)
    @action(detail=True, methods=["post"], url_path="items")
    def set_items(self, request, pk=None):
        exam = self.get_object()
        data = s.ExamItemsSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        ids = data.validated_data["items"]
        found = {item.pk: item for item in Item.objects.filter(pk__in=ids)}
        missing = [pk for pk in ids if pk not in found]
        if missing:
            raise ValidationError({"items": [_("No such items: %(ids)s") % {"ids": missing}]})
        exam = exams.set_items(exam, [found[pk] for pk in ids], actor=request.user)
        return Response(s.ExamSerializer(exam).data)

    @extend_schema(request=None, responses=s.ExamSerializer)
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        return Response(s.ExamSerializer(exams.publish(self.get_object(), actor=request.user)).data)

    @extend_schema(request=None, responses=s.ExamSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        return Response(s.ExamSerializer(exams.close(self.get_object(), actor=request.user)).data)

    @extend_schema(
        request=None,
        responses={
            201: s.StepSerializer,
            200: OpenApiResponse(s.StepSerializer, description="The attempt in progress, resumed."),
        },
    )
    @action(detail=True, methods=["post"])
    def start(self, request, pk=None):
        """Start the exam (201), or resume the attempt in progress (200)."""
        step, created = attempts.start(self.get_object(), _student(request), actor=request.user, request=request)
        return _step(step, status.HTTP_201_CREATED if created else status.HTTP_200_OK)


@extend_schema(tags=["learning: attempts"])
class AttemptViewSet(ScopedViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    parser_classes = [JSONParser]  # JSON bodies only: a form's empty field is not an omitted one
    resource = "attempt"
    base_queryset = Attempt.objects.select_related("exam", "student").defer("state", "result")
    serializer_class = s.AttemptSerializer
    permission_classes = [
        HasPermission(
            resource="attempt",
            actions={
                "next": "attempt:create",
                "answer": "attempt:create",
                "submit": "attempt:create",
                "report": "attempt:read",
            },
        )
    ]

    def _own(self) -> Attempt:
        attempt = self.get_object()
        if attempt.student.user_id != self.request.user.pk:
            # Staff and parents may read an attempt, never act in it.
            raise ValidationError({"attempt": [_("Only the student taking it may do this.")]})
        return attempt

    @extend_schema(responses=s.StepSerializer)
    @action(detail=True, methods=["get"])
    def next(self, request, pk=None):
        """The item being asked now: the same one until it is answered (resume)."""
        return _step(attempts.current(self._own()))

    @extend_schema(request=s.AnswerSerializer, responses=s.StepSerializer)
    @action(detail=True, methods=["post"])
    def answer(self, request, pk=None):
        data = s.AnswerSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        # The hot path: the attempt is found as the caller's own and locked in one
        # statement (not get_object() and the lock again). Only the student taking an
        # attempt may answer in it, so their own attempts are the scope; anyone else gets
        # what _own() gives them.
        try:
            step = attempts.answer(
                Attempt(pk=int(pk)),
                item_id=data.validated_data["item"],
                answer=data.validated_data["answer"],
                actor=request.user,
                request=request,
                owner=request.user,
            )
        except Attempt.DoesNotExist:
            self._own()  # the same 404 (audited) or refusal as the other actions
            raise NotFound from None
        return _step(step)

    @extend_schema(request=None, responses=s.AttemptSerializer)
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        attempt = attempts.submit(self._own(), actor=request.user, request=request)
        return Response(s.AttemptSerializer(attempt).data)

    @extend_schema(responses=s.ReportSerializer)
    @action(detail=True, methods=["get"])
    def report(self, request, pk=None):
        """θ, SE, scaled score, percentile, the content-area breakdown and the item log."""
        attempt = attempts.expire_if_due(self.get_object())
        if attempt.is_active:
            raise ValidationError({"attempt": [_("The attempt is still in progress.")]})
        result = Attempt.objects.filter(pk=attempt.pk).values_list("result", flat=True).get()
        return Response(
            {
                "attempt": s.AttemptSerializer(attempt).data,
                "areas": result.get("areas", []),
                "log": result.get("log", []),
            }
        )
