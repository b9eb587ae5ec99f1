from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InferenceConfig(AppConfig):
    """The inference fleet's registry (public schema) and the code every tenant type uses
    to run AI work: clients, routing, breakers, CPU defaults. Jobs live in each tenant's
    schema (apps.inference.jobs)."""

    name = "apps.inference"
    verbose_name = _("Inference fleet")

    def ready(self) -> None:
        from apps.core import health

        from . import backends, fleet_health

        backends.register_defaults()
        health.register_status_check("inference", fleet_health.status)
