"""`/api/v1/kzone/…` on the zone's hosts (seed 003's endpoints): hand in a take —
`voice/analyze`, `dance/pose-detection`, `drama/scene-analysis` — after a direct upload
(`uploads/`, a presigned PUT through apps.media), then read it (`takes/`, live on
`ws/kzone/`), cancel it, and read the content and one's history.

A learner sees their own takes only (any other id is a 404). Handing in a take is an AI
request: 50 a minute per client address on zone sites and 10 a minute per user, shared
with every AI feature (AI_THROTTLES); 429 with Retry-After beyond."""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.api.permissions import HasPermission
from apps.core.api.parsers import DepthLimitedJSONParser as JSONParser
from apps.core.ratelimit import AI_THROTTLES
from apps.core.services import unknown

from .. import services
from ..models import Choreography, DramaScene, Take, VoiceLine
from . import serializers as s

USE = HasPermission("tutor:use")


def _language(request, data) -> str:
    return data.get("language") or (getattr(request, "LANGUAGE_CODE", "ko") or "ko")[:2]


class _Analyze(APIView):
    parser_classes = [JSONParser]
    permission_classes = [USE]
    throttle_classes = AI_THROTTLES
    kind = ""
    field = ""
    serializer = None

    def post(self, request):
        form = self.serializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        take = services.start_take(
            self.kind,
            data[self.field],
            actor=request.user,
            media_key=data["media_key"],
            character=data.get("character", ""),
            language=_language(request, data),
            idempotency_key=data.get("idempotency_key"),
        )
        return Response(s.TakeSerializer(take).data, status=status.HTTP_202_ACCEPTED)


@extend_schema(
    tags=["kzone"],
    request=s.VoiceAnalyzeSerializer,
    responses={202: s.TakeSerializer},
    summary="Analyse a voice take (STT → alignment → feedback)",
)
class VoiceAnalyze(_Analyze):
    kind, field, serializer = Take.Kind.VOICE, "line", s.VoiceAnalyzeSerializer

    def post(self, request):
        return super().post(request)


@extend_schema(
    tags=["kzone"],
    request=s.DanceAnalyzeSerializer,
    responses={202: s.TakeSerializer},
    summary="Analyse a dance take (pose → comparison with the reference)",
)
class DanceAnalyze(_Analyze):
    kind, field, serializer = Take.Kind.DANCE, "choreography", s.DanceAnalyzeSerializer

    def post(self, request):
        return super().post(request)


@extend_schema(
    tags=["kzone"],
    request=s.DramaAnalyzeSerializer,
    responses={202: s.TakeSerializer},
    summary="Analyse a drama take (STT → line accuracy, pacing → scene feedback)",
)
class DramaAnalyze(_Analyze):
    kind, field, serializer = Take.Kind.DRAMA, "scene", s.DramaAnalyzeSerializer

    def post(self, request):
        return super().post(request)


CONTENT_MODELS = {Take.Kind.VOICE: VoiceLine, Take.Kind.DRAMA: DramaScene, Take.Kind.DANCE: Choreography}


@extend_schema(
    tags=["kzone"],
    request=s.PresignRequestSerializer,
    responses={201: s.PresignSerializer},
    summary="A presigned PUT for a recording or a video",
)
class Uploads(APIView):
    parser_classes = [JSONParser]
    permission_classes = [USE]

    def post(self, request):
        form = s.PresignRequestSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        content = services.visible_content(CONTENT_MODELS[data["kind"]]).filter(pk=data["content"]).first()
        if content is None:
            raise unknown(content=gettext("No such content."))
        answer = services.presign(data["kind"], content, actor=request.user, content_type=data["content_type"])
        return Response(s.PresignSerializer(answer).data, status=status.HTTP_201_CREATED)


TAKE_FILTERS = [
    OpenApiParameter("kind", str, enum=[c for c, _ in Take.Kind.choices], required=False),
    OpenApiParameter("content", int, required=False, description="a voice line, scene or choreography id"),
]


@extend_schema(tags=["kzone"])
class TakeViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The signed-in learner's own takes, newest first."""

    permission_classes = [USE]
    serializer_class = s.TakeSerializer
    lookup_value_regex = "[0-9]+"

    def get_queryset(self):
        user = self.request.user
        if getattr(self, "swagger_fake_view", False) or not user.is_authenticated:
            return Take.objects.none()
        rows = Take.objects.filter(user=user).select_related("voice_line", "scene", "choreography")
        params = self.request.query_params
        if (kind := params.get("kind")) is not None:
            if kind not in Take.Kind.values:
                raise ValidationError({"kind": ["voice, dance or drama."]})
            rows = rows.filter(kind=kind)
        if (content := params.get("content")) is not None:
            if not content.isdigit() or len(content) > 18:
                raise ValidationError({"content": ["An id."]})
            pk = int(content)
            rows = rows.filter(Q(voice_line_id=pk) | Q(scene_id=pk) | Q(choreography_id=pk))
        return rows

    @extend_schema(parameters=TAKE_FILTERS)
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(request=None, responses={200: s.TakeSerializer}, summary="Cancel a take")
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        take = services.cancel_take(self.get_object(), actor=request.user)
        return Response(s.TakeSerializer(take).data)


def _reads(model, serializer, tag: str):
    @extend_schema(tags=["kzone"])
    class Reads(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
        permission_classes = [USE]
        serializer_class = serializer
        lookup_value_regex = "[0-9]+"

        def get_queryset(self):
            rows = services.visible_content(model)
            if model is DramaScene:
                rows = rows.prefetch_related("lines")
            return rows

    Reads.__name__ = Reads.__qualname__ = f"{model.__name__}ViewSet"
    return Reads


VoiceLineViewSet = _reads(VoiceLine, s.VoiceLineSerializer, "voice")
DramaSceneViewSet = _reads(DramaScene, s.DramaSceneSerializer, "drama")
ChoreographyViewSet = _reads(Choreography, s.ChoreographySerializer, "dance")
