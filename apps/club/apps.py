from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ClubConfig(AppConfig):
    name = "apps.club"
    label = "club"
    verbose_name = _("Club tables")

    def ready(self):
        from apps.core.tenant_keys import register_schema_set

        from . import driver, live, roles, scopes  # noqa: F401 (scopes registers on import)

        roles.register()
        live.watch_tables()
        # the drivers' shared sets name clubs by schema: a dropped club leaves them
        register_schema_set(driver.schemas_key)
        register_schema_set(live._lobby_dirty_key)
