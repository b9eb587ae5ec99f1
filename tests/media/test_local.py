"""The filesystem default: per-schema folders, the checks before anything is kept, and the
HMAC-signed URLs behaving like S3's presigned ones (tenant-bound, expiring, unalterable)."""

from __future__ import annotations

import io
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError

from apps.inference.dispatch import load_media
from apps.media import services, signed
from apps.media.models import MediaObject

from . import samples


def files_under(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()) if root.exists() else []


def test_store_upload_keeps_the_file_under_the_schema_and_records_what_it_is(tenants, media_root, db):
    t = tenants["zone"]
    with t.context():
        obj = services.store_upload("voice", io.BytesIO(samples.audio(2.0)), key="kzone/audio/7/take.webm")
        assert (obj.kind, obj.content_type, obj.status) == ("voice", "audio/webm", "ready")
        assert obj.duration_seconds == pytest.approx(2.0, abs=0.1)
        assert obj.streams[0]["codec"] == "opus"
        # The inference fleet opens media keys in the same storage (STT and pose inputs).
        assert load_media("kzone/audio/7/take.webm") == services.read_bytes("kzone/audio/7/take.webm")
        with services.local_path("kzone/audio/7/take.webm") as path:
            assert Path(path).stat().st_size == obj.size
    assert files_under(media_root) == [f"{t.schema}/kzone/audio/7/take.webm"]
    with tenants["zone_b"].context():
        assert not MediaObject.objects.filter(key="kzone/audio/7/take.webm").exists()
        with pytest.raises(FileNotFoundError):
            services.read_bytes("kzone/audio/7/take.webm")


def test_over_the_limit_is_refused_before_reading_on_and_nothing_is_stored(tenants, media_root, db):
    big = io.BytesIO(b"\x1a\x45\xdf\xa3" + b"\x00" * services.LIMITS["voice"])  # 50 MB + 4 bytes
    with tenants["zone"].context(), pytest.raises(ValidationError) as refused:
        services.store_upload("voice", big, key="kzone/audio/1/big.webm")
    assert refused.value.error_dict["file"][0].code == "too_large"
    assert "at most 52428800 bytes (50 MB)" in refused.value.message_dict["file"][0]
    assert big.tell() <= services.LIMITS["voice"] + services.CHUNK  # stopped at the limit
    assert files_under(media_root) == []
    with tenants["zone"].context():
        assert not MediaObject.objects.exists()


@pytest.mark.parametrize(
    ("make", "key", "content_type", "message"),
    [
        (lambda: samples.audio(), "kzone/audio/1/t.mp4", None, "named .mp4"),
        (lambda: samples.audio(), "kzone/audio/1/t.webm", "audio/mpeg", "declared as audio/mpeg"),
        (samples.gzip_bomb, "kzone/audio/1/t.webm", "audio/webm", "gzip-compressed"),
        (lambda: samples.webm_claiming(36_000), "kzone/audio/1/t.webm", None, "declares 36000 seconds"),
    ],
)
def test_refused_content_leaves_nothing_behind(tenants, media_root, db, make, key, content_type, message):
    with tenants["zone"].context():
        with pytest.raises(ValidationError) as refused:
            services.store_upload("voice", io.BytesIO(make()), key=key, content_type=content_type)
        assert message in refused.value.message_dict["file"][0]
        assert not MediaObject.objects.exists()
    assert files_under(media_root) == []


@pytest.mark.parametrize("key", ["../t_zone_b/x.webm", "/etc/passwd", "a/../../b.webm", "_incoming/x", "a//b", ""])
def test_keys_cannot_leave_the_tenant_prefix(tenants, media_root, db, key):
    with tenants["zone"].context(), pytest.raises(ValidationError) as refused:
        services.store_upload("voice", io.BytesIO(samples.audio()), key=key)
    assert "key" in refused.value.message_dict
    assert files_under(media_root) == []


def _put(client, grant: dict, data: bytes, **headers):
    from django.utils import translation

    response = client.generic(
        "PUT", grant["url"], data=data, content_type=headers.pop("content_type", grant["headers"]["Content-Type"])
    )
    # The request's LocaleMiddleware leaves Korean active in this thread; the services' refusals
    # are read in English below.
    translation.activate("en")
    return response


def test_presigned_upload_confirm_and_playback_on_the_filesystem(tenants, media_root, db):
    t = tenants["zone"]
    data = samples.audio(2.0)
    with t.context():
        grant = services.presign_upload("voice", "kzone/audio/3/take.webm", content_type="audio/webm;codecs=opus")
    assert grant["method"] == "PUT" and grant["headers"] == {"Content-Type": "audio/webm"}
    assert grant["max_bytes"] == 50 * 1024 * 1024 and grant["key"] == "kzone/audio/3/take.webm"
    assert grant["url"].startswith("/media/signed/")
    assert _put(t.client(), grant, data).status_code == 200
    with t.context():
        assert not MediaObject.objects.filter(status="ready").exists()  # not before the check
        obj = services.confirm_upload("voice", "kzone/audio/3/take.webm")
        assert obj.status == "ready" and obj.size == len(data)
        url = services.playback_url("kzone/audio/3/take.webm", seconds=60)
    response = t.client().get(url)
    assert response.status_code == 200 and response["Content-Type"] == "audio/webm"
    assert b"".join(response.streaming_content) == data
    assert files_under(media_root) == [f"{t.schema}/kzone/audio/3/take.webm"]

    # Replaying the PUT URL afterwards writes to the spent incoming name, never the object.
    assert _put(t.client(), grant, samples.png()).status_code == 200
    with t.context():
        assert services.read_bytes("kzone/audio/3/take.webm") == data


def test_signed_urls_are_bound_to_their_tenant_key_method_and_time(tenants, media_root, db):
    a, b = tenants["zone"], tenants["zone_b"]
    with a.context():
        services.store_upload("voice", io.BytesIO(samples.audio()), key="kzone/audio/1/a.webm")
        read_a = services.playback_url("kzone/audio/1/a.webm", seconds=60)
        put_a = services.presign_upload("voice", "kzone/audio/1/new.webm", content_type="audio/webm")
    with b.context():
        services.store_upload("voice", io.BytesIO(samples.audio(1.0)), key="kzone/audio/1/b.webm")

    # A's URLs on B's host: refused, for reading and for writing.
    assert b.client().get(read_a).status_code == 403
    assert _put(b.client(), put_a, samples.audio()).status_code == 403
    assert files_under(media_root / b.schema) == ["kzone/audio/1/b.webm"]
    # An altered token (another key) does not verify.
    token = read_a.removeprefix("/media/signed/")
    forged = read_a.replace(token, token.replace(token[5], "A" if token[5] != "A" else "B", 1))
    forged_answer = a.client().get(forged)
    assert forged_answer.status_code == 403 and forged_answer.json()["code"] == "signature_mismatch"
    # A reading URL does not write, an upload URL does not read.
    assert _put(a.client(), {"url": read_a, "headers": {"Content-Type": "audio/webm"}}, b"x").status_code == 403
    assert a.client().get(put_a["url"]).status_code == 403
    # The signed Content-Type must be the one sent.
    assert _put(a.client(), put_a, samples.audio(), content_type="image/png").status_code == 403
    # Expired: minted with a lifetime of three seconds (good for at least that long, so a
    # loaded machine's slow first request still falls inside it).
    with a.context():
        short = services.playback_url("kzone/audio/1/a.webm", seconds=3)
    assert a.client().get(short).status_code == 200
    time.sleep(4.1)
    expired = a.client().get(short)
    assert expired.status_code == 403 and expired.json()["code"] == "signature_expired"
    assert expired.json()["message"] == "이 URL은 만료되었습니다."


def test_a_signed_put_past_its_byte_limit_is_refused_and_stores_nothing(tenants, media_root, db, settings):
    t = tenants["zone"]
    with t.context():
        grant = services.presign_upload("voice", "kzone/audio/1/t.webm", content_type="audio/webm")
        schema = t.schema
    over = b"\x00" * (grant["max_bytes"] + 1)
    response = _put(t.client(), grant, over)
    assert response.status_code == 413
    assert files_under(media_root / schema) == []
    # And a token whose limit says less is held to it, whatever Content-Length claims.
    small = signed.mint(signed.Grant(schema, "_incoming/x", "PUT", "audio/webm", 10, int(time.time()) + 60))
    assert t.client().generic("PUT", small, data=b"0123456789ABC", content_type="audio/webm").status_code == 413
    assert files_under(media_root / schema) == []


def test_confirm_refuses_bad_bytes_and_deletes_the_upload(tenants, media_root, db):
    t = tenants["zone"]
    with t.context():
        grant = services.presign_upload("video", "kzone/video/9/d.webm", content_type="video/webm")
    assert _put(t.client(), grant, samples.zip_bomb()).status_code == 200
    assert len(files_under(media_root)) == 1  # the incoming bytes
    with t.context():
        with pytest.raises(ValidationError) as refused:
            services.confirm_upload("video", "kzone/video/9/d.webm")
        assert "zip archive" in refused.value.message_dict["file"][0]
        assert not MediaObject.objects.exists()
        # Nothing to confirm any more.
        with pytest.raises(ValidationError) as again:
            services.confirm_upload("video", "kzone/video/9/d.webm")
        assert again.value.error_dict["key"][0].code == "does_not_exist"
    assert files_under(media_root) == []


def test_confirm_without_an_upload_and_expired_pending_uploads(tenants, media_root, db):
    from django.utils import timezone

    t = tenants["zone"]
    with t.context():
        services.presign_upload("voice", "kzone/audio/1/t.webm", content_type="audio/webm")
        with pytest.raises(ValidationError) as refused:
            services.confirm_upload("voice", "kzone/audio/1/t.webm")
        assert refused.value.error_dict["file"][0].code == "not_uploaded"
        grant = services.presign_upload("voice", "kzone/audio/1/u.webm", content_type="audio/webm")
    _put(t.client(), grant, samples.audio())
    with t.context():
        assert services.expire_pending(timezone.now() + timedelta(hours=1)) == 1
        assert not MediaObject.objects.exists()
    assert files_under(media_root) == []


def test_presign_refuses_a_content_type_the_kind_does_not_take(tenants, media_root, db):
    with tenants["zone"].context(), pytest.raises(ValidationError) as refused:
        services.presign_upload("voice", "kzone/audio/1/t.webm", content_type="image/png")
    assert "content_type" in refused.value.message_dict


def test_a_dropped_tenant_takes_its_folder_with_it(live_tenant, media_root):
    from apps.tenancy import services as tenancy

    keep, gone = live_tenant("academy"), live_tenant("academy")
    for t in (keep, gone):
        with t.context():
            services.store_upload("image", io.BytesIO(samples.png()), key="users/1/profile.png")
    assert (media_root / gone.schema / "users/1/profile.png").exists()
    tenancy.drop_tenant(gone.tenant)
    assert not (media_root / gone.schema).exists()
    assert files_under(media_root / keep.schema) == ["users/1/profile.png"]


def test_the_hourly_beat_expires_unconfirmed_uploads_in_every_tenant(tenants, media_root, db, time_machine):
    from django.conf import settings
    from django_celery_beat.schedulers import ModelEntry

    from apps.media import tasks
    from apps.tenancy.beat import TenantTypeAwareScheduler

    entry = ModelEntry.__new__(ModelEntry)
    entry.options = {"headers": dict(settings.CELERY_BEAT_SCHEDULE["media-expire-pending"]["options"]["headers"])}
    schemas = TenantTypeAwareScheduler.schemas_for(TenantTypeAwareScheduler.__new__(TenantTypeAwareScheduler), entry)
    assert {tenants[k].schema for k in ("academy", "zone", "store", "club")} <= set(schemas)

    t = tenants["store"]
    with t.context():
        grant = services.presign_upload("image", "reviews/1/photo.png", content_type="image/png")
        services.store_upload("image", io.BytesIO(samples.png()), key="reviews/1/kept.png")
    _put(t.client(), grant, samples.png())
    with t.context():
        assert tasks.expire_pending_uploads.run() == 0  # not expired yet
        time_machine.move_to(timezone_now() + timedelta(seconds=services.UPLOAD_SECONDS + 1), tick=False)
        assert tasks.expire_pending_uploads.run() == 1
        assert tasks.expire_pending_uploads.run() == 0
        assert list(MediaObject.objects.values_list("key", flat=True)) == ["reviews/1/kept.png"]
    assert files_under(media_root) == [f"{t.schema}/reviews/1/kept.png"]


def timezone_now():
    from django.utils import timezone

    return timezone.now()


def test_two_confirms_at_once_check_the_upload_once(tenants, media_root, db, monkeypatch):
    from apps.media import inspect

    t = tenants["zone"]
    with t.context():
        grant = services.presign_upload("voice", "kzone/audio/1/t.webm", content_type="audio/webm")
    _put(t.client(), grant, samples.audio())
    real = inspect.inspect_file
    second: list[ValidationError] = []

    def check_while_another_confirm_arrives(*args, **kwargs):
        try:
            services.confirm_upload("voice", "kzone/audio/1/t.webm")
        except ValidationError as exc:
            second.append(exc)
        return real(*args, **kwargs)

    monkeypatch.setattr(inspect, "inspect_file", check_while_another_confirm_arrives)
    with t.context():
        obj = services.confirm_upload("voice", "kzone/audio/1/t.webm")
        assert obj.status == "ready" and obj.incoming == ""
    assert [e.error_dict["key"][0].code for e in second] == ["does_not_exist"]
    assert files_under(media_root) == [f"{t.schema}/kzone/audio/1/t.webm"]


def test_a_storage_failure_during_confirm_leaves_the_upload_confirmable(tenants, media_root, db, monkeypatch):
    from apps.media import inspect

    t = tenants["zone"]
    with t.context():
        grant = services.presign_upload("voice", "kzone/audio/1/t.webm", content_type="audio/webm")
    _put(t.client(), grant, samples.audio())

    def broken(*args, **kwargs):
        raise OSError("disk gone")

    monkeypatch.setattr(inspect, "inspect_file", broken)
    with t.context(), pytest.raises(OSError):
        services.confirm_upload("voice", "kzone/audio/1/t.webm")
    monkeypatch.undo()
    # The bytes were taken aside before the failure; the PUT URL is still good for a retry.
    _put(t.client(), grant, samples.audio())
    with t.context():
        assert services.confirm_upload("voice", "kzone/audio/1/t.webm").status == "ready"


def test_signed_playback_answers_range_requests(tenants, media_root, db):
    t = tenants["zone"]
    data = samples.audio(3.0)
    with t.context():
        services.store_upload("voice", io.BytesIO(data), key="kzone/audio/1/t.webm")
        url = services.playback_url("kzone/audio/1/t.webm")
    client = t.client()
    whole = client.get(url)
    assert whole.status_code == 200 and whole["Accept-Ranges"] == "bytes"
    part = client.get(url, HTTP_RANGE="bytes=100-199")
    assert part.status_code == 206 and part.content == data[100:200]
    assert part["Content-Range"] == f"bytes 100-199/{len(data)}"
    tail = client.get(url, HTTP_RANGE="bytes=-10")
    assert tail.status_code == 206 and tail.content == data[-10:]
    rest = client.get(url, HTTP_RANGE=f"bytes={len(data) - 5}-")
    assert rest.content == data[-5:]
    beyond = client.get(url, HTTP_RANGE=f"bytes={len(data)}-")
    assert beyond.status_code == 416 and beyond["Content-Range"] == f"bytes */{len(data)}"


def test_pages_may_play_media_and_reach_the_bucket(tenants, db):
    import json
    import os
    import subprocess
    import sys

    policy = tenants["zone"].client().get("/")["Content-Security-Policy"]
    assert "media-src 'self' blob:" in policy
    # With S3, the bucket's endpoint joins media-src and connect-src (read at settings import).
    env = {
        **os.environ,
        "MEDIA_STORAGE": "s3",
        "MEDIA_S3_BUCKET": "b",
        "S3_ENDPOINT_URL": "https://acct.r2.cloudflarestorage.com/",
    }
    code = (
        "from django.conf import settings; import json; "
        "d = settings.CONTENT_SECURITY_POLICY['DIRECTIVES']; "
        "print(json.dumps({k: d[k] for k in ('media-src', 'connect-src')}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        env={**env, "DJANGO_SETTINGS_MODULE": "config.settings.test"},
        capture_output=True,
        text=True,
        check=True,
    )
    directives = json.loads(out.stdout.strip().splitlines()[-1])
    assert "https://acct.r2.cloudflarestorage.com" in directives["media-src"]
    assert "https://acct.r2.cloudflarestorage.com" in directives["connect-src"]


def test_ai_jobs_cannot_read_an_uploads_unchecked_bytes(tenants, media_root, db):
    from apps.inference import services as ai

    t = tenants["zone"]
    with t.context():
        services.presign_upload("voice", "kzone/audio/1/t.webm", content_type="audio/webm")
        incoming = MediaObject.objects.get().incoming
    assert incoming.startswith("_incoming/")
    _put(t.client(), {"url": signed_put_url(t, incoming), "headers": {"Content-Type": "audio/webm"}}, b"x")
    with t.context():
        with pytest.raises(ValidationError) as refused:
            ai.submit_job(kind="stt", inputs={"media": incoming}, requester=None, feature="test")
        assert refused.value.error_dict["inputs.media"][0].code == "does_not_exist"


def signed_put_url(t, incoming: str) -> str:
    return signed.mint(signed.Grant(t.schema, incoming, "PUT", "audio/webm", 100, int(time.time()) + 60))


def test_the_owner_sees_and_deletes_media_in_the_admin(tenants, member, media_root, db):
    from apps.ledger.models import Event

    _owner, client = member("academy", "owner")
    t = tenants["academy"]
    with t.context():
        obj = services.store_upload("image", io.BytesIO(samples.png()), key="users/7/profile.png")
    listing = client.get("/admin/media/mediaobject/")
    assert listing.status_code == 200 and "users/7/profile.png" in listing.content.decode()
    detail = client.get(f"/admin/media/mediaobject/{obj.pk}/change/")
    assert detail.status_code == 200 and "/media/signed/" in detail.content.decode()
    deleted = client.post(f"/admin/media/mediaobject/{obj.pk}/delete/", {"post": "yes"})
    assert deleted.status_code == 302
    with t.context():
        assert not MediaObject.objects.exists()
        assert list(Event.objects.filter(kind__startswith="media.").values_list("kind", flat=True).order_by("seq")) == [
            "media.stored",
            "media.deleted",
        ]
    assert files_under(media_root) == []
    # Another tenant's admin has no such object.
    _other, other_client = member("academy_b", "owner")
    missing = other_client.get(f"/admin/media/mediaobject/{obj.pk}/change/")
    assert missing.status_code == 302 and missing.url == "/admin/"
