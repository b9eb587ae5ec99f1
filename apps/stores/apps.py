from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StoresConfig(AppConfig):
    name = "apps.stores"
    verbose_name = _("Stores")

    def ready(self) -> None:
        from . import roles, scopes  # noqa: F401  the staff role's `assigned` scope
        from .connectors import register_defaults
        from .services import alerts

        roles.register()
        register_defaults()
        alerts.register_templates()
