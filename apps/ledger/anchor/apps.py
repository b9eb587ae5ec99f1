from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LedgerAnchorConfig(AppConfig):
    """Public schema only (TENANT_TYPES["public"]["APPS"]): one table for every tenant."""

    name = "apps.ledger.anchor"
    label = "ledger_anchor"
    verbose_name = _("Ledger head anchors")

    def ready(self) -> None:
        from django.db.models.signals import post_delete

        from apps.tenancy.models import Tenant

        from .models import forget_dropped_tenant

        post_delete.connect(forget_dropped_tenant, sender=Tenant, dispatch_uid="ledger_anchor_forget")
