"""Bringing a guardian to the portal: staff invite a guardian (one they created, or one an
import brought in), the guardian receives a one-time link by KakaoTalk/SMS, chooses a
password there, and from then on signs in with their phone number and that password.

The account is created on invitation with no usable password and the guardian role; the
link is Django's password-reset token, so it stops working once used (the password it
sets changes the token's hash), after PASSWORD_RESET_TIMEOUT, and on any other tenant.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.db import transaction
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode
from django.utils.translation import gettext as _

from apps.academy.models import Guardian
from apps.academy.services.notifying import _contact
from apps.accounts import services as accounts
from apps.core.services import invalid, record
from apps.notifications.services import notify

User = get_user_model()


@dataclass
class Invitation:
    guardian: Guardian
    url: str
    created_account: bool


def username_for(guardian: Guardian) -> str:
    # Not the phone number: usernames are stored in clear, phones only encrypted.
    return f"guardian-{guardian.pk}"


@transaction.atomic
def invite(guardian: Guardian, *, base_url: str, actor=None) -> Invitation:
    """Give the guardian a portal account (if they have none) and send them the link."""
    if not guardian.phone:
        raise invalid(phone=_("This guardian has no phone number to send the invitation to."))
    created = False
    user = guardian.user
    if user is None:
        user = User.objects.create_user(username=username_for(guardian), email=guardian.email or "")
        user.set_unusable_password()
        user.save(update_fields=["password"])
        guardian.user = user
        guardian.save(update_fields=["user", "updated_at"])
        created = True
    if not user.is_active:
        raise invalid(user=_("This guardian's login is deactivated."))
    accounts.grant_role(user, "guardian")
    url = f"{base_url.rstrip('/')}{welcome_path(user)}"
    notify(
        template="portal_invite",
        to=_contact(guardian),
        # An imported guardian may have no name on file: "학부모님" then.
        variables={"name": guardian.name or _("Parent"), "url": url},
        # once a day per guardian: a second click the same day does not send again
        key=f"portal-invite:{guardian.pk}:{timezone.localdate():%Y%m%d}",
    )
    record("guardian.invited", guardian, actor, account_created=created)
    return Invitation(guardian, url, created)


def welcome_path(user) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    return f"/portal/welcome/{uid}/{default_token_generator.make_token(user)}/"


def user_for_token(uidb64: str, token: str):
    """The guardian account the link was made for, or None when it is not (any more) valid."""
    try:
        user = User.objects.get(pk=int(urlsafe_base64_decode(uidb64).decode()))
    except (ValueError, TypeError, OverflowError, User.DoesNotExist):
        return None
    if not user.is_active or not Guardian.objects.filter(user=user).exists():
        return None
    return user if default_token_generator.check_token(user, token) else None
