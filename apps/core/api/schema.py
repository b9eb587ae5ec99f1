"""How the OpenAPI schema describes what the API really answers (drf-spectacular).

- `AutoSchema` declares the error answers every operation can give, in the one error body
  (apps.core.api.errors): 400, 401, 403, 404 and 429 everywhere (a bad filter or page, no
  or wrong credentials, a missing permission or MFA, a row out of scope, the rate limit),
  and 413/415 where a body is sent. Undeclared status codes are failures of the schema
  fuzzing test (tests/core/test_schema_fuzz.py).
- A write action that answers a list (roll_call) says "array", not a page.
- `postprocess` turns drf-spectacular's `format: time` (RFC 3339 full-time, which needs a
  UTC offset a validator insists on) into the `HH:MM[:SS[.ffffff]]` DRF reads and writes.
"""

from __future__ import annotations

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import serializers

TIME_PATTERN = r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,6})?)?$"

ERROR_DESCRIPTIONS = {
    400: "Malformed or invalid request (`parse_error`, `validation_error` with `fields`).",
    401: "Not signed in on this tenant (`not_authenticated`).",
    403: "Signed in without the permission, or without the required TOTP (`permission_denied`, `mfa_required`).",
    404: "No such row, or not in your scope; or a page past the end (`not_found`).",
    413: "The body is larger than the site takes (`payload_too_large`).",
    415: "The body is not JSON or a form (`unsupported_media_type`).",
    429: "Rate limit reached; `Retry-After` says when to try again (`throttled`).",
}

_error = None


def error_serializer():
    global _error
    if _error is None:
        _error = inline_serializer(
            "Error",
            {
                "code": serializers.CharField(),
                "message": serializers.CharField(),
                "fields": serializers.DictField(
                    child=serializers.ListField(child=serializers.CharField()), required=False
                ),
            },
        )
    return _error


class AutoSchema(SpectacularAutoSchema):
    def _get_paginator(self):
        # A write action answering a list (roll_call) is a plain array, and the schema must say
        # so; list and GET actions that page their rows (wallet history) stay paginated.
        action = getattr(self.view, "action", None)
        if action not in (None, "list") and self.method != "GET":
            return None
        return super()._get_paginator()

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        codes = [400, 401, 403, 404, 429]
        if self.method in ("POST", "PUT", "PATCH"):
            codes += [413, 415]
        for code in codes:
            if str(code) not in responses:
                responses[str(code)] = self._get_response_for_code(
                    OpenApiResponse(error_serializer(), description=ERROR_DESCRIPTIONS[code]), str(code)
                )
        return responses


def postprocess(result, generator, request, public):
    """Times as DRF writes them (see the module docstring)."""

    def walk(node):
        if isinstance(node, dict):
            if node.get("type") == "string" and node.get("format") == "time":
                node["format"] = "partial-time"
                node["pattern"] = TIME_PATTERN
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(result)
    return result
