from celery import shared_task

from . import services


@shared_task(name="apps.media.tasks.expire_pending_uploads", queue_name="default")
def expire_pending_uploads() -> int:
    """Delete the current tenant's uploads presigned but never confirmed before their URL
    expired (the pending row and any bytes PUT to its incoming name); idempotent."""
    return services.expire_pending()
