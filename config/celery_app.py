"""Celery for every tenant: tenant-schemas-celery puts the current schema in a task header
when a task is sent and switches the worker's connection to it before the task runs."""

import os

from tenant_schemas_celery.app import CeleryApp

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")


class MegaCityCelery(CeleryApp):
    task_cls = "apps.core.tasks:TenantTask"


app = MegaCityCelery("megacity")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
