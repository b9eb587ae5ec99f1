"""Reading a request body that must be a JSON object."""

from __future__ import annotations

from collections.abc import Mapping

from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError


def object_body(request) -> Mapping:
    """`request.data` when it is an object (a JSON object or a form); otherwise a 400 naming
    the body, not a 500 (`""` or `[]` is valid JSON, and `.get` on it raised)."""
    data = request.data
    if not isinstance(data, Mapping):
        raise ValidationError({"non_field_errors": [_("The body must be a JSON object.")]}, code="invalid")
    return data
