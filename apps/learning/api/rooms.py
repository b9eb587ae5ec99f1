"""Live exam rooms on the API: a teacher opens one for their class (and drives it here or
over the socket, ws/learning/rooms/<id>/); a student of the class joins it."""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import ErrorDetail, ValidationError
from rest_framework.response import Response

from apps.accounts.api.permissions import HasPermission
from apps.accounts.permissions import has_permission
from apps.accounts.scoping import visible_to
from apps.core.api.parsers import DepthLimitedJSONParser as JSONParser
from apps.core.api.viewsets import ScopedViewSet

from ..models import Exam, Klass, LiveRoom, Student
from ..services import rooms


class RoomSerializer(serializers.ModelSerializer):
    remaining_seconds = serializers.SerializerMethodField()

    class Meta:
        model = LiveRoom
        fields = ["id", "exam", "klass", "status", "duration_seconds", "started_at", "ends_at", "remaining_seconds"]
        read_only_fields = ["id", "status", "started_at", "ends_at", "remaining_seconds"]
        extra_kwargs = {"duration_seconds": {"min_value": 60, "max_value": 21600}}

    def get_remaining_seconds(self, room) -> int | None:
        return room.remaining_seconds()


class ExtendSerializer(serializers.Serializer):
    seconds = serializers.IntegerField(min_value=1, max_value=3600)


class JoinSerializer(serializers.Serializer):
    attempt = serializers.IntegerField(allow_null=True)
    room = RoomSerializer()


@extend_schema(tags=["learning: live rooms"])
class RoomViewSet(ScopedViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    parser_classes = [JSONParser]  # JSON bodies only: a form's empty field is not an omitted one
    resource = "exam"
    base_queryset = LiveRoom.objects.all()
    serializer_class = RoomSerializer
    permission_classes = [
        HasPermission(
            resource="exam",
            actions={
                "create": "exam:update",
                "start": "exam:update",
                "pause": "exam:update",
                "resume": "exam:update",
                "extend": "exam:update",
                "end": "exam:update",
                "join": "attempt:create",
            },
        )
    ]

    def get_queryset(self):
        user = self.request.user
        rows = super().get_queryset()
        if getattr(self, "swagger_fake_view", False) or not user.is_authenticated:
            return rows
        if has_permission(user, "class:read"):
            return rows.filter(klass__in=visible_to(Klass.objects.all(), user, "class:read"))
        student = Student.objects.filter(user=user).first()
        if student is None:
            return rows.none()
        return rows.filter(Q(klass__enrollments__student=student, klass__enrollments__is_active=True)).distinct()

    def create(self, request):
        data = RoomSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        klass = visible_to(Klass.objects.all(), request.user, "class:read").filter(pk=values["klass"].pk).first()
        if klass is None:
            raise ValidationError({"klass": [_("No such class, or not yours.")]})
        exam = visible_to(Exam.objects.all(), request.user, "exam:read").filter(pk=values["exam"].pk).first()
        if exam is None:
            raise ValidationError({"exam": [ErrorDetail(_("No such exam."), code="does_not_exist")]})
        room = rooms.open_room(exam=exam, klass=klass, duration_seconds=values["duration_seconds"], actor=request.user)
        return Response(RoomSerializer(room).data, status=status.HTTP_201_CREATED)

    def _act(self, request, name: str, *args):
        room = getattr(rooms, name)(self.get_object(), *args, actor=request.user)
        return Response(RoomSerializer(room).data)

    @extend_schema(request=None, responses=RoomSerializer)
    @action(detail=True, methods=["post"])
    def start(self, request, pk=None):
        return self._act(request, "start")

    @extend_schema(request=None, responses=RoomSerializer)
    @action(detail=True, methods=["post"])
    def pause(self, request, pk=None):
        return self._act(request, "pause")

    @extend_schema(request=None, responses=RoomSerializer)
    @action(detail=True, methods=["post"])
    def resume(self, request, pk=None):
        return self._act(request, "resume")

    @extend_schema(request=ExtendSerializer, responses=RoomSerializer)
    @action(detail=True, methods=["post"])
    def extend(self, request, pk=None):
        data = ExtendSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._act(request, "extend", data.validated_data["seconds"])

    @extend_schema(request=None, responses=RoomSerializer)
    @action(detail=True, methods=["post"])
    def end(self, request, pk=None):
        return self._act(request, "end")

    @extend_schema(request=None, responses=JoinSerializer)
    @action(detail=True, methods=["post"])
    def join(self, request, pk=None):
        student = Student.objects.filter(user=request.user).first()
        if student is None:
            raise ValidationError({"room": [_("Only students join a room.")]})
        room = self.get_object()
        attempt = rooms.join(room, student, actor=request.user, request=request)
        room.refresh_from_db()
        return Response({"attempt": attempt.pk if attempt else None, "room": RoomSerializer(room).data})
