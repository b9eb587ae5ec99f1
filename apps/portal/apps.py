from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "apps.portal"
    verbose_name = _("Parent portal")

    def ready(self) -> None:
        from apps.accounts import hooks

        from .backends import GuardianPhoneBackend
        from .services import portal_home

        # On academy hosts a guardian signs in with their phone number and lands on the portal.
        hooks.register_login_backend("academy", GuardianPhoneBackend())
        hooks.register_login_redirect("academy", portal_home)
