"""What every vertical's services.py uses (DESIGN.md, convention 2):

from apps.core.services import invalid, record, require_won

@transaction.atomic
def record_payment(family, amount, *, actor=None):
    require_won(amount)                       # "a positive whole number of won", named field
    if family.closed:
        raise invalid(family=_("The family is closed."))
    ...
    record("payment.recorded", payment, actor=actor, amount=amount)   # same transaction
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models import Model
from django.utils.translation import gettext as _


def invalid(**errors: str) -> ValidationError:
    """A ValidationError naming each bad field."""
    return ValidationError({field: [message] for field, message in errors.items()})


def unknown(**errors: str) -> ValidationError:
    """A ValidationError naming each field whose value names nothing that exists (an id, a
    PIN, a code), with the code `does_not_exist` that DRF gives an unknown id: the request
    was well formed, what it points at is not there."""
    return ValidationError(
        {field: [ValidationError(message, code="does_not_exist")] for field, message in errors.items()}
    )


def record(kind: str, subject: Model | tuple, actor=None, **data) -> None:
    """A ledger event for a business step (same transaction as the change)."""
    from apps.ledger.services import append

    append(kind, subject=subject, actor=actor, data=data)


def record_deferred(kind: str, subject: Model | tuple, actor=None, **data) -> None:
    """A ledger event for a hot path whose writers must not wait for each other: written in
    the same transaction, sealed into the chain after commit (apps.ledger.services)."""
    from apps.ledger.services import append

    append(kind, subject=subject, actor=actor, data=data, deferred=True)


def deferred_event(kind: str, subject: Model | tuple, actor=None, **data):
    """`record_deferred`'s event unsaved, to insert with the caller's own rows in one
    statement (apps.core.bulk.write_together) in the same transaction."""
    from apps.ledger.services import deferred_event as build

    return build(kind, subject=subject, actor=actor, data=data)


def is_won(amount) -> bool:
    """Whether `amount` is a positive whole number of won (an int, not a bool or a float)."""
    return isinstance(amount, int) and not isinstance(amount, bool) and amount > 0


def require_won(amount, field: str = "amount") -> int:
    """`amount` if it is a positive whole number of won; otherwise a ValidationError naming `field`."""
    if not is_won(amount):
        raise invalid(**{field: _("The amount must be a positive whole number of won.")})
    return amount
