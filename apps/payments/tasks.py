from celery import shared_task

from . import services


@shared_task(name="apps.payments.tasks.reconcile_pending", queue_name="default")
def reconcile_pending() -> int:
    """Ask the gateways about payments still pending after ten minutes (a webhook may have
    been lost); idempotent."""
    return services.reconcile_pending(10)
