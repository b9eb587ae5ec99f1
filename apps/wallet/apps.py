from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WalletConfig(AppConfig):
    name = "apps.wallet"
    label = "wallet"
    verbose_name = _("Club wallet")

    def ready(self):
        from . import roles

        roles.register()
