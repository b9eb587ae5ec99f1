"""`/api/v1/problems/`, `/api/v1/submissions/`, `/api/v1/progress/` on the zone's hosts.

Each viewset checks the role's permission for the action (HasPermission) and shows only the
rows of the role's scope (visible_to, apps/problems/scopes.py): a student their own
submissions and progress, a teacher their classes' students', a parent their approved
children's, an org_admin their organisation's. Students read published problems without
their keys. Submitting an essay or code problem, and asking for its feedback again, are AI
requests: 10 a minute per user (AI_THROTTLES, shared with every AI feature), 429 beyond.
"""

from __future__ import annotations

from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response

from apps.accounts.api.permissions import HasPermission
from apps.accounts.permissions import has_permission
from apps.core.api.viewsets import ScopedViewSet
from apps.core.ratelimit import AiAddressRateThrottle, AiRateThrottle

from .. import services
from ..models import Feedback, Problem, Progress, Review, Submission
from . import filters as f
from . import serializers as s


def check_ai_rate(view, request) -> None:
    """The AI limits (AI_THROTTLES without the general API one, which the view's defaults
    already counted), for requests that start AI work: DRF's throttles run per view, and a
    choice answer on the same endpoint is not one."""
    for throttle in (AiRateThrottle(), AiAddressRateThrottle()):
        if not throttle.allow_request(request, view):
            view.throttled(request, throttle.wait())


@extend_schema(tags=["problems"])
class ProblemViewSet(ScopedViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    resource = "problem"
    base_queryset = Problem.objects.all()
    permission_classes = [HasPermission(resource="problem", actions={"submit": "submission:create"})]
    filterset_class = f.ProblemFilter
    search_fields = ["title", "topic"]
    ordering_fields = ["id", "topic", "updated_at"]
    ordering = ["topic", "id"]

    def editor(self) -> bool:
        return has_permission(self.request.user, "problem:update")

    def get_queryset(self):
        rows = super().get_queryset()
        if getattr(self, "swagger_fake_view", False) or not self.editor():
            rows = rows.filter(status=Problem.Status.PUBLISHED)
        return rows

    def get_serializer_class(self):
        if getattr(self, "swagger_fake_view", False) or self.editor():
            return s.ProblemSerializer
        return s.StudentProblemSerializer

    @extend_schema(request=s.ProblemWriteSerializer, responses={201: s.ProblemSerializer}, summary="Write a problem")
    def create(self, request):
        form = s.ProblemWriteSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        problem = services.create_problem(actor=request.user, **form.validated_data)
        return Response(s.ProblemSerializer(problem).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.ProblemWriteSerializer(partial=True), responses=s.ProblemSerializer)
    def partial_update(self, request, pk=None):
        problem = self.get_object()
        form = s.ProblemWriteSerializer(data=request.data, partial=True)
        form.is_valid(raise_exception=True)
        data = dict(form.validated_data)
        data.pop("organisation", None)  # a problem stays with the school that wrote it
        problem = services.update_problem(problem, actor=request.user, **data)
        return Response(s.ProblemSerializer(problem).data)

    @extend_schema(
        request=s.SubmitSerializer,
        responses={201: s.SubmissionSerializer},
        summary="Answer a problem (essays and code: AI feedback follows, 10 AI requests a minute)",
    )
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        problem = self.get_object()
        form = s.SubmitSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        if problem.needs_ai:
            check_ai_rate(self, request)
        data = form.validated_data
        submission = services.submit(
            problem,
            actor=request.user,
            answer_text=data.get("answer_text") or "",
            choice=data.get("choice"),
            idempotency_key=data.get("idempotency_key"),
        )
        return Response(s.SubmissionSerializer(submission).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["problems"])
class SubmissionViewSet(ScopedViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    resource = "submission"
    base_queryset = Submission.objects.select_related("problem").prefetch_related(
        Prefetch("feedback", queryset=Feedback.objects.order_by("-created_at", "-id")),
        Prefetch("reviews", queryset=Review.objects.order_by("-created_at", "-id")),
    )
    serializer_class = s.SubmissionSerializer
    permission_classes = [
        HasPermission(resource="submission", actions={"review": "submission:review", "feedback": "submission:read"})
    ]
    filterset_class = f.SubmissionFilter
    ordering_fields = ["id", "submitted_at", "score"]
    ordering = ["-submitted_at", "-id"]

    def get_queryset(self):
        return super().get_queryset().distinct()  # a student in two of a teacher's classes: once

    @extend_schema(
        request=None,
        responses={202: s.SubmissionSerializer},
        summary="Ask for AI feedback again (the student or a reviewing teacher; 10 AI requests a minute)",
    )
    @action(detail=True, methods=["post"])
    def feedback(self, request, pk=None):
        submission = self.get_object()
        user = request.user
        if submission.student_id != user.pk and not has_permission(user, "submission:review"):
            self.permission_denied(request, message="Only the student or a reviewing teacher may ask again.")
        check_ai_rate(self, request)
        submission = services.request_feedback(submission, actor=user)
        return Response(self.get_serializer(self.get_queryset().get(pk=submission.pk)).data, status=202)

    @extend_schema(request=s.OverrideSerializer, responses=s.SubmissionSerializer, summary="Review: set the score")
    @action(detail=True, methods=["post"])
    def review(self, request, pk=None):
        submission = self.get_object()
        form = s.OverrideSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        services.override(
            submission,
            actor=request.user,
            score=data["score"],
            criteria=[dict(row) for row in data.get("criteria") or []],
            comment=data.get("comment") or "",
            request=request,
        )
        return Response(self.get_serializer(self.get_queryset().get(pk=submission.pk)).data)


@extend_schema(tags=["problems"])
class ProgressViewSet(ScopedViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    resource = "progress"
    base_queryset = Progress.objects.all()
    serializer_class = s.ProgressSerializer
    permission_classes = [HasPermission(resource="progress")]
    filterset_class = f.ProgressFilter
    ordering_fields = ["topic", "mastery", "last_activity"]
    ordering = ["student", "topic"]

    def get_queryset(self):
        return super().get_queryset().distinct()
