from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models import Model

from apps.ledger.services import append


def invalid(**errors: str) -> ValidationError:
    """A ValidationError naming each bad field."""
    return ValidationError({field: [message] for field, message in errors.items()})


def record(kind: str, subject: Model | tuple, actor=None, **data) -> None:
    """A ledger event for a store step (same transaction as the change)."""
    append(kind, subject=subject, actor=actor, data=data)
