"""Guardians sign in with their phone number: the number is normalised and found through
the blind index (phones are stored encrypted), then the linked account's password is
checked as usual."""

from __future__ import annotations

from django.db import connection

from apps.accounts.backends import RoleModelBackend
from apps.core.normalise import normalise_phone


def _digits(login) -> str | None:
    if not login or getattr(connection.tenant, "type", None) != "academy":
        return None
    try:
        return normalise_phone(login)
    except ValueError:
        return None


def _guardian_user(digits: str):
    from apps.academy.models import Guardian
    from apps.academy.services.people import phone_index

    guardian = Guardian.objects.filter(phone_index=phone_index(digits), user__isnull=False).select_related("user")
    return guardian[0].user if guardian else None


class GuardianPhoneBackend(RoleModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        digits = _digits(username)
        if not digits or not password:
            return None
        user = _guardian_user(digits)
        if user is not None and user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None

    def login_alias(self, login: str) -> str | None:
        """The sign-in limit's account key for a phone number (apps.core.ratelimit)."""
        digits = _digits(login)
        if not digits:
            return None
        user = _guardian_user(digits)
        return f"user:{user.pk}" if user is not None else f"phone:{digits}"
