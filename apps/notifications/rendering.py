"""Templates with #{variable} placeholders (the Alimtalk convention)."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

PLACEHOLDER = re.compile(r"#\{([^{}]+)\}")
ALIMTALK_MAX_CHARS = 1000


def placeholders(body: str) -> set[str]:
    return set(PLACEHOLDER.findall(body))


def render(body: str, variables: dict[str, str]) -> str:
    """Fill every placeholder; refuse missing or unexpected variables and empty values, so
    the text sent is always exactly the approved template with its variables."""
    wanted, given = placeholders(body), set(variables)
    errors = {}
    if wanted - given:
        errors["variables"] = _("Missing variables: %(names)s") % {"names": ", ".join(sorted(wanted - given))}
    elif given - wanted:
        errors["variables"] = _("Variables the template does not use: %(names)s") % {
            "names": ", ".join(sorted(given - wanted))
        }
    elif any(str(variables[name]).strip() == "" for name in wanted):
        errors["variables"] = _("Empty variables: %(names)s") % {
            "names": ", ".join(sorted(n for n in wanted if str(variables[n]).strip() == ""))
        }
    if errors:
        raise ValidationError(errors)
    text = PLACEHOLDER.sub(lambda m: str(variables[m.group(1)]), body)
    if len(text) > ALIMTALK_MAX_CHARS:
        raise ValidationError({"variables": _("The message is longer than 1,000 characters.")})
    return text
