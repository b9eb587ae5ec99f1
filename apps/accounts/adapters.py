from allauth.account.adapter import DefaultAccountAdapter
from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.conf import settings
from django.db import connection


class AccountAdapter(DefaultAccountAdapter):
    # Every sign-in allauth performs — browser form, headless app and browser clients, the
    # admin (which signs in through allauth) and reauthentication — passes through
    # authenticate(), so the limit is enforced here (apps.core.ratelimit).
    def pre_authenticate(self, request, **credentials) -> None:
        from allauth.core.exceptions import ImmediateHttpResponse

        from apps.core import ratelimit

        try:
            ratelimit.check_login(request, credentials)
        except ratelimit.LoginLocked as locked:
            raise ImmediateHttpResponse(ratelimit.too_many_requests(request, locked.wait)) from None

    def authentication_failed(self, request, **credentials) -> None:
        from apps.core import ratelimit

        ratelimit.login_failed(request, credentials)

    def is_open_for_signup(self, request) -> bool:
        # Platform operators are created by operators, never by sign-up.
        if connection.schema_name == "public":
            return False
        return getattr(settings, "ACCOUNT_ALLOW_SIGNUP", True)

    def get_login_redirect_url(self, request) -> str:
        # Without a `next`, the tenant type's vertical may send the user to its own home
        # (a parent on an academy host goes to the parent portal: apps.accounts.hooks).
        from .hooks import login_redirect

        return login_redirect(request) or super().get_login_redirect_url(request)


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def is_open_for_signup(self, request, sociallogin) -> bool:
        return connection.schema_name != "public" and getattr(settings, "ACCOUNT_ALLOW_SIGNUP", True)


class MFAAdapter(DefaultMFAAdapter):
    def can_delete_authenticator(self, authenticator) -> bool:
        # Holders of owner/manager/admin-type roles keep their TOTP: turning it off would
        # only lock them out of the admin and the API.
        from .permissions import mfa_required

        if authenticator.type == authenticator.Type.TOTP and mfa_required(authenticator.user):
            return False
        return super().can_delete_authenticator(authenticator)
