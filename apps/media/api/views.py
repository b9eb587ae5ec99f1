"""`/api/v1/media/`: direct browser uploads for any vertical, and the signed-in user's
objects.

    POST /api/v1/media/uploads/          {"kind", "content_type", "size"?} → where to PUT the file
    (the browser PUTs the bytes to `url` with `headers`)
    POST /api/v1/media/uploads/confirm/  {"key"} → the checked MediaObject (or 400, deleted)
    GET  /api/v1/media/objects/          the user's objects; /{id}/ one; /{id}/playback/ a URL

The server names the key (`uploads/<user id>/<kind>/<uuid>.<ext>`): a vertical that wants
seed 003's layout (`kzone/audio/…`) calls apps.media.services itself. Every user sees and
confirms only their own uploads; another user's id or key answers as if it did not exist.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from .. import inspect, services
from ..models import MediaObject
from .serializers import (
    CONFIRM_SCHEMA,
    EXTENSIONS,
    PRESIGN_SCHEMA,
    ConfirmRequestSerializer,
    MediaObjectSerializer,
    PlaybackSerializer,
    PresignedUploadSerializer,
    PresignRequestSerializer,
)

PLAYBACK_SECONDS = 300


@extend_schema(tags=["media"])
class UploadViewSet(viewsets.GenericViewSet):
    serializer_class = PresignedUploadSerializer

    @extend_schema(
        request={"application/json": PRESIGN_SCHEMA},
        responses={201: PresignedUploadSerializer},
        summary="Get a URL to upload a file to (presigned PUT)",
    )
    def create(self, request):
        form = PresignRequestSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        kind, content_type = form.validated_data["kind"], form.validated_data["content_type"]
        extension = EXTENSIONS.get(inspect.base_type(content_type), "bin")
        key = f"uploads/{request.user.pk}/{kind}/{uuid.uuid4().hex}.{extension}"
        grant = services.presign_upload(
            kind, key, content_type=content_type, user=request.user, size=form.validated_data.get("size")
        )
        return Response(PresignedUploadSerializer(grant).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request={"application/json": CONFIRM_SCHEMA},
        responses={201: MediaObjectSerializer},
        summary="Check an uploaded file and keep it",
    )
    @action(detail=False, methods=["post"])
    def confirm(self, request):
        form = ConfirmRequestSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        key = form.validated_data["key"]
        pending = MediaObject.objects.filter(
            key=key, status=MediaObject.Status.PENDING, created_by=request.user
        ).first()
        kind = pending.kind if pending is not None else services.KINDS[0]  # the service says it is missing
        obj = services.confirm_upload(kind, key, user=request.user)
        return Response(MediaObjectSerializer(obj).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["media"])
class MediaObjectViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = MediaObjectSerializer
    lookup_value_regex = "[0-9]+"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return MediaObject.objects.none()
        return MediaObject.objects.filter(created_by=self.request.user, status=MediaObject.Status.READY)

    @extend_schema(
        responses={200: PlaybackSerializer},
        parameters=[OpenApiParameter("id", int, OpenApiParameter.PATH)],
        summary="A short-lived URL to play or download the object",
    )
    @action(detail=True, methods=["get"])
    def playback(self, request, pk=None):
        obj = self.get_object()
        url = services.playback_url(obj.key, seconds=PLAYBACK_SECONDS)
        expires_at = timezone.now() + timedelta(seconds=PLAYBACK_SECONDS)
        return Response(PlaybackSerializer({"url": url, "expires_at": expires_at}).data)
