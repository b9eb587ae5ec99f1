"""Seed 003's password rule: an upper-case and a lower-case letter, a digit and a special
character (length and common passwords are Django's own validators)."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

SPECIAL = '!@#$%^&*(),.?":{}|<>'
CLASSES = (
    ("upper", re.compile(r"[A-Z]")),
    ("lower", re.compile(r"[a-z]")),
    ("digit", re.compile(r"[0-9]")),
    ("special", re.compile("[" + re.escape(SPECIAL) + "]")),
)


class CharacterClassesValidator:
    def _messages(self) -> dict[str, str]:
        return {
            "upper": _("The password must contain an upper-case letter (A–Z)."),
            "lower": _("The password must contain a lower-case letter (a–z)."),
            "digit": _("The password must contain a digit (0–9)."),
            "special": _("The password must contain one of these characters: %(chars)s") % {"chars": SPECIAL},
        }

    def validate(self, password: str, user=None) -> None:
        messages = self._messages()
        missing = [name for name, pattern in CLASSES if not pattern.search(password or "")]
        if missing:
            raise ValidationError([ValidationError(messages[name], code=f"password_no_{name}") for name in missing])

    def get_help_text(self) -> str:
        return _("Your password must contain an upper-case and a lower-case letter, a digit and one of %(chars)s") % {
            "chars": SPECIAL
        }
