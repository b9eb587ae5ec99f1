"""How the OpenAPI schema describes what the API really answers (drf-spectacular).

- `AutoSchema` declares the error answers every operation can give, in the one error body
  (apps.core.api.errors): 400, 401, 403, 404 and 429 everywhere (a bad filter or page, no
  or wrong credentials, a missing permission or MFA, a row out of scope, the rate limit),
  and 413/415 where a body is sent. Undeclared status codes are failures of the schema
  fuzzing test (tests/core/test_schema_fuzz.py).
- A write action that answers a list (roll_call) says "array", not a page.
- Request bodies are documented as JSON only (see map_parsers).
- `postprocess` turns drf-spectacular's `format: time` (RFC 3339 full-time, which needs a
  UTC offset a validator insists on) into the `HH:MM[:SS[.ffffff]]` DRF reads and writes,
  and gives dates and date-times the pattern of the days the API takes (1900–2100).
"""

from __future__ import annotations

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import serializers

TIME_PATTERN = r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,6})?)?$"

# Exactly the calendar days 1900-01-01 … 2100-12-31 that PlausibleDateField takes
# (apps.core.api.fields), leap days included, so that a client generated from the schema
# (or the fuzzer) knows which dates are accepted.
_YEAR = r"(19[0-9]{2}|20[0-9]{2}|2100)"
_LEAP_YEAR = r"(19(0[48]|[2468][048]|[13579][26])|20(0[048]|[2468][048]|[13579][26]))"
_MONTH_DAY = r"((0[13578]|1[02])-(0[1-9]|[12][0-9]|3[01])|(0[469]|11)-(0[1-9]|[12][0-9]|30)|02-(0[1-9]|1[0-9]|2[0-8]))"
DATE = rf"({_YEAR}-{_MONTH_DAY}|{_LEAP_YEAR}-02-29)"
DATE_PATTERN = rf"^{DATE}$"
# RFC 3339 date-times on those days, as DRF writes them and reads them, with a UTC offset
# of at most 14 hours (the widest in use; PostgreSQL refuses +21:28).
DATE_TIME_PATTERN = (
    rf"^{DATE}T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{{1,6}})?(Z|[+-](0[0-9]|1[0-3]):[0-5][0-9]|[+-]14:00)$"
)

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
                "codes": serializers.DictField(
                    child=serializers.ListField(child=serializers.CharField()), required=False
                ),
            },
        )
    return _error


class AutoSchema(SpectacularAutoSchema):
    def map_parsers(self):
        # The API's contract is JSON: forms are still read (a browser's plain form posts), but
        # a schema that offered them would promise what a form cannot say (null, nesting).
        # Upload endpoints, whose parsers take no JSON, keep their multipart body.
        media_types = super().map_parsers()
        json_types = [media_type for media_type in media_types if "json" in media_type]
        return json_types or media_types

    def _get_request_for_media_type(self, serializer, direction="request"):
        # drf-spectacular never marks a hand-written (dict) request schema's body required,
        # so a client reading the schema may send no body where fields are required.
        schema, required = super()._get_request_for_media_type(serializer, direction)
        if isinstance(serializer, dict) and _demands_fields(serializer):
            required = True
        return schema, required

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


def _demands_fields(schema: dict) -> bool:
    """A body this schema describes must hold at least one field."""
    if schema.get("required") or schema.get("minProperties"):
        return True
    branches = schema.get("oneOf") or schema.get("anyOf")
    return bool(branches) and all(isinstance(b, dict) and _demands_fields(b) for b in branches)


def postprocess(result, generator, request, public):
    """Times as DRF writes them (see the module docstring)."""

    def walk(node):
        if isinstance(node, dict):
            if node.get("type") == "string" and node.get("format") == "time":
                node["format"] = "partial-time"
                node["pattern"] = TIME_PATTERN
            elif node.get("type") == "string" and node.get("format") == "date" and "pattern" not in node:
                node["pattern"] = DATE_PATTERN
            elif node.get("type") == "string" and node.get("format") == "date-time" and "pattern" not in node:
                node["pattern"] = DATE_TIME_PATTERN
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(result)
    return result
