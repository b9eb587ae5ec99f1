from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TenancyConfig(AppConfig):
    name = "apps.tenancy"
    verbose_name = _("Tenancy")

    def ready(self) -> None:
        from . import hosts, roles

        roles.register()  # the platform operators' roles
        hosts.connect_signals()
