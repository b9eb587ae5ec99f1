"""Celery for every tenant: tenant-schemas-celery puts the current schema in a task header
when a task is sent and switches the worker's connection to it before the task runs."""

import os

from celery.signals import setup_logging
from tenant_schemas_celery.app import CeleryApp

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")


class MegaCityCelery(CeleryApp):
    task_cls = "apps.core.tasks:TenantTask"


app = MegaCityCelery("megacity")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@setup_logging.connect
def _use_django_logging(**kwargs) -> None:
    """Django's LOGGING (structlog, apps/ops/logs.py) configures the worker's logs too;
    Celery adds no handlers or formats of its own."""
    from logging.config import dictConfig

    from django.conf import settings

    dictConfig(settings.LOGGING)
