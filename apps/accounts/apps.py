from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "apps.accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from django.conf import settings

        from . import authentication, checks, pending_roles, roles, scopes  # noqa: F401  OpenAPI auth, checks, scopes

        for tenant_type in settings.TENANT_TYPES:
            roles.register_resources(tenant_type, roles.COMMON)
        pending_roles.register()
