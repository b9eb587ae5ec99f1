"""Presigned URLs for the filesystem default: what S3 gives with SigV4, done with an HMAC.

A URL is `MEDIA_SIGNED_PATH<token>`; the token carries the schema, the key, the method, the
Content-Type a PUT must send, the most bytes it may send and when it expires, signed with
MEDIA_SIGNING_KEY (SECRET_KEY when unset) by django.core.signing. Changing any of them
breaks the signature, the view (`apps.media.views.signed`) serves the token's schema only
on that tenant's hosts, and an expired token is refused: the same guarantees a browser
gets from an S3 presigned URL, so the same upload and playback flow works without S3.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.utils.translation import gettext as _

SALT = "apps.media.signed"


@dataclass(frozen=True)
class Grant:
    schema: str
    key: str
    method: str
    content_type: str
    max_bytes: int
    expires: int


class BadToken(Exception):
    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.code = code


def _signer() -> signing.Signer:
    return signing.Signer(key=settings.MEDIA_SIGNING_KEY or settings.SECRET_KEY, salt=SALT)


def mint(grant: Grant) -> str:
    payload = [grant.schema, grant.key, grant.method, grant.content_type, grant.max_bytes, grant.expires]
    return settings.MEDIA_SIGNED_PATH + _signer().sign_object(payload, compress=True)


def read(token: str, *, now: float | None = None) -> Grant:
    try:
        schema, key, method, content_type, max_bytes, expires = _signer().unsign_object(token)
    except (signing.BadSignature, ValueError, TypeError):
        raise BadToken(_("The signature of this URL does not match."), "signature_mismatch") from None
    grant = Grant(schema, key, method, content_type, int(max_bytes), int(expires))
    if (now if now is not None else time.time()) > grant.expires:
        raise BadToken(_("This URL has expired."), "signature_expired")
    return grant
