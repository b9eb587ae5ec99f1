from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ClubConfig(AppConfig):
    name = "apps.club"
    label = "club"
    verbose_name = _("Club tables")

    def ready(self):
        from . import roles, scopes  # noqa: F401

        roles.register()
