from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TenancyConfig(AppConfig):
    name = "apps.tenancy"
    verbose_name = _("Tenancy")

    def ready(self) -> None:
        from corsheaders.signals import check_request_enabled

        from . import host_roles, hosts, roles

        roles.register()  # the platform operators' roles
        hosts.connect_signals()
        check_request_enabled.connect(host_roles.cors_allowed, dispatch_uid="tenancy.host_roles.cors")
