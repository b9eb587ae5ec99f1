"""`/api/v1/inference/jobs/`: the signed-in user's AI jobs (submit, list, read, cancel).

Submitting is an AI endpoint: 10 a minute per user (RATE_LIMITS["ai"], AI_THROTTLES),
429 with Retry-After beyond. Every user sees only the jobs they asked for."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from apps.core.api.errors import drf_detail
from apps.core.ratelimit import AI_THROTTLES

from .. import services
from ..jobs.models import InferenceJob
from .serializers import SUBMIT_SCHEMA, InferenceJobSerializer, SubmitSerializer


@extend_schema(tags=["inference"])
class InferenceJobViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = InferenceJobSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # drf-spectacular reading the types
            return InferenceJob.objects.none()
        return InferenceJob.objects.filter(requester=self.request.user).order_by("-created_at")

    def get_throttles(self):
        if self.action == "create":
            return [throttle() for throttle in AI_THROTTLES]
        return super().get_throttles()

    @extend_schema(
        request={"application/json": SUBMIT_SCHEMA}, responses={202: InferenceJobSerializer}, summary="Submit an AI job"
    )
    def create(self, request):
        form = SubmitSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        key = data.get("idempotency_key")
        try:
            job = services.submit_job(
                kind=data["kind"],
                inputs=data["inputs"],
                params=data.get("params") or {},
                requester=request.user,
                feature=data.get("feature") or "api",
                idempotency_key=f"api:{request.user.pk}:{key}" if key else None,
            )
        except DjangoValidationError as exc:
            raise ValidationError(drf_detail(exc)) from exc
        return Response(InferenceJobSerializer(job).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=None, responses={200: InferenceJobSerializer}, summary="Cancel one of your AI jobs")
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        job = services.cancel_job(self.get_object(), actor=request.user)
        return Response(InferenceJobSerializer(job).data)
