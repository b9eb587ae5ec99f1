from celery import shared_task

from .models import Tenant
from .services import build_schema


@shared_task(bind=True, queue_name="default", acks_late=True, max_retries=2, soft_time_limit=600, time_limit=900)
def build_tenant_schema(self, tenant_id: int, method: str = Tenant.Method.CLONE) -> str:
    """Build a registered tenant's schema. Safe to run twice: a built tenant is skipped."""
    tenant = Tenant.objects.get(pk=tenant_id)
    return build_schema(tenant, method=method).status
