"""Personal data at rest: Fernet-encrypted model fields and HMAC blind indexes.

- `EncryptedTextField` / `EncryptedDateField` store ciphertext (MultiFernet: the first key
  of PII_ENCRYPTION_KEYS encrypts, every key decrypts), so a dump of the database holds no
  phone numbers or birth dates.
- `blind_index(kind, value)` is an HMAC-SHA256 (key PII_BLIND_INDEX_KEY) of a normalised
  value: equal inputs give equal indexes, so `Guardian.objects.filter(phone_index=...)`
  finds a person by phone without storing the phone in clear. Never a bare SHA-256: a
  phone number has too little entropy to survive a dictionary of all 10^8 numbers.

Rotation (README, "Personal data"): put a new key first in PII_ENCRYPTION_KEYS (keep the
old ones after it), deploy, run `manage.py rotate_pii_keys --all` (re-encrypts every
encrypted column with the newest key), then drop the old keys. The blind-index key cannot
rotate without recomputing every index: set the new PII_BLIND_INDEX_KEY and the old one as
PII_BLIND_INDEX_PREVIOUS_KEY, run the same command (it recomputes every index an app
registered with `register_blind_index`), then unset the previous key. Indexes of values
that are not stored (kiosk PINs) cannot be recomputed: those must be issued again.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models

PREFIX = "fernet:"


@cache
def _fernet() -> MultiFernet:
    keys = [k.strip() for k in settings.PII_ENCRYPTION_KEYS if k.strip()]
    if not keys:
        raise ImproperlyConfigured("PII_ENCRYPTION_KEYS is empty")
    return MultiFernet([Fernet(key) for key in keys])


def reset_keys() -> None:
    """Forget cached keys (after settings change, e.g. in tests or a rotation)."""
    _fernet.cache_clear()


def encrypt(plain: str) -> str:
    return PREFIX + _fernet().encrypt(plain.encode()).decode()


def decrypt(token: str) -> str:
    if not token.startswith(PREFIX):
        raise ValueError("value is not encrypted")
    try:
        return _fernet().decrypt(token[len(PREFIX) :].encode()).decode()
    except InvalidToken as exc:
        raise ValueError("cannot decrypt: no matching key in PII_ENCRYPTION_KEYS") from exc


def rotate(token: str) -> str:
    """The same value encrypted with the newest key."""
    return PREFIX + _fernet().rotate(token[len(PREFIX) :].encode()).decode()


def blind_index(kind: str, value: str, *, key: str | None = None) -> str:
    """HMAC-SHA256 of an already normalised value, separated by kind (phone, email, person)."""
    secret = (key or settings.PII_BLIND_INDEX_KEY).encode()
    return hmac.new(secret, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class BlindIndex:
    model: str  # app_label.model_name
    field: str
    # The index from the row's decrypted values; None when the value is not stored (a PIN).
    compute: Callable[[models.Model], str | None] | None


BLIND_INDEXES: list[BlindIndex] = []


def register_blind_index(model: str, field: str, compute: Callable[[models.Model], str | None] | None) -> None:
    """Tell rotate_pii_keys how to recompute a blind index column from its row (None: it
    cannot, the value must be set again after a change of PII_BLIND_INDEX_KEY)."""
    BLIND_INDEXES.append(BlindIndex(model.lower(), field, compute))


class EncryptedTextField(models.TextField):
    """Text stored as Fernet ciphertext; reads and writes plain str in Python."""

    def from_db_value(self, value, expression, connection):
        return None if value is None else decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value in (None, ""):
            return value or None
        return encrypt(str(value))

    def deconstruct(self):
        name, _path, args, kwargs = super().deconstruct()
        return name, "apps.core.pii.EncryptedTextField", args, kwargs


class EncryptedDateField(models.TextField):
    """A date stored as Fernet ciphertext of its ISO form; reads and writes `date`."""

    def from_db_value(self, value, expression, connection):
        return None if value is None else date.fromisoformat(decrypt(value))

    def to_python(self, value):
        if value is None or isinstance(value, date):
            return value
        return date.fromisoformat(str(value))

    def get_prep_value(self, value):
        if value in (None, ""):
            return None
        return encrypt(self.to_python(value).isoformat())

    def formfield(self, **kwargs):
        from django import forms

        return forms.DateField(**{"required": not self.blank, "label": self.verbose_name, **kwargs})

    def deconstruct(self):
        name, _path, args, kwargs = super().deconstruct()
        return name, "apps.core.pii.EncryptedDateField", args, kwargs


def check_production_keys() -> None:
    """Production must not run with the development keys."""
    if settings.PII_ENCRYPTION_KEYS == DEVELOPMENT_KEYS or settings.PII_BLIND_INDEX_KEY == DEVELOPMENT_INDEX_KEY:
        raise ImproperlyConfigured("Set PII_ENCRYPTION_KEYS and PII_BLIND_INDEX_KEY for production.")


# The fixed, public keys of config/settings/base.py, for development and tests only.
DEVELOPMENT_KEYS = ["bWVnYWNpdHktZGV2ZWxvcG1lbnQtb25seS1rZXktMzI="]
DEVELOPMENT_INDEX_KEY = "megacity-development-only-blind-index-key"
