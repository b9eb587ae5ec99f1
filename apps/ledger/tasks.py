from celery import shared_task

from . import services


@shared_task(name="apps.ledger.tasks.seal_pending", queue_name="default")
def seal_pending() -> int:
    """Seal the current tenant's committed events still unsealed: those whose process
    stopped between its commit and its seal (each deferred append seals on commit).
    Idempotent; returns how many it sealed."""
    return services.seal(rounds=100)
