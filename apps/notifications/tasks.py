from celery import shared_task
from django.conf import settings

from . import services
from .providers import RetryableError


@shared_task(
    bind=True, name="apps.notifications.tasks.send_message", queue_name="notifications", acks_late=True, max_retries=3
)
def send_message(self, message_id: int) -> str:
    """Send one outbox message; retried 3 times with exponential backoff on provider errors."""
    try:
        return services.send_message(message_id)
    except RetryableError as exc:
        if self.request.retries >= self.max_retries:
            services.give_up(message_id, str(exc))
            return "failed"
        base = getattr(settings, "NOTIFICATIONS_RETRY_BASE_SECONDS", 5.0)
        raise self.retry(exc=exc, countdown=base * (2**self.request.retries)) from exc
