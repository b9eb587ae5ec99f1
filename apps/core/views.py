"""Pages every tenant type shares: the home page, and error pages that answer API paths
in the API's error format and everything else in HTML (Korean or English)."""

from __future__ import annotations

from django.conf import settings
from django.shortcuts import render
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import api_view, permission_classes
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from .api.errors import error_response


def _is_api(request) -> bool:
    return request.path.startswith(("/api/", "/_allauth/"))


def home(request):
    tenant = request.tenant
    return render(
        request,
        f"core/home_{tenant.type}.html",
        {"social_providers": sorted(settings.SOCIALACCOUNT_PROVIDERS)},
    )


def bad_request(request, exception=None):
    from django.core.exceptions import RequestDataTooBig

    if isinstance(exception, RequestDataTooBig):
        # A multipart form's text fields over DATA_UPLOAD_MAX_MEMORY_SIZE (bodies with a
        # larger Content-Length never get this far: apps.core.security.BodySizeLimitMiddleware).
        from django.conf import settings

        from .security import BodySizeLimitMiddleware

        return BodySizeLimitMiddleware.too_large(request, settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
    if _is_api(request):
        return error_response(400, _("The request could not be understood."))
    return render(request, "400.html", status=400)


def permission_denied(request, exception=None):
    if _is_api(request):
        return error_response(403, _("You do not have permission to do this."))
    return render(request, "403.html", status=403)


def page_not_found(request, exception=None):
    if _is_api(request):
        return error_response(404, _("Not found."))
    return render(request, "404.html", status=404)


def too_many_requests(request, exception=None, wait: float | None = None):
    from .ratelimit import too_many_requests as respond

    return respond(request, wait)


def server_error(request):
    if _is_api(request):
        return error_response(500, _("Something went wrong on our side."))
    return render(request, "500.html", status=500)


@extend_schema(
    tags=["site"],
    summary="Which tenant this host serves",
    responses=inline_serializer(
        "Site",
        {
            "name": serializers.CharField(),
            "schema": serializers.CharField(),
            "type": serializers.CharField(),
            "language": serializers.CharField(),
        },
    ),
)
@api_view(["GET"])
@permission_classes([AllowAny])
def site(request):
    tenant = request.tenant
    return Response(
        {"name": tenant.name, "schema": tenant.schema_name, "type": tenant.type, "language": request.LANGUAGE_CODE}
    )


class SentryCheckError(RuntimeError):
    """Raised on purpose by `sentry_check` so operators can see an event arrive."""


def sentry_check(request):
    """`/_ops/sentry-check/`: superusers raise a deliberate error to verify the Sentry wiring
    (and its tenant tags) after a deploy. Everyone else gets a 404."""
    from django.http import Http404

    if not (request.user.is_authenticated and request.user.is_superuser):
        raise Http404
    raise SentryCheckError(f"Sentry check from {request.tenant.schema_name}")
