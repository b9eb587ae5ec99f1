"""DRF's JSON parser behind the nesting check (apps.core.jsondepth).

JsonDepthMiddleware refuses deep bodies before any view runs; this keeps the API safe on
paths that do not pass through it (a view called directly, a test's request factory)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from apps.core import jsondepth


class DepthLimitedJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        raw = stream.read() if stream is not None else b""
        limit = jsondepth.max_depth()
        if jsondepth.depth_exceeds(raw, limit):
            raise ParseError(_("The JSON body is nested too deeply (at most %(limit)d levels).") % {"limit": limit})
        from io import BytesIO

        return super().parse(BytesIO(raw), media_type, parser_context)
