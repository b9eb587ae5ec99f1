from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AcademyConfig(AppConfig):
    name = "apps.academy"
    verbose_name = _("Academy")

    def ready(self) -> None:
        from . import payables, roles, scopes  # noqa: F401  row scopes of roles; invoices payable online
        from .services import people

        roles.register()
        people.register_blind_indexes()
