"""URL patterns every tenant type shares; each type's module adds its own."""

from django.conf import settings
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from apps.accounts import mfa_views
from apps.core import views
from apps.core.admin_sites import admin_site_for
from apps.media import views as media_views

common_api = [
    path("site/", views.site, name="api-site"),
    path("", include("apps.accounts.api.urls")),
    path("audit/", include("apps.audit.api.urls")),
    path("", include("apps.inference.api.urls")),
    path("", include("apps.media.api.urls")),
]


ALL_PARTS = frozenset({"home", "admin", "accounts", "api"})


def tenant_urlpatterns(tenant_type: str, urlconf: str, api: list | None = None, parts=ALL_PARTS) -> list:
    """The shared URLs of a tenant host. A type served on several role hosts
    (apps.tenancy.host_roles) takes only the `parts` each host serves: the core home page,
    the admin, the sign-in pages (allauth's browser pages), the API (with allauth's app
    sign-in, the schema and its docs)."""
    patterns = []
    if "home" in parts:
        patterns.append(path("", views.home, name="home"))
    if "admin" in parts:
        patterns.append(path("admin/", admin_site_for(tenant_type).urls))
    if "accounts" in parts:
        patterns += [
            # allauth's TOTP activation, returning to ?next= (apps.accounts.mfa_views)
            path("accounts/2fa/totp/activate/", mfa_views.activate_totp, name="mfa_activate_totp"),
            path("accounts/", include("allauth.urls")),
        ]
    if "accounts" in parts or "api" in parts:
        patterns.append(path("_allauth/", include("allauth.headless.urls")))
    patterns += [
        path("i18n/", include("django.conf.urls.i18n")),
        path("_ops/sentry-check/", views.sentry_check, name="sentry-check"),
        # The filesystem storage's presigned URLs (apps.media.signed), on every host of the tenant.
        path(f"{settings.MEDIA_SIGNED_PATH.strip('/')}/<str:token>", media_views.signed_object, name="media-signed"),
    ]
    if "api" in parts:
        patterns += [
            path("api/v1/", include([*common_api, *(api or [])])),
            path("api/schema/", SpectacularAPIView.as_view(urlconf=urlconf), name="schema"),
            # The split view serves its start-up script as a file: the CSP allows no inline script.
            path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
        ]
    return patterns


handler400 = "apps.core.views.bad_request"
handler403 = "apps.core.views.permission_denied"
handler404 = "apps.core.views.page_not_found"
handler500 = "apps.core.views.server_error"
# Not a Django handler: allauth's own limits (password-reset e-mails, …) answer with it.
handler429 = "apps.core.views.too_many_requests"
