"""DRF's JSON parser behind the nesting check (apps.core.jsondepth), refusing NUL characters.

JsonDepthMiddleware refuses deep bodies before any view runs; this keeps the API safe on
paths that do not pass through it (a view called directly, a test's request factory)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework.exceptions import ErrorDetail, ParseError, ValidationError
from rest_framework.parsers import JSONParser

from apps.core import jsondepth


class DepthLimitedJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        raw = stream.read() if stream is not None else b""
        limit = jsondepth.max_depth()
        if jsondepth.depth_exceeds(raw, limit):
            raise ParseError(_("The JSON body is nested too deeply (at most %(limit)d levels).") % {"limit": limit})
        from io import BytesIO

        data = super().parse(BytesIO(raw), media_type, parser_context)
        if b"\\u0000" in raw:
            _refuse_nul(data)
        return data


def _holds_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_holds_nul(k) or _holds_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_holds_nul(v) for v in value)
    return False


def _refuse_nul(data) -> None:
    """PostgreSQL's text and jsonb cannot hold U+0000: refuse it here, naming the field, as
    DRF's CharField does, instead of failing at the INSERT (a 500)."""
    if not _holds_nul(data):
        return
    message = ErrorDetail(_("Null characters are not allowed."), code="null_characters_not_allowed")
    if isinstance(data, dict):
        fields = [key for key, value in data.items() if _holds_nul(key) or _holds_nul(value)]
        raise ValidationError({key if not _holds_nul(key) else "non_field_errors": [message] for key in fields})
    raise ValidationError({"non_field_errors": [message]})
