"""A tenant's media goes with the tenant: when its row is deleted (apps.tenancy's
drop_tenant, the operator admin), every object under its schema's prefix is deleted once
the deletion has committed (a rolled-back deletion keeps the files)."""

from __future__ import annotations

import logging

from django.db import transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver

from apps.tenancy.models import Tenant

log = logging.getLogger(__name__)


@receiver(post_delete, sender=Tenant, dispatch_uid="media.purge_deleted_tenant")
def purge_deleted_tenant(sender, instance: Tenant, **kwargs) -> None:
    schema = instance.schema_name
    if not schema or instance.is_template or schema == "public":
        return

    def purge() -> None:
        from .storage import purge_tenant

        try:
            count = purge_tenant(schema)
        except Exception:  # the tenant is gone either way; leftovers are logged for an operator
            log.exception("media: could not delete the files of dropped tenant %s", schema)
            return
        log.info("media: deleted %d files of dropped tenant %s", count, schema)

    transaction.on_commit(purge)
