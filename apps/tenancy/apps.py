from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TenancyConfig(AppConfig):
    name = "apps.tenancy"
    verbose_name = _("Tenancy")

    def ready(self) -> None:
        from corsheaders.signals import check_request_enabled
        from django.db.models.signals import post_delete

        from . import host_roles, hosts, roles, services
        from .models import Tenant

        roles.register()  # the platform operators' roles
        hosts.connect_signals()
        check_request_enabled.connect(host_roles.cors_allowed, dispatch_uid="tenancy.host_roles.cors")
        post_delete.connect(services.purge_deleted_tenant_keys, sender=Tenant, dispatch_uid="tenancy.purge_redis_keys")
