from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "apps.ops"
    label = "ops"
    verbose_name = "Operations"

    def ready(self) -> None:
        # Celery signal receivers (task logs carry the tenant; task metrics). Connected
        # here, after tenant-schemas-celery's own task_prerun receiver, so the schema has
        # already been switched when ours runs.
        from django.core.signals import request_finished

        from . import celery_signals  # noqa: F401
        from .middleware import clear_log_context

        request_finished.connect(clear_log_context, dispatch_uid="megacity_ops_clear_log_context")
