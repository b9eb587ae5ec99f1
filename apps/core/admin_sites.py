"""One admin site per tenant type, built from the global registry.

Every app registers its ModelAdmins on `django.contrib.admin.site` as usual; that site
itself is never mounted. Each URLconf mounts `admin_site_for(type)`, which holds only the
models of apps in that type's app list. A tenant's admin therefore cannot reach a table
its schema doesn't own: through PostgreSQL's search_path it would otherwise read the
public schema's tenants or Celery schedules.

Every site also:
- signs in through allauth (so TOTP is asked for), never through the admin's own form;
- sends a user whose roles require MFA and who has no TOTP to enrol first;
- records every add, change, delete and admin action in the audit log.
Who may open it is `is_staff`, which apps.accounts.services keeps in step with the roles.
"""

from __future__ import annotations

from functools import cache, wraps

from allauth.account.decorators import secure_admin_login
from django.apps import apps
from django.conf import settings
from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from apps.audit.admin_mixins import AuditedAdminMixin


class TypedAdminSite(admin.AdminSite):
    site_title = _("MegaCity admin")
    index_title = _("Back office")

    def __init__(self, tenant_type: str):
        self.tenant_type = tenant_type
        super().__init__(name=f"admin_{tenant_type}")

    def each_context(self, request):
        context = super().each_context(request)
        tenant = getattr(request, "tenant", None)
        if tenant is not None and tenant.type == "public":
            context["site_header"] = _("MegaCity operator console")
        elif tenant is not None:
            context["site_header"] = tenant.name
        return context

    def login(self, request, extra_context=None):
        # The admin's own form would skip allauth's TOTP stage.
        return secure_admin_login(super().login)(request, extra_context)

    def admin_view(self, view, cacheable=False):
        inner = super().admin_view(view, cacheable)
        if getattr(view, "__name__", "") == "logout":
            return inner

        @wraps(inner)
        def guarded(request, *args, **kwargs):
            from apps.accounts.permissions import mfa_missing

            if request.user.is_active and request.user.is_staff and mfa_missing(request.user):
                messages.warning(
                    request,
                    _("Your role requires two-factor authentication. Set up an authenticator app to continue."),
                )
                target = reverse("mfa_activate_totp")
                return HttpResponseRedirect(f"{target}?{urlencode({'next': request.get_full_path()})}")
            return inner(request, *args, **kwargs)

        return guarded


def _app_labels(tenant_type: str) -> set[str]:
    names = set(settings.TENANT_TYPES[tenant_type]["APPS"])
    return {config.label for config in apps.get_app_configs() if config.name in names}


def _audited(admin_class: type[admin.ModelAdmin]) -> type[admin.ModelAdmin]:
    if issubclass(admin_class, AuditedAdminMixin):
        return admin_class
    return type(admin_class.__name__, (AuditedAdminMixin, admin_class), {"__module__": admin_class.__module__})


@cache
def admin_site_for(tenant_type: str) -> TypedAdminSite:
    site = TypedAdminSite(tenant_type)
    labels = _app_labels(tenant_type)
    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label in labels:
            site.register(model, _audited(type(model_admin)))
    return site
