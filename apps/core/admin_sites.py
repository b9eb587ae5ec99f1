"""One admin site per tenant type, built from the global registry.

Every app registers its ModelAdmins on `django.contrib.admin.site` as usual; that site
itself is never mounted. Each URLconf mounts `admin_site_for(type)`, which holds only the
models of apps in that type's app list. A tenant's admin therefore cannot reach a table
its schema doesn't own: through PostgreSQL's search_path it would otherwise read the
public schema's tenants or Celery schedules.
"""

from __future__ import annotations

from functools import cache

from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.utils.translation import gettext_lazy as _


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


def _app_labels(tenant_type: str) -> set[str]:
    names = set(settings.TENANT_TYPES[tenant_type]["APPS"])
    return {config.label for config in apps.get_app_configs() if config.name in names}


@cache
def admin_site_for(tenant_type: str) -> TypedAdminSite:
    site = TypedAdminSite(tenant_type)
    labels = _app_labels(tenant_type)
    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label in labels:
            site.register(model, type(model_admin))
    return site
