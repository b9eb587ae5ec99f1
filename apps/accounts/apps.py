from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "apps.accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from . import authentication, checks, scopes  # noqa: F401  OpenAPI auth extension, checks, row scopes
