from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "apps.core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from allauth.mfa import signals as mfa_signals
        from django.db.backends.signals import connection_created

        from . import checks, lookups  # noqa: F401  (register the deployment checks, field__any)
        from .caches import share_cache_backends
        from .pgtime import use_c_loader
        from .ratelimit import mfa_code_failed

        connection_created.connect(use_c_loader, dispatch_uid="pgtime_c_loader")
        share_cache_backends()

        # A wrong TOTP code counts towards the account's sign-in lock like a wrong password.
        mfa_signals.authentication_failed.connect(mfa_code_failed, dispatch_uid="ratelimit_mfa_failed")
