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

import base64
import hashlib
import hmac
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache, lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models

from .registry import AlreadyRegistered

PREFIX = "fernet:"


@cache
def _fernet() -> MultiFernet:
    keys = [k.strip() for k in settings.PII_ENCRYPTION_KEYS if k.strip()]
    if not keys:
        raise ImproperlyConfigured("PII_ENCRYPTION_KEYS is empty")
    return MultiFernet([Fernet(key) for key in keys])


@cache
def _primary_key() -> tuple[bytes, bytes]:
    """The signing and encryption halves of the key that encrypts (Fernet's own split)."""
    _fernet()  # the same check that keys are configured
    raw = base64.urlsafe_b64decode(next(k.strip() for k in settings.PII_ENCRYPTION_KEYS if k.strip()))
    return raw[:16], raw[16:]


def reset_keys() -> None:
    """Forget cached keys (after settings change, e.g. in tests or a rotation)."""
    _fernet.cache_clear()
    _primary_key.cache_clear()


def encrypt(plain: str) -> str:
    return PREFIX + _fernet().encrypt(plain.encode()).decode()


def encrypt_many(values: Sequence[str | None]) -> list[str | None]:
    """`encrypt` for many values at once (imports): the same Fernet tokens, which
    `decrypt` and any Fernet implementation read, made twice as fast; empty values stay
    None, as the encrypted fields store them."""
    return _fernet_tokens(values, now=int(time.time()), ivs=os.urandom(16 * len(values)))


def _fernet_tokens(values: Sequence[str | None], *, now: int, ivs: bytes) -> list[str | None]:
    # Fernet is AES-128-CBC with a random IV per token, then HMAC-SHA256. Most values here
    # (a phone number, an ISO date) pad to one block, whose CBC encryption is AES(block XOR
    # IV): XOR-ing every such block with its IV as one big integer and passing them all to
    # one AES call does in C what Fernet does token by token in Python. Longer values are
    # chained block by block, as CBC is. Each token still has its own random IV.
    signing, encryption = _primary_key()
    signer = hmac.new(signing, digestmod=hashlib.sha256)  # keyed once, copied per token
    aes = Cipher(algorithms.AES(encryption), modes.ECB()).encryptor()  # noqa: S305  CBC chained here
    header = b"\x80" + now.to_bytes(8, "big")
    out: list[str | None] = [None] * len(values)
    single: list[tuple[int, bytes]] = []
    for i, value in enumerate(values):
        if not value:
            continue
        data = value.encode()
        pad = 16 - len(data) % 16
        data += bytes((pad,)) * pad
        if len(data) == 16:
            single.append((i, data))
            continue
        iv = ivs[16 * i : 16 * i + 16]
        previous, blocks = iv, []
        for start in range(0, len(data), 16):
            block = int.from_bytes(data[start : start + 16], "big") ^ int.from_bytes(previous, "big")
            previous = aes.update(block.to_bytes(16, "big"))
            blocks.append(previous)
        body = header + iv + b"".join(blocks)
        out[i] = PREFIX + base64.urlsafe_b64encode(body + _sign(signer, body)).decode()
    if single:
        their_ivs = b"".join(ivs[16 * i : 16 * i + 16] for i, _data in single)
        plain = int.from_bytes(b"".join(data for _i, data in single), "big")
        cipher = aes.update((plain ^ int.from_bytes(their_ivs, "big")).to_bytes(16 * len(single), "big"))
        for n, (i, _data) in enumerate(single):
            body = header + their_ivs[16 * n : 16 * n + 16] + cipher[16 * n : 16 * n + 16]
            out[i] = PREFIX + base64.urlsafe_b64encode(body + _sign(signer, body)).decode()
    return out


def _sign(signer, body: bytes) -> bytes:
    mac = signer.copy()
    mac.update(body)
    return mac.digest()


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


@lru_cache(maxsize=4)
def _keyed(secret: str):
    # An HMAC with the key already absorbed: copying it is half the cost of a new one, and
    # an import computes several hundred thousand indexes.
    return hmac.new(secret.encode(), digestmod=hashlib.sha256)


def blind_index(kind: str, value: str, *, key: str | None = None) -> str:
    """HMAC-SHA256 of an already normalised value, separated by kind (phone, email, person)."""
    mac = _keyed(key or settings.PII_BLIND_INDEX_KEY).copy()
    mac.update(f"{kind}:{value}".encode())
    return mac.hexdigest()


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
    index = BlindIndex(model.lower(), field, compute)
    if any((known.model, known.field) == (index.model, index.field) for known in BLIND_INDEXES):
        raise AlreadyRegistered(f"blind index {index.model}.{index.field} is already registered")
    BLIND_INDEXES.append(index)


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
