"""Media storage for every vertical: store, presign, confirm, play back, read, delete.

Keys are relative to the current tenant's prefix (apps.media.storage), e.g.
`kzone/audio/{content_id}/{uuid}.webm` (seed 003's layout: `kzone/audio|video|pose/…`,
`exams/{exam_id}/attachments/…`). Every stored object has a MediaObject row saying what
its bytes were found to be (apps.media.inspect); nothing is stored that failed the check.

**Direct browser uploads.** `presign_upload` records a pending MediaObject and returns a
PUT URL for a private *incoming* name (`_incoming/<uuid>`), not for the key itself. After
the browser's PUT, `confirm_upload` takes the incoming bytes, checks them, and only then
moves them to the key (S3: copy-if-ETag-matches then delete; filesystem: rename). A
replayed PUT URL can only ever write to an incoming name nobody reads, so the checked bytes
cannot be swapped afterwards.

Refusals raise django's ValidationError on the field "file" (the bytes) or "key", with a
message for the uploader; a refused upload leaves nothing behind.
"""

from __future__ import annotations

import math
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from . import inspect, signed
from .models import Kind, MediaObject
from .storage import KEY_MAX, is_media_key, is_s3, media_storage, object_name

MB = 1024 * 1024
# Seed 003: voice 50 MB, video 500 MB (its proxy's client_max_body_size per endpoint).
LIMITS: dict[str, int] = {
    Kind.VOICE: 50 * MB,
    Kind.VIDEO: 500 * MB,
    Kind.IMAGE: 20 * MB,
    Kind.ATTACHMENT: 20 * MB,
    Kind.JSON: 20 * MB,
}
KINDS = tuple(LIMITS)
INCOMING = "_incoming/"
CLAIMED = "!"  # prefixed to a pending upload's incoming name while confirm checks it
UPLOAD_SECONDS = 900
PLAYBACK_MAX_SECONDS = 7 * 24 * 3600  # SigV4's own ceiling
CHUNK = 1024 * 1024


# ---------------------------------------------------------------------------- checks


def _kind(kind: str) -> str:
    if kind not in LIMITS:
        raise ValidationError({"kind": ValidationError(_("Unknown media kind: %(kind)s.") % {"kind": kind})})
    return kind


def validate_key(key: str) -> str:
    if not is_media_key(key):
        raise ValidationError(
            {
                "key": _(
                    "A media key is a relative path of letters, digits, '.', '_', '-' and '=' segments "
                    "(at most %(max)d characters)."
                )
                % {"max": KEY_MAX}
            }
        )
    return key


def _refuse(message: str, code: str = "invalid_content") -> ValidationError:
    return ValidationError({"file": ValidationError(message, code=code)})


def _over_limit(kind: str, size: int) -> ValidationError:
    return _refuse(
        _("The file is %(size)s bytes; %(kind)s uploads may be at most %(limit)s bytes (%(mb)d MB).")
        % {"size": size, "kind": inspect.kind_name(kind), "limit": LIMITS[kind], "mb": LIMITS[kind] // MB},
        code="too_large",
    )


def _check_file(kind: str, path: str, *, size: int, key: str, content_type: str | None) -> inspect.Report:
    if size > LIMITS[kind]:
        raise _over_limit(kind, size)
    try:
        return inspect.inspect_file(kind, path, size=size, key=key, content_type=content_type)
    except inspect.Refused as exc:
        raise _refuse(str(exc)) from None


def _spool(fileobj: IO[bytes], limit: int, directory: str) -> tuple[str, int]:
    """Copy `fileobj` to a temporary file, refusing past `limit` bytes without reading on."""
    fd, path = tempfile.mkstemp(prefix="mc-media-", dir=directory)
    size = 0
    try:
        with os.fdopen(fd, "wb") as out:
            while True:
                chunk = fileobj.read(CHUNK)
                if not chunk:
                    break
                size += len(chunk)
                if size > limit:
                    raise ValidationError("over")
                out.write(chunk)
    except BaseException:
        os.unlink(path)
        raise
    return path, size


# ---------------------------------------------------------------------------- storing


def store_upload(kind: str, fileobj: IO[bytes], *, key: str, user=None, content_type: str | None = None) -> MediaObject:
    """Check `fileobj` (a file-like object) as `kind` and store it at `key`. `content_type`,
    when given, is what the uploader claimed: it must agree with the bytes."""
    _kind(kind)
    validate_key(key)
    _refuse_taken(key)
    with tempfile.TemporaryDirectory(prefix="mc-media-") as tmp:
        try:
            path, size = _spool(fileobj, LIMITS[kind], tmp)
        except ValidationError:
            raise _over_limit(kind, _length_of(fileobj)) from None
        report = _check_file(kind, path, size=size, key=key, content_type=content_type)
        storage = media_storage()
        with open(path, "rb") as handle:
            _save_exact(storage, key, handle, report.content_type)
    try:
        return _record(kind, key, size, report, user)
    except BaseException:
        storage.delete(key)
        raise


def _length_of(fileobj) -> int:
    """The size of an over-limit upload for the message (the stream may not say)."""
    for attribute in ("size", "len"):
        value = getattr(fileobj, attribute, None)
        if isinstance(value, int):
            return value
    try:
        here = fileobj.tell()
        fileobj.seek(0, os.SEEK_END)
        end = fileobj.tell()
        fileobj.seek(here)
        return end
    except (AttributeError, OSError, ValueError):
        return LIMITS[Kind.VIDEO] + 1


def _refuse_taken(key: str) -> None:
    if MediaObject.objects.filter(key=key).exists() or media_storage().exists(key):
        raise ValidationError({"key": ValidationError(_("Something is already stored at this key."), code="taken")})


def _save_exact(storage, key: str, handle, content_type: str) -> None:
    """Save at exactly `key` (Storage.save would pick another name if it were taken)."""
    if is_s3(storage):
        storage.bucket.upload_fileobj(
            handle, object_name(key), ExtraArgs={"ContentType": content_type, **_acl(storage)}
        )
        return
    saved = storage.save(key, File(handle))
    if saved != key:
        storage.delete(saved)
        raise ValidationError({"key": ValidationError(_("Something is already stored at this key."), code="taken")})


def _acl(storage) -> dict:
    return {"ACL": storage.default_acl} if getattr(storage, "default_acl", None) else {}


def _record(kind: str, key: str, size: int, report: inspect.Report, user, obj: MediaObject | None = None):
    from apps.ledger.services import append

    with transaction.atomic():
        if obj is None:
            obj = MediaObject(key=key, kind=kind, created_by=_user(user))
        obj.status = MediaObject.Status.READY
        obj.size = size
        obj.content_type = report.content_type
        obj.duration_seconds = report.duration_seconds
        obj.streams = report.streams
        obj.expires_at = None
        obj.incoming = ""
        obj.save()
        append(
            "media.stored",
            subject=obj,
            actor=user,
            data={"key": key, "kind": kind, "size": size, "content_type": report.content_type},
        )
    return obj


def _user(user):
    return user if user is not None and getattr(user, "is_authenticated", False) else None


# ---------------------------------------------------------------------------- presigned uploads


def presign_upload(
    kind: str,
    key: str,
    *,
    content_type: str,
    user=None,
    expires_in: int = UPLOAD_SECONDS,
    size: int | None = None,
) -> dict[str, Any]:
    """A URL the browser PUTs the file to, with the headers it must send. Records a pending
    MediaObject for `key`; `confirm_upload` checks the bytes afterwards.

    With `size` (the file's length, which the browser knows before sending), the URL takes
    exactly that many bytes: S3 signs the Content-Length, so a longer or shorter body is
    refused by the bucket itself, and an over-limit file is refused here before any upload.
    Without it S3 takes any length and the limit is enforced at confirm."""
    _kind(kind)
    validate_key(key)
    if size is not None and (not isinstance(size, int) or size < 1 or size > LIMITS[kind]):
        raise ValidationError({"size": ValidationError(_over_limit(kind, size).messages[0], code="too_large")})
    declared = inspect.base_type(content_type)
    if declared not in inspect.accepted_types(kind):
        raise ValidationError(
            {
                "content_type": _("%(kind)s uploads cannot be %(type)s; accepted: %(accepted)s.")
                % {
                    "kind": inspect.kind_name(kind),
                    "type": declared or "-",
                    "accepted": ", ".join(accepted_types(kind)),
                }
            }
        )
    _refuse_taken(key)
    expires_at = timezone.now() + timedelta(seconds=expires_in)
    incoming = f"{INCOMING}{uuid.uuid4().hex}"
    with transaction.atomic():
        MediaObject.objects.create(
            key=key,
            kind=kind,
            status=MediaObject.Status.PENDING,
            content_type=declared,
            created_by=_user(user),
            expires_at=expires_at,
            incoming=incoming,
        )
    storage = media_storage()
    if is_s3(storage):
        params = {"Bucket": storage.bucket.name, "Key": object_name(incoming), "ContentType": declared}
        if size is not None:
            params["ContentLength"] = size
        url = storage.bucket.meta.client.generate_presigned_url(
            "put_object", Params=params, ExpiresIn=expires_in, HttpMethod="PUT"
        )
    else:
        until = math.ceil(expires_at.timestamp())
        url = signed.mint(signed.Grant(connection.schema_name, incoming, "PUT", declared, size or LIMITS[kind], until))
    return {
        "url": url,
        "method": "PUT",
        "headers": {"Content-Type": declared},
        "expires_at": expires_at,
        "key": key,
        "max_bytes": size or LIMITS[kind],
    }


def accepted_types(kind: str) -> list[str]:
    return inspect.accepted_types(kind)


def _pending(key: str, kind: str | None, user) -> MediaObject:
    obj = MediaObject.objects.filter(key=key, status=MediaObject.Status.PENDING).first()
    if obj is None or (user is not None and obj.created_by_id != getattr(user, "pk", None)):
        raise ValidationError({"key": ValidationError(_("No upload is waiting at this key."), code="does_not_exist")})
    if kind is not None and obj.kind != kind:
        raise ValidationError({"kind": _("This upload was announced as %(kind)s.") % {"kind": obj.kind}})
    return obj


def confirm_upload(kind: str, key: str, *, user=None) -> MediaObject:
    """After the browser's PUT: check the uploaded bytes and move them to `key`. Anything
    wrong deletes the upload and its pending row, and refuses with the reason."""
    _kind(kind)
    validate_key(key)
    obj = _pending(key, kind, user)
    incoming = obj.incoming
    # Claim the upload: of two confirms at once, one checks it and the other finds nothing
    # waiting. The marked name still lets expire_pending clean up after a crash mid-check.
    claimed = (
        incoming
        and not incoming.startswith(CLAIMED)
        and MediaObject.objects.filter(pk=obj.pk, status=MediaObject.Status.PENDING, incoming=incoming).update(
            incoming=CLAIMED + incoming
        )
    )
    if not claimed:
        raise ValidationError({"key": ValidationError(_("No upload is waiting at this key."), code="does_not_exist")})
    storage = media_storage()
    with tempfile.TemporaryDirectory(prefix="mc-media-") as tmp:
        try:
            if is_s3(storage):
                path, size, etag = _fetch_incoming_s3(storage, incoming, kind, tmp)
            else:
                path, size, etag = _take_incoming_local(storage, incoming, kind, tmp)
            report = _check_file(kind, path, size=size, key=key, content_type=obj.content_type)
        except ValidationError:
            _discard(obj, incoming)
            raise
        except BaseException:
            # Not the file's fault (the storage did not answer): the upload may be confirmed again.
            MediaObject.objects.filter(pk=obj.pk, incoming=CLAIMED + incoming).update(incoming=incoming)
            raise
        if is_s3(storage):
            client = storage.bucket.meta.client
            client.copy_object(
                Bucket=storage.bucket.name,
                Key=object_name(key),
                CopySource={"Bucket": storage.bucket.name, "Key": object_name(incoming)},
                CopySourceIfMatch=etag,
                ContentType=report.content_type,
                MetadataDirective="REPLACE",
                **_acl(storage),
            )
            storage.delete(incoming)
        else:
            final = storage.path(key)
            os.makedirs(os.path.dirname(final), exist_ok=True)
            shutil.move(path, final)
    try:
        return _record(kind, key, size, report, user, obj)
    except BaseException:
        storage.delete(key)
        raise


def _fetch_incoming_s3(storage, incoming: str, kind: str, tmp: str) -> tuple[str, int, str]:
    from botocore.exceptions import ClientError

    client = storage.bucket.meta.client
    try:
        head = client.head_object(Bucket=storage.bucket.name, Key=object_name(incoming))
    except ClientError:
        raise _refuse(_("Nothing was uploaded for this key."), code="not_uploaded") from None
    size = head["ContentLength"]
    if size > LIMITS[kind]:
        raise _over_limit(kind, size)
    path = os.path.join(tmp, "upload")
    response = client.get_object(Bucket=storage.bucket.name, Key=object_name(incoming), IfMatch=head["ETag"])
    with open(path, "wb") as out:
        for chunk in response["Body"].iter_chunks(CHUNK):
            out.write(chunk)
    return path, size, head["ETag"]


def _take_incoming_local(storage, incoming: str, kind: str, tmp: str) -> tuple[str, int, str]:
    source = storage.path(incoming)
    path = os.path.join(tmp, "upload")
    try:
        # A rename: a PUT replayed from now on writes a new file nobody will read.
        shutil.move(source, path)
    except FileNotFoundError:
        raise _refuse(_("Nothing was uploaded for this key."), code="not_uploaded") from None
    size = os.path.getsize(path)
    if size > LIMITS[kind]:
        raise _over_limit(kind, size)
    return path, size, ""


def _discard(obj: MediaObject, incoming: str) -> None:
    incoming = incoming.removeprefix(CLAIMED)
    if incoming:
        media_storage().delete(incoming)
    MediaObject.objects.filter(pk=obj.pk, status=MediaObject.Status.PENDING).delete()


def expire_pending(now: datetime | None = None) -> int:
    """Delete pending uploads whose URL has expired unconfirmed (and their incoming bytes)."""
    now = now or timezone.now()
    gone = 0
    for obj in MediaObject.objects.filter(status=MediaObject.Status.PENDING, expires_at__lt=now):
        _discard(obj, obj.incoming)
        gone += 1
    return gone


# ---------------------------------------------------------------------------- reading


def get_object(key: str) -> MediaObject:
    obj = MediaObject.objects.filter(key=key, status=MediaObject.Status.READY).first()
    if obj is None:
        raise ValidationError({"key": ValidationError(_("No media is stored at this key."), code="does_not_exist")})
    return obj


def playback_url(key: str, *, seconds: int = 300) -> str:
    """A short-lived URL that GETs the object (S3 presigned GET, or a signed local URL)."""
    validate_key(key)
    obj = get_object(key)
    seconds = max(1, min(int(seconds), PLAYBACK_MAX_SECONDS))
    storage = media_storage()
    if is_s3(storage):
        return storage.bucket.meta.client.generate_presigned_url(
            "get_object",
            Params={"Bucket": storage.bucket.name, "Key": object_name(key), "ResponseContentType": obj.content_type},
            ExpiresIn=seconds,
        )
    # Rounded up: a URL minted for N seconds is good for at least N (int() cut up to one off).
    expires = math.ceil(datetime.now(UTC).timestamp()) + seconds
    return signed.mint(signed.Grant(connection.schema_name, key, "GET", obj.content_type, obj.size, expires))


def read_bytes(key: str) -> bytes:
    validate_key(key)
    with media_storage().open(key, "rb") as handle:
        return handle.read()


@contextmanager
def local_path(key: str) -> Iterator[str]:
    """A path on this machine holding the object's bytes, for PyAV/ffprobe; a temporary copy
    (removed afterwards) when the storage is S3. Treat it as read-only."""
    validate_key(key)
    storage = media_storage()
    if not is_s3(storage):
        path = storage.path(key)
        if not os.path.exists(path):
            raise FileNotFoundError(key)
        yield path
        return
    suffix = os.path.splitext(key)[1]
    with tempfile.NamedTemporaryFile(prefix="mc-media-", suffix=suffix) as tmp:
        storage.bucket.download_fileobj(object_name(key), tmp)
        tmp.flush()
        yield tmp.name


def delete(key: str, *, user=None) -> None:
    """Delete an object and its row (a vertical removing its own content)."""
    from apps.ledger.services import append

    validate_key(key)
    with transaction.atomic():
        obj = MediaObject.objects.filter(key=key).first()
        if obj is not None:
            append("media.deleted", subject=obj, actor=user, data={"key": key})
            obj.delete()
    media_storage().delete(key)
