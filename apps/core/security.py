"""Security middleware that Django's own does not provide.

- `CSPMiddleware`: django-csp's, with the policy of a response that changes nothing in it
  (no per-view policy, no nonce) built once instead of per response.
- `SecurityHeadersMiddleware`: `Permissions-Policy` (settings.PERMISSIONS_POLICY). HSTS,
  `X-Frame-Options`, `Referrer-Policy`, `X-Content-Type-Options` and
  `Cross-Origin-Opener-Policy` come from Django's SecurityMiddleware and
  XFrameOptionsMiddleware, the CSP from django-csp.
- `AdminAllowListMiddleware`: when ADMIN_IP_ALLOWLIST (CIDRs) is set, the admin — its
  paths on every host (ADMIN_PATHS) and whole admin hosts (ADMIN_HOSTS, and every tenant's
  `admin.` host) — answers only
  clients inside it; anyone else gets the 403 page, and the refusal is audited.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from csp.middleware import CheckableLazyObject
from csp.middleware import CSPMiddleware as _CSPMiddleware
from csp.utils import build_policy
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver


def permissions_policy(policy: dict[str, list[str]]) -> str:
    """{"camera": [], "payment": ["self"]} -> 'camera=(), payment=(self)'."""
    return ", ".join(f"{feature}=({' '.join(allow)})" for feature, allow in policy.items())


class SecurityHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.permissions_policy = permissions_policy(getattr(settings, "PERMISSIONS_POLICY", {}))

    def __call__(self, request):
        response = self.get_response(request)
        if self.permissions_policy:
            response.headers.setdefault("Permissions-Policy", self.permissions_policy)
        return response


# What a response may carry to change its policy (django-csp's decorators set them).
_CSP_OVERRIDES = ("_csp_config", "_csp_update", "_csp_replace", "_csp_config_ro", "_csp_update_ro", "_csp_replace_ro")
_csp_policies: dict[bool, str] = {}


@receiver(setting_changed)
def _forget_csp_policies(setting: str, **kwargs) -> None:
    if setting.startswith("CONTENT_SECURITY_POLICY"):
        _csp_policies.clear()


class CSPMiddleware(_CSPMiddleware):
    """django-csp's middleware. Its policy is built from the settings alone unless the view
    set one of its own or the page used a nonce; django-csp builds it anew for every
    response all the same (two policies, ~60 µs of CPU, a sixth of a bare API request's).
    Such a response gets the policies built once; any other goes through django-csp."""

    def process_response(self, request, response):
        if getattr(request, "_csp_nonce", None) is not None or any(
            getattr(response, name, None) is not None for name in _CSP_OVERRIDES
        ):
            return super().process_response(request, response)
        if response.status_code in (500, 404) and settings.DEBUG:
            return response  # django-csp leaves Django's debug pages alone
        for report_only, header, setting in (
            (False, "Content-Security-Policy", "CONTENT_SECURITY_POLICY"),
            (True, "Content-Security-Policy-Report-Only", "CONTENT_SECURITY_POLICY_REPORT_ONLY"),
        ):
            policy = _csp_policies.get(report_only)
            if policy is None:
                policy = _csp_policies[report_only] = build_policy(report_only=report_only)
            if not policy or header in response:
                continue
            if getattr(response, "_csp_exempt_ro" if report_only else "_csp_exempt", False) is not False:
                continue
            prefixes = (getattr(settings, setting, None) or {}).get("EXCLUDE_URL_PREFIXES", None) or ()
            if not request.path_info.startswith(tuple(prefixes)):
                response[header] = policy
        # As django-csp: a nonce asked for after the header is written is an error.
        request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)
        return response


@lru_cache(maxsize=8)
def _networks(cidrs: tuple[str, ...]) -> tuple:
    return tuple(ipaddress.ip_network(c.strip(), strict=False) for c in cidrs if c.strip())


def address_allowed(address: str | None, cidrs: tuple[str, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return False
    return any(ip in network for network in _networks(cidrs))


class AdminAllowListMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        cidrs = tuple(getattr(settings, "ADMIN_IP_ALLOWLIST", ()) or ())
        if cidrs and self._is_admin(request):
            from apps.core.ratelimit import client_ip

            ip = client_ip(request)
            if not address_allowed(ip, cidrs):
                return self._refuse(request, ip)
        return self.get_response(request)

    @staticmethod
    def _is_admin(request) -> bool:
        if getattr(request, "host_role", None) == "admin":  # a tenant's admin. host (apps.tenancy.host_roles)
            return True
        host = request.get_host().split(":")[0].lower()
        if host in {h.lower() for h in getattr(settings, "ADMIN_HOSTS", ())}:
            return True
        return request.path_info.startswith(tuple(getattr(settings, "ADMIN_PATHS", ("/admin/",))))

    @staticmethod
    def _refuse(request, ip: str):
        from django.shortcuts import render

        from apps.audit import actions
        from apps.audit.services import record

        user = getattr(request, "user", None)
        record(
            actions.ADMIN_IP_REFUSED,
            actor=user if user is not None and user.is_authenticated else None,
            request=request,
            details={"path": request.path[:200], "host": request.get_host()[:200], "ip": ip},
        )
        return render(request, "403.html", status=403)


def _raw_body(request) -> bool:
    """A path whose view streams the body itself under its own limit (RAW_BODY_PATHS: the
    media storage's signed upload URLs, up to 500 MB)."""
    return request.path.startswith(tuple(getattr(settings, "RAW_BODY_PATHS", ())))


class BodySizeLimitMiddleware:
    """Refuse, with 413 and before any view reads it, a body larger than the site takes.

    Django checks DATA_UPLOAD_MAX_MEMORY_SIZE only when `request.body` or `request.POST`
    is read; DRF's JSON parser reads the stream directly and would parse any size. Here
    every non-multipart body is held to DATA_UPLOAD_MAX_MEMORY_SIZE and multipart uploads
    (spreadsheets, videos' thumbnails) to REQUEST_MAX_UPLOAD_SIZE, by Content-Length. A
    body without one (chunked) is spooled to disk by the ASGI handler; the proxy in front
    caps it (client_max_body_size).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if _raw_body(request):
            return self.get_response(request)
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        multipart = request.META.get("CONTENT_TYPE", "").startswith("multipart/")
        limit = settings.REQUEST_MAX_UPLOAD_SIZE if multipart else settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if limit is not None and length > limit:
            return self.too_large(request, limit)
        return self.get_response(request)

    @staticmethod
    def too_large(request, limit: int):
        from django.shortcuts import render
        from django.utils.translation import gettext as _

        from .api.errors import error_response

        if request.path.startswith(("/api/", "/_allauth/")):
            message = _("The request body is too large (at most %(limit)d bytes).") % {"limit": limit}
            return error_response(413, message, "payload_too_large")
        return render(request, "413.html", status=413)


class JsonDepthMiddleware:
    """Refuse, with 400 and before any view parses it, a body nested deeper than
    JSON_MAX_DEPTH (`apps.core.jsondepth`): Python's json parser recurses, and 100,000 `[`
    (200 KB, well under the size limit) is a RecursionError in whatever parses it.

    Every body that is not a form (multipart or url-encoded, which Django's own parsers
    read without recursion) is checked, whatever its Content-Type says: a webhook or a
    view may json.loads a body sent as text/plain."""

    FORMS = ("multipart/", "application/x-www-form-urlencoded")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from django.core.exceptions import RequestDataTooBig

        from .jsondepth import depth_exceeds, max_depth

        limit = max_depth()
        if _raw_body(request):
            return self.get_response(request)
        if request.method not in ("GET", "HEAD", "OPTIONS") and not request.META.get("CONTENT_TYPE", "").startswith(
            self.FORMS
        ):
            try:
                body = request.body
            except RequestDataTooBig:
                return BodySizeLimitMiddleware.too_large(request, settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
            if len(body) > limit and depth_exceeds(body, limit):
                return self.too_deep(request, limit)
        return self.get_response(request)

    @staticmethod
    def too_deep(request, limit: int):
        from django.http import JsonResponse
        from django.utils.translation import gettext as _

        from .api.errors import error_response

        message = _("The JSON body is nested too deeply (at most %(limit)d levels).") % {"limit": limit}
        if request.path.startswith("/_allauth/"):
            # allauth's documented error envelope, which its client libraries read.
            return JsonResponse({"status": 400, "errors": [{"code": "invalid", "message": message}]}, status=400)
        return error_response(400, message, "parse_error")
