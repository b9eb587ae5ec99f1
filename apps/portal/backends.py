"""Guardians sign in with their phone number: the number is normalised and found through
the blind index (phones are stored encrypted), then the linked account's password is
checked as usual."""

from __future__ import annotations

from django.db import connection

from apps.accounts.backends import RoleModelBackend
from apps.core.normalise import normalise_phone


class GuardianPhoneBackend(RoleModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if not username or not password or getattr(connection.tenant, "type", None) != "academy":
            return None
        try:
            digits = normalise_phone(username)
        except ValueError:
            return None
        if not digits:
            return None
        from apps.academy.models import Guardian
        from apps.academy.services.people import phone_index

        guardian = Guardian.objects.filter(phone_index=phone_index(digits), user__isnull=False).first()
        if guardian is None:
            return None
        user = guardian.user
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
