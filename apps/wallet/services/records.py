"""The triple record of seed 004: every money movement a person or a table causes is in the
wallet journal (the transfer), the tenant's event ledger and audit log (same transaction),
and one structured log line (written once the transaction commits, so it never describes
money that did not move). Summary events only: one per cashier action or settled hand,
never one per bet."""

from __future__ import annotations

import structlog
from django.db import connection, transaction
from django.db.models import Model

from apps.audit.services import record as audit
from apps.ledger.services import append

log = structlog.get_logger("megacity.wallet")


def money_moved(
    kind: str,
    *,
    subject: Model | tuple,
    actor=None,
    data: dict,
    idempotency_key: str | None = None,
) -> None:
    append(f"wallet.{kind}", subject=subject, actor=actor, data=data, idempotency_key=idempotency_key)
    audit(f"wallet.{kind}", actor=actor, resource=subject, details=data)
    schema = connection.schema_name
    transaction.on_commit(lambda: log.info(f"wallet.{kind}", schema=schema, **data))
