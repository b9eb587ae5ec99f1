"""The base class of every MegaCity task."""

from __future__ import annotations

from django.db import transaction
from tenant_schemas_celery.task import TenantTask as _TenantTask
from tenant_schemas_celery.task import headers_with_schema


class TenantTask(_TenantTask):
    """Runs in the schema it was sent from (tenant-schemas-celery), with retry defaults
    that back off with jitter. Tasks are acked late (settings), so each must be
    idempotent.

    `delay_on_commit` captures the schema when it is called, not when the transaction
    commits: by then the caller may have left its `schema_context`.
    """

    abstract = True
    retry_backoff = 5
    retry_backoff_max = 600
    retry_jitter = True
    max_retries = 5

    def apply_async_on_commit(self, args=None, kwargs=None, **options):
        options["headers"] = headers_with_schema(options.get("headers") or {})
        transaction.on_commit(lambda: self.apply_async(args, kwargs, **options))

    def delay_on_commit(self, *args, **kwargs):
        return self.apply_async_on_commit(args, kwargs)
