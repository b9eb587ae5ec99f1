from __future__ import annotations

from django.db.models import Avg, Count, Q
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import api_view, permission_classes
from rest_framework.response import Response

from apps.accounts.api.permissions import HasPermission
from apps.accounts.scoping import visible_to

from ..models import Attempt, Student

DashboardSerializer = inline_serializer(
    "LearningDashboard",
    {
        "students": serializers.IntegerField(),
        "attempts": serializers.IntegerField(),
        "finished": serializers.IntegerField(),
        "in_progress": serializers.IntegerField(),
        "mean_theta": serializers.FloatField(allow_null=True),
        "exams": serializers.ListField(child=serializers.DictField()),
    },
)


@extend_schema(tags=["learning: analytics"], responses=DashboardSerializer)
@api_view(["GET"])
@permission_classes([HasPermission("dashboard:read")])
def dashboard(request):
    """Seed 003's dashboard: the attempts and students the user may read (a teacher's
    classes, an organisation's students, the whole zone), per exam."""
    user = request.user
    rows = visible_to(Attempt.objects.all(), user, "attempt:read")
    done = ~Q(status=Attempt.Status.ACTIVE)
    totals = rows.aggregate(
        attempts=Count("pk"),
        finished=Count("pk", filter=done),
        mean_theta=Avg("theta", filter=done),
    )
    exams = (
        rows.values("exam_id", "exam__title")
        .annotate(
            attempts=Count("pk"),
            finished=Count("pk", filter=done),
            mean_theta=Avg("theta", filter=done),
            mean_score=Avg("scaled_score", filter=done),
        )
        .order_by("exam__title")
    )
    return Response(
        {
            "students": visible_to(Student.objects.all(), user, "student:read").count(),
            "attempts": totals["attempts"],
            "finished": totals["finished"],
            "in_progress": totals["attempts"] - totals["finished"],
            "mean_theta": totals["mean_theta"],
            "exams": [
                {
                    "exam": row["exam_id"],
                    "title": row["exam__title"],
                    "attempts": row["attempts"],
                    "finished": row["finished"],
                    "mean_theta": row["mean_theta"],
                    "mean_score": row["mean_score"],
                }
                for row in exams
            ],
        }
    )


LeaderboardSerializer = inline_serializer(
    "LearningLeaderboard",
    {
        "board": serializers.CharField(),
        "period": serializers.CharField(),
        "rows": serializers.ListField(child=serializers.DictField()),
    },
)


@extend_schema(
    tags=["learning: analytics"],
    parameters=[
        OpenApiParameter("exam", int, required=False, description="An exam's board; the zone's when absent."),
        OpenApiParameter("period", str, enum=["all", "week"], required=False),
    ],
    responses=LeaderboardSerializer,
)
@api_view(["GET"])
@permission_classes([HasPermission("leaderboard:read")])
def leaderboard(request):
    """The top 20 by best scaled score, all-time or this week, shown by nickname."""
    from django.utils import timezone
    from django.utils.translation import gettext as _
    from rest_framework.exceptions import ErrorDetail, ValidationError

    from ..models import Exam
    from ..services import leaderboards

    exam = request.query_params.get("exam")
    period = request.query_params.get("period", "all")
    if period not in ("all", "week"):
        raise ValidationError({"period": [_("all or week.")]})
    board = "zone"
    if exam:
        if (
            not (exam.isascii() and exam.isdigit())
            or not visible_to(Exam.objects.all(), request.user, "exam:read").filter(pk=int(exam)).exists()
        ):
            raise ValidationError({"exam": [ErrorDetail(_("No such exam."), code="does_not_exist")]})
        board = f"exam.{int(exam)}"
    key = "all" if period == "all" else leaderboards.week_of(timezone.now())
    return Response({"board": board, "period": key, "rows": leaderboards.top(board, key)})
