"""DRF authentication through allauth: the app session token (headless `app` clients)
and the browser session. Both live in the tenant's own schema, so a token or cookie
issued by one tenant authenticates nobody on another."""

from allauth.headless.contrib.rest_framework.authentication import XSessionTokenAuthentication
from drf_spectacular.extensions import OpenApiAuthenticationExtension


class SessionTokenAuthentication(XSessionTokenAuthentication):
    def authenticate_header(self, request) -> str:
        # Present so that DRF answers 401 (not 403) when credentials are missing.
        return 'X-Session-Token realm="api"'


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
