"""The filesystem default's presigned URLs (apps.media.signed): PUT stores an upload's
bytes at its incoming name, GET/HEAD plays an object back. The token is the only
credential, as with S3: no session, no CSRF token (the browser may send neither to a
presigned URL). Refusals answer S3-like: 403 for a bad, expired or other tenant's
signature, 413 past the token's byte limit."""

from __future__ import annotations

import os
import re
import tempfile

from django.db import connection
from django.http import FileResponse, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from apps.core.api.errors import error_response

from . import signed
from .inspect import base_type
from .storage import media_storage

CHUNK = 1024 * 1024


@csrf_exempt
def signed_object(request: HttpRequest, token: str) -> HttpResponse:
    try:
        grant = signed.read(token)
    except signed.BadToken as exc:
        return error_response(403, str(exc), exc.code)
    if grant.schema != connection.schema_name:
        return error_response(403, _("This URL belongs to another site."), "signature_refused")
    if request.method in ("GET", "HEAD"):
        if grant.method != "GET":
            return error_response(403, _("This URL is for uploading, not reading."), "signature_refused")
        return _serve(request, grant)
    if request.method == "PUT":
        if grant.method != "PUT":
            return error_response(403, _("This URL is for reading, not uploading."), "signature_refused")
        return _receive(request, grant)
    response = error_response(405, _("Method not allowed."), "method_not_allowed")
    response["Allow"] = "GET, HEAD" if grant.method == "GET" else "PUT"
    return response


RANGE_RE = re.compile(r"^bytes=(\d*)-(\d*)$")


def _serve(request: HttpRequest, grant: signed.Grant) -> HttpResponse:
    storage = media_storage()
    if not storage.exists(grant.key):
        return error_response(404, _("No such object."), "not_found")
    size = storage.size(grant.key)
    wanted = _byte_range(request.META.get("HTTP_RANGE", ""), size)
    if wanted == "unsatisfiable":
        response = HttpResponse(status=416)
        response["Content-Range"] = f"bytes */{size}"
        return response
    handle = storage.open(grant.key, "rb")
    if wanted is None:
        response = FileResponse(handle, content_type=grant.content_type)
    else:
        # <audio>/<video> seek with Range requests, as they do against S3.
        start, end = wanted
        handle.seek(start)
        response = HttpResponse(handle.read(end - start + 1), status=206, content_type=grant.content_type)
        handle.close()
        response["Content-Range"] = f"bytes {start}-{end}/{size}"
    response["Accept-Ranges"] = "bytes"
    response["Cache-Control"] = "private, max-age=60"
    return response


def _byte_range(header: str, size: int):
    """(start, end) of a single `bytes=` range, None to send everything, or "unsatisfiable"."""
    match = RANGE_RE.match(header.strip())
    if not match or match.groups() == ("", ""):
        return None
    first, last = match.groups()
    if first == "":  # the last N bytes
        length = int(last)
        if length == 0:
            return "unsatisfiable"
        return max(0, size - length), size - 1
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if start >= size or end < start:
        return "unsatisfiable"
    # One read per request: a player asks again for the rest.
    return start, min(end, start + RANGE_MAX - 1)


RANGE_MAX = 8 * 1024 * 1024


def _receive(request: HttpRequest, grant: signed.Grant) -> HttpResponse:
    # The signed Content-Type, as S3 signs it: another one does not match the signature.
    if base_type(request.META.get("CONTENT_TYPE", "")) != grant.content_type:
        return error_response(403, _("The Content-Type does not match the signed one."), "signature_refused")
    too_large = _("The upload is larger than %(limit)d bytes.") % {"limit": grant.max_bytes}
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > grant.max_bytes:
        return error_response(413, too_large, "payload_too_large")
    storage = media_storage()
    target = storage.path(grant.key)
    os.makedirs(os.path.dirname(target), exist_ok=True)
    # Written beside the target and renamed over it: a reader never sees half a file.
    fd, partial = tempfile.mkstemp(prefix=".put-", dir=os.path.dirname(target))
    size = 0
    try:
        with os.fdopen(fd, "wb") as out:
            while chunk := request.read(CHUNK):
                size += len(chunk)
                if size > grant.max_bytes:
                    raise OverflowError
                out.write(chunk)
        os.replace(partial, target)
    except OverflowError:
        os.unlink(partial)
        return error_response(413, too_large, "payload_too_large")
    except BaseException:
        if os.path.exists(partial):
            os.unlink(partial)
        raise
    return HttpResponse(status=200)
