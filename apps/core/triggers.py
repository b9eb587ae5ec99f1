"""Tables the database itself keeps append-only (django-pgtrigger).

    class Meta:
        triggers = append_only("ledger")

UPDATE and DELETE of a row and TRUNCATE of the table raise in PostgreSQL, whoever asks
(the ORM, raw SQL, a psql session); only INSERT remains.
"""

from __future__ import annotations

import pgtrigger


def append_only(what: str) -> list[pgtrigger.Trigger]:
    """The triggers that refuse UPDATE, DELETE and TRUNCATE; `what` names the table in the error."""
    return [
        pgtrigger.Protect(name="append_only", operation=pgtrigger.Update | pgtrigger.Delete),
        pgtrigger.Trigger(
            name="no_truncate",
            level=pgtrigger.Statement,
            when=pgtrigger.Before,
            operation=pgtrigger.Truncate,
            func=f"RAISE EXCEPTION '{what} is append-only: TRUNCATE refused'; RETURN NULL;",
        ),
    ]
