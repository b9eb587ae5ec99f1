"""MEDIA_STORAGE=s3 against a real S3-protocol server on loopback (moto's S3 in server
mode behind SigV4 presigned-URL verification, apps.media.sandbox): per-schema prefixes,
presigned PUT/GET that cannot reach another tenant's keys, expiry, checks before keeping,
and a dropped tenant's objects deleted with it."""

from __future__ import annotations

import io
import time

import httpx
import pytest
from django.core.exceptions import ValidationError

from apps.inference.dispatch import load_media
from apps.media import services
from apps.media.models import MediaObject

from . import samples


def put(grant: dict, data: bytes, url: str | None = None, **headers) -> httpx.Response:
    return httpx.put(url or grant["url"], content=data, headers={**grant["headers"], **headers})


def test_objects_live_under_the_schema_prefix(tenants, s3_media, db):
    a = tenants["zone"]
    with a.context():
        obj = services.store_upload("voice", io.BytesIO(samples.audio(2.0)), key="kzone/audio/5/take.webm")
        assert obj.content_type == "audio/webm" and obj.duration_seconds == pytest.approx(2.0, abs=0.1)
        # The inference fleet reads the same object from the bucket (its STT and pose inputs).
        assert load_media("kzone/audio/5/take.webm") == services.read_bytes("kzone/audio/5/take.webm")
        with services.local_path("kzone/audio/5/take.webm") as path, open(path, "rb") as handle:
            assert handle.read() == services.read_bytes("kzone/audio/5/take.webm")
    assert s3_media.keys() == [f"media/{a.schema}/kzone/audio/5/take.webm"]
    head = s3_media.client.head_object(Bucket=s3_media.bucket, Key=f"media/{a.schema}/kzone/audio/5/take.webm")
    assert head["ContentType"] == "audio/webm"


def test_presigned_upload_confirm_and_playback(tenants, s3_media, db):
    a = tenants["zone"]
    data = samples.video(2.0)
    with a.context():
        grant = services.presign_upload("video", "kzone/video/4/dance.webm", content_type="video/webm")
    assert grant["url"].startswith(s3_media.endpoint) and grant["max_bytes"] == 500 * 1024 * 1024
    assert put(grant, data).status_code == 200
    with a.context():
        obj = services.confirm_upload("video", "kzone/video/4/dance.webm")
        assert obj.size == len(data) and obj.streams[0]["codec"] == "vp8"
        url = services.playback_url("kzone/video/4/dance.webm", seconds=60)
    got = httpx.get(url)
    assert got.status_code == 200 and got.content == data and got.headers["content-type"] == "video/webm"
    # The incoming object is gone; only the checked one is left.
    assert s3_media.keys() == [f"media/{a.schema}/kzone/video/4/dance.webm"]
    # A replayed PUT only recreates a spent incoming object, never touches the checked one.
    assert put(grant, samples.png()).status_code == 200
    assert s3_media.get(f"media/{a.schema}/kzone/video/4/dance.webm") == data


def test_a_url_for_tenant_a_cannot_read_or_write_tenant_b(tenants, s3_media, db):
    a, b = tenants["zone"], tenants["zone_b"]
    with b.context():
        services.store_upload("voice", io.BytesIO(samples.audio(1.0)), key="kzone/audio/1/b.webm")
    b_bytes = s3_media.get(f"media/{b.schema}/kzone/audio/1/b.webm")
    with a.context():
        services.store_upload("voice", io.BytesIO(samples.audio(2.0)), key="kzone/audio/1/b.webm")
        read_a = services.playback_url("kzone/audio/1/b.webm", seconds=60)
        write_a = services.presign_upload("voice", "kzone/audio/1/new.webm", content_type="audio/webm")
    assert f"/media/{a.schema}/" in read_a and httpx.get(read_a).status_code == 200

    # The same URLs pointed at B's prefix: the signature no longer matches.
    read_b = read_a.replace(f"/media/{a.schema}/", f"/media/{b.schema}/")
    refused = httpx.get(read_b)
    assert refused.status_code == 403 and "SignatureDoesNotMatch" in refused.text
    incoming = write_a["url"].split("?")[0].rsplit("/", 1)[-1]
    write_b = write_a["url"].replace(
        f"/media/{a.schema}/_incoming/{incoming}", f"/media/{b.schema}/kzone/audio/1/b.webm"
    )
    assert write_b != write_a["url"]
    refused = put(write_a, samples.audio(), url=write_b)
    assert refused.status_code == 403 and "SignatureDoesNotMatch" in refused.text
    assert s3_media.get(f"media/{b.schema}/kzone/audio/1/b.webm") == b_bytes
    # Nor with another Content-Type than the signed one.
    assert put(write_a, samples.audio(), **{"Content-Type": "image/png"}).status_code == 403


def test_an_expired_url_is_refused(tenants, s3_media, db):
    a = tenants["zone"]
    with a.context():
        services.store_upload("image", io.BytesIO(samples.png()), key="exams/3/attachments/f.png")
        url = services.playback_url("exams/3/attachments/f.png", seconds=1)
        grant = services.presign_upload("image", "exams/3/attachments/g.png", content_type="image/png", expires_in=1)
    assert httpx.get(url).status_code == 200
    time.sleep(2.2)
    refused = httpx.get(url)
    assert refused.status_code == 403 and "Request has expired" in refused.text
    refused = put(grant, samples.png())
    assert refused.status_code == 403 and "Request has expired" in refused.text
    with a.context():
        with pytest.raises(ValidationError) as nothing:
            services.confirm_upload("image", "exams/3/attachments/g.png")
        assert nothing.value.error_dict["file"][0].code == "not_uploaded"
    assert s3_media.keys() == [f"media/{a.schema}/exams/3/attachments/f.png"]


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: b"\x1a\x45\xdf\xa3" + b"\x00" * (50 * 1024 * 1024), "at most 52428800 bytes (50 MB)"),
        (lambda: samples.gzip_bomb(), "gzip-compressed data"),
        (lambda: samples.webm_claiming(36_000), "declares 36000 seconds"),
        (lambda: samples.png(), "PNG data"),
    ],
)
def test_bad_uploads_are_refused_at_confirm_and_deleted(tenants, s3_media, db, make, message):
    a = tenants["zone"]
    with a.context():
        grant = services.presign_upload("voice", "kzone/audio/2/take.webm", content_type="audio/webm")
    assert put(grant, make()).status_code == 200  # S3 takes any bytes a presigned PUT sends
    assert len(s3_media.keys()) == 1
    with a.context():
        with pytest.raises(ValidationError) as refused:
            services.confirm_upload("voice", "kzone/audio/2/take.webm")
        assert message in refused.value.message_dict["file"][0]
        assert not MediaObject.objects.exists()
    assert s3_media.keys() == []


def test_a_dropped_tenant_takes_its_media_with_it(live_tenant, s3_media):
    from apps.tenancy import services as tenancy

    keep, gone = live_tenant("zone"), live_tenant("zone")
    for t in (keep, gone):
        with t.context():
            services.store_upload("voice", io.BytesIO(samples.audio(1.0)), key="kzone/audio/1/t.webm")
            services.store_upload("json", io.BytesIO(samples.json_data()), key="kzone/pose/1/keypoints.json")
    assert len(s3_media.keys(f"media/{gone.schema}/")) == 2
    tenancy.drop_tenant(gone.tenant)
    assert s3_media.keys(f"media/{gone.schema}/") == []
    assert len(s3_media.keys(f"media/{keep.schema}/")) == 2


def test_django_files_and_ai_inputs_share_the_bucket(tenants, s3_media, db, tmp_path):
    """With S3 the default storage is the media bucket: a FileField's file (a roster import,
    read by path through a temporary copy) and frames saved for an AI job by another app."""
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage
    from django.core.files.uploadedfile import SimpleUploadedFile

    from apps.roster import jobs
    from tests.roster.conftest import write_xlsx
    from tests.roster.test_importing import MESSY

    t = tenants["academy"]
    with t.context():
        key = default_storage.save("kzone/pose/1/frames/0000.jpg", ContentFile(b"\xff\xd8\xff frame"))
        assert load_media(key) == b"\xff\xd8\xff frame"
        path = write_xlsx(tmp_path / "명단.xlsx", MESSY)
        upload = SimpleUploadedFile("명단.xlsx", path.read_bytes())
        job, _created = jobs.start(upload, valid_only=True, create_classes=True)
        assert jobs.run(job.pk, apply=False) == "planned"
        job.refresh_from_db()
        assert job.preview["students_created"] > 0
    assert f"media/{t.schema}/{job.file.name}" in s3_media.keys(f"media/{t.schema}/roster/")


def test_a_declared_size_is_signed_and_the_bucket_holds_the_upload_to_it(tenants, s3_media, db):
    a = tenants["zone"]
    data = samples.audio(1.0)
    with a.context():
        grant = services.presign_upload("voice", "kzone/audio/8/t.webm", content_type="audio/webm", size=len(data))
        assert grant["max_bytes"] == len(data)
        with pytest.raises(ValidationError) as refused:
            services.presign_upload(
                "voice", "kzone/audio/8/u.webm", content_type="audio/webm", size=50 * 1024 * 1024 + 1
            )
        assert refused.value.error_dict["size"][0].code == "too_large"
    longer = put(grant, data + b"\0")
    assert longer.status_code == 403 and "SignatureDoesNotMatch" in longer.text
    assert s3_media.keys() == []
    assert put(grant, data).status_code == 200
    with a.context():
        assert services.confirm_upload("voice", "kzone/audio/8/t.webm").size == len(data)
