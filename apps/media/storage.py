"""Where media bytes live: one storage, prefixed by the tenant's schema on every call.

STORAGES["media"] (settings, "media"):

- `LocalMediaStorage` (the default): MEDIA_ROOT/<schema>/<key>, the layout django-tenants'
  TenantFileSystemStorage already gives STORAGES["default"], so the two agree.
- `TenantS3Storage` (MEDIA_STORAGE=s3): django-storages' S3 backend (Cloudflare R2,
  Backblaze B2, MinIO, AWS) with the object names MEDIA_S3_PREFIX/<schema>/<key>.

The prefix is taken from the database connection's schema at each call (the tenant the
request, task or command is running for), never from the caller: a key is always
relative to the current tenant, and `..` cannot leave it (both backends' safe_join).
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.core.files.storage import storages
from django.db import connection
from django_tenants.files.storage import TenantFileSystemStorage
from storages.backends.s3 import S3Storage


class LocalMediaStorage(TenantFileSystemStorage):
    """MEDIA_ROOT/<schema>/, read from the settings at each call (tests change MEDIA_ROOT)."""

    @property
    def relative_media_root(self) -> str:
        return os.path.join(settings.MEDIA_ROOT, "%s")

    def tenant_root(self, schema: str) -> str:
        return os.path.abspath(os.path.join(settings.MEDIA_ROOT, schema))


class TenantS3Storage(S3Storage):
    """S3Storage whose `location` is MEDIA_S3_PREFIX/<current schema>."""

    @property
    def location(self) -> str:
        return "/".join(part for part in (self._base_location, connection.schema_name) if part)

    @location.setter
    def location(self, value: str) -> None:
        self._base_location = (value or "").strip("/")

    def tenant_prefix(self, schema: str) -> str:
        return "/".join(part for part in (self._base_location, schema) if part) + "/"


# A media key: segments of letters, digits and . _ = - each starting with a letter or digit
# (no "..", no absolute, hidden or incoming names). apps.media.services checks keys with it.
KEY_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._=-]*(/[A-Za-z0-9][A-Za-z0-9._=-]*)*$")
KEY_MAX = 400


def is_media_key(key: object) -> bool:
    return isinstance(key, str) and 0 < len(key) <= KEY_MAX and bool(KEY_RE.match(key))


def media_storage():
    return storages["media"]


def is_s3(storage=None) -> bool:
    return isinstance(storage or media_storage(), S3Storage)


def object_name(key: str) -> str:
    """The key as the backend names it (the S3 object key, or the file's absolute path)."""
    storage = media_storage()
    if is_s3(storage):
        return storage._normalize_name(key)
    return storage.path(key)


@contextmanager
def local_file(name: str, storage=None) -> Iterator[str]:
    """A path on this machine for a stored file (a FileField's name): the file itself on the
    filesystem, a temporary copy (removed afterwards) from S3. For readers that need a path."""
    storage = storage or media_storage()
    if not is_s3(storage):
        yield storage.path(name)
        return
    with tempfile.TemporaryDirectory(prefix="mc-media-") as tmp:
        path = os.path.join(tmp, os.path.basename(name) or "file")
        with storage.open(name, "rb") as remote, open(path, "wb") as local:
            shutil.copyfileobj(remote, local, 1024 * 1024)
        yield path


def purge_tenant(schema: str) -> int:
    """Delete every media object of `schema`; returns how many went."""
    storage = media_storage()
    if is_s3(storage):
        prefix = storage.tenant_prefix(schema)
        deleted = 0
        for batch in _batches(storage.bucket.objects.filter(Prefix=prefix), 1000):
            storage.bucket.delete_objects(Delete={"Objects": [{"Key": o.key} for o in batch], "Quiet": True})
            deleted += len(batch)
        return deleted
    root = storage.tenant_root(schema)
    if not os.path.isdir(root):
        return 0
    count = sum(len(files) for _dir, _dirs, files in os.walk(root))
    shutil.rmtree(root)
    return count


def _batches(iterable, size: int):
    batch = []
    for item in iterable:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def s3_storage_for(url: str) -> S3Storage:
    """A storage on `s3://bucket/prefix` with the backup (else media) connection settings."""
    from urllib.parse import urlparse

    parsed = urlparse(url)
    if parsed.scheme != "s3" or not parsed.netloc:
        raise ValueError(f"{url!r} is not an s3://bucket/prefix URL.")
    options = {**settings.S3_CONNECTION, "bucket_name": parsed.netloc, "location": parsed.path.strip("/")}
    return S3Storage(**options, default_acl="private", file_overwrite=False)
