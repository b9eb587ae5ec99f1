"""DRF authentication through allauth: the app session token (headless `app` clients)
and the browser session. Both live in the tenant's own schema, so a token or cookie
issued by one tenant authenticates nobody on another.

Both refuse, with 403 `mfa_required`, a user whose roles require TOTP and who has none,
on every API view except those marked `mfa_exempt = True` (GET/PATCH /api/v1/me/, so an
app can learn why and send the user to enrol).
"""

from allauth.headless.contrib.rest_framework.authentication import XSessionTokenAuthentication
from drf_spectacular.authentication import SessionScheme
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import SessionAuthentication as DRFSessionAuthentication


class MfaEnforcingMixin:
    def authenticate(self, request):
        result = super().authenticate(request)
        if result is not None:
            from .api.permissions import MfaRequired
            from .permissions import mfa_missing

            view = (getattr(request, "parser_context", None) or {}).get("view")
            if not getattr(view, "mfa_exempt", False) and mfa_missing(result[0]):
                from apps.audit.services import record_denial

                exception = MfaRequired()
                # Recorded here, while the user is known: DRF forgets them once this raises.
                record_denial(exception, actor=result[0], request=request, details={"code": "mfa_required"})
                raise exception
        return result


class SessionTokenAuthentication(MfaEnforcingMixin, XSessionTokenAuthentication):
    def authenticate_header(self, request) -> str:
        # Present so that DRF answers 401 (not 403) when credentials are missing.
        return 'X-Session-Token realm="api"'


class SessionAuthentication(MfaEnforcingMixin, DRFSessionAuthentication):
    """The browser session (CSRF-checked, as DRF's)."""


class SessionTokenScheme(OpenApiAuthenticationExtension):
    target_class = "apps.accounts.authentication.SessionTokenAuthentication"
    name = "sessionToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "X-Session-Token",
            "description": "The session token from allauth headless (`/_allauth/app/v1/auth/login`).",
        }


class BrowserSessionScheme(SessionScheme):
    target_class = "apps.accounts.authentication.SessionAuthentication"
