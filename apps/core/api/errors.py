"""One error body for the whole API:

    {"code": "validation_error", "message": "...", "fields": {"name": ["..."]},
     "codes": {"name": ["max_length"]}}

`code` is stable and machine-readable, `message` is human-readable in the request's
language, `fields` (only for validation errors) maps each bad field, or row, to its
messages and `codes` to the machine-readable reason of each (`does_not_exist` for an id or
PIN that names nothing, `required`, `invalid`, …), in the same order. DRF exceptions,
Django's 404/403/400/500 under /api/, and domain ValidationErrors raised by services all
come out in this shape.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

DEFAULT_CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "throttled",
    500: "server_error",
    503: "unavailable",
}


class Unavailable(exceptions.APIException):
    """A service the request needs (a payment gateway, a model server) does not answer."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_code = "unavailable"


def error_body(
    status_code: int, message: str, code: str | None = None, fields: dict | None = None, codes: dict | None = None
) -> dict:
    body = {"code": code or DEFAULT_CODES.get(status_code, "error"), "message": str(message)}
    if fields:
        body["fields"] = fields
        body["codes"] = codes or {name: ["invalid"] * len(messages) for name, messages in fields.items()}
    return body


def error_response(status_code: int, message: str, code: str | None = None, fields: dict | None = None) -> JsonResponse:
    return JsonResponse(error_body(status_code, message, code, fields), status=status_code)


def _message(item) -> str:
    return str(item)


def _code(item) -> str:
    return getattr(item, "code", None) or "invalid"


def _flatten(detail, each=_message) -> dict:
    """DRF's nested error detail as {field: [each(error)]}; nested fields get dotted names."""
    if isinstance(detail, list):
        if detail and all(isinstance(item, dict) for item in detail):
            fields = {}
            for index, item in enumerate(detail):
                for key, value in _flatten(item, each).items():
                    fields[f"{index}.{key}"] = value
            return fields
        return {"non_field_errors": [each(item) for item in detail]}
    fields: dict[str, list[str]] = {}
    for key, value in detail.items():
        if isinstance(value, dict) or (isinstance(value, list) and value and all(isinstance(v, dict) for v in value)):
            for sub, messages in _flatten(value, each).items():
                fields[f"{key}.{sub}"] = messages
        elif isinstance(value, list):
            fields[key] = [each(v) for v in value]
        else:
            fields[key] = [each(value)]
    return fields


def drf_detail(exc: DjangoValidationError):
    """A Django ValidationError as DRF's error detail, keeping each error's code."""
    from rest_framework.exceptions import ErrorDetail

    def details(errors) -> list:
        return [ErrorDetail(message, code=error.code or "invalid") for error in errors for message in error]

    if hasattr(exc, "error_dict"):
        return {field: details(errors) for field, errors in exc.error_dict.items()}
    return {"non_field_errors": details(exc.error_list)}


def exception_handler(exc, context):
    if isinstance(exc, (PermissionDenied, exceptions.PermissionDenied)):
        # Every refusal the API gives is in the audit log (once, even after a rollback).
        from apps.audit.services import record_denial_of

        record_denial_of(exc, request=context.get("request"))
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(drf_detail(exc))
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        # A refusal may carry a message meant for the user (e.g. which role cannot be given).
        exc = exceptions.PermissionDenied(getattr(exc, "user_message", None))

    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # unexpected: Django's 500 handler (and Sentry) take it from here

    if isinstance(exc, exceptions.ValidationError):
        detail = exc.detail
        detail = detail if isinstance(detail, (dict, list)) else [detail]
        body = error_body(
            response.status_code,
            _("Some fields are invalid."),
            "validation_error",
            _flatten(detail),
            _flatten(detail, _code),
        )
    elif isinstance(exc, exceptions.Throttled):
        # DRF's own wording has no Korean; Retry-After (set by DRF from exc.wait) says when.
        message = (
            _("Too many requests. Try again in %(seconds)d seconds.") % {"seconds": exc.wait}
            if exc.wait
            else _("Too many requests. Try again later.")
        )
        body = error_body(429, message, "throttled")
    else:
        detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
        code = getattr(detail, "code", None)
        if getattr(exc, "error_code", None):
            code = exc.error_code  # a specific, documented code (e.g. mfa_required)
        elif code in (None, "error", "invalid") or response.status_code in (401, 403, 404, 405, 429):
            code = DEFAULT_CODES.get(response.status_code, code or "error")
        body = error_body(response.status_code, detail, code)
    response.data = body
    return response


def unexpected_error_response() -> Response:
    return Response(
        error_body(500, _("Something went wrong on our side.")), status=status.HTTP_500_INTERNAL_SERVER_ERROR
    )


class ApiErrorBodyMiddleware:
    """Under /api/, every error answer is the JSON error body, whatever DEBUG is.

    With DEBUG on, Django answers an unexpected exception or an unknown /api/ URL with its
    debug HTML page (settings, SQL, file paths) instead of the handlers in apps.core.views.
    Django has already logged the error and told Sentry (got_request_exception) by the time
    the response comes back here; this only replaces a non-JSON error body. DRF's own
    responses are left alone (the exception handler shaped them already)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            response.status_code >= 400
            and request.path.startswith("/api/")
            and not hasattr(response, "data")
            and "json" not in response.get("Content-Type", "")
        ):
            return self.json_body(request, response)
        return response

    @staticmethod
    def json_body(request, response):
        from django.utils import translation

        from apps.core import views

        with translation.override(getattr(request, "LANGUAGE_CODE", None) or translation.get_language()):
            status_code = response.status_code
            if status_code == 404:
                replaced = views.page_not_found(request)
            elif status_code == 403:
                replaced = views.permission_denied(request)
            elif status_code == 400:
                replaced = views.bad_request(request)
            elif status_code >= 500:
                replaced = error_response(status_code, _("Something went wrong on our side."))
            else:
                replaced = error_response(status_code, response.reason_phrase)
        for header in ("Retry-After", "Allow", "X-Request-ID"):
            if header in response:
                replaced[header] = response[header]
        return replaced
