"""`/api/v1/media/`: direct browser uploads (presign → PUT → confirm) and playback for any
tenant type, each user confined to their own uploads and every tenant to its own."""

from __future__ import annotations

import pytest

from apps.media.models import MediaObject

from . import samples


def presign(client, kind: str = "voice", content_type: str = "audio/webm;codecs=opus"):
    return client.post("/api/v1/media/uploads/", {"kind": kind, "content_type": content_type}, "application/json")


def put(client, grant: dict, data: bytes):
    return client.generic("PUT", grant["url"], data=data, content_type=grant["headers"]["Content-Type"])


@pytest.mark.parametrize("tenant", ["zone", "academy", "store"])
def test_a_browser_upload_end_to_end(tenants, member, media_root, db, tenant):
    role = {"zone": "student", "academy": "owner", "store": "owner"}[tenant]
    user, client = member(tenant, role)
    answer = presign(client)
    assert answer.status_code == 201, answer.content
    grant = answer.json()
    assert grant["key"].startswith(f"uploads/{user.pk}/voice/") and grant["key"].endswith(".webm")
    assert grant["method"] == "PUT" and grant["max_bytes"] == 52428800
    data = samples.audio(1.5)
    assert put(client, grant, data).status_code == 200
    confirmed = client.post("/api/v1/media/uploads/confirm/", {"key": grant["key"]}, "application/json")
    assert confirmed.status_code == 201, confirmed.content
    body = confirmed.json()
    assert body["content_type"] == "audio/webm" and body["size"] == len(data)
    assert body["duration_seconds"] == pytest.approx(1.5, abs=0.1)
    listed = client.get("/api/v1/media/objects/").json()
    assert [o["key"] for o in listed["results"]] == [grant["key"]]
    playback = client.get(f"/api/v1/media/objects/{body['id']}/playback/")
    assert playback.status_code == 200
    served = client.get(playback.json()["url"])
    assert served.status_code == 200 and b"".join(served.streaming_content) == data


def test_a_lying_upload_is_refused_with_a_clear_message_and_nothing_kept(tenants, member, media_root, db):
    _user, client = member("zone", "student")
    grant = presign(client, "image", "image/png").json()
    put(client, grant, samples.gzip_bomb())
    refused = client.post("/api/v1/media/uploads/confirm/", {"key": grant["key"]}, "application/json")
    assert refused.status_code == 400
    body = refused.json()
    assert body["code"] == "validation_error" and body["codes"] == {"file": ["invalid_content"]}
    # In the user's language (Korean first), naming what the bytes really are.
    assert "gzip 압축 데이터" in body["fields"]["file"][0]
    english = client.post(
        "/api/v1/media/uploads/confirm/", {"key": grant["key"]}, "application/json", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert english.json()["codes"] == {"key": ["does_not_exist"]}  # refused once, gone
    with tenants["zone"].context():
        assert not MediaObject.objects.exists()
    assert not [p for p in media_root.rglob("*") if p.is_file()]


def test_presign_refuses_a_content_type_the_kind_does_not_take(tenants, member, media_root, db):
    _user, client = member("zone", "student")
    refused = client.post(
        "/api/v1/media/uploads/",
        {"kind": "voice", "content_type": "image/png"},
        "application/json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert refused.status_code == 400
    assert refused.json()["fields"]["content_type"] == [
        "voice uploads cannot be image/png; accepted: audio/aac, audio/flac, audio/mp3, audio/mp4, audio/mpeg, "
        "audio/ogg, audio/opus, audio/wav, audio/wave, audio/webm, audio/x-flac, audio/x-m4a, audio/x-wav."
    ]


def test_users_and_tenants_see_and_confirm_only_their_own(tenants, member, media_root, db):
    _alice, alice_client = member("zone", "student")
    _bob, bob_client = member("zone", "student")
    _carol, carol_client = member("zone_b", "student")
    grant = presign(alice_client).json()
    put(alice_client, grant, samples.audio())

    # Bob (same tenant) and Carol (another) cannot confirm Alice's upload: it does not exist for them.
    for client in (bob_client, carol_client):
        refused = client.post("/api/v1/media/uploads/confirm/", {"key": grant["key"]}, "application/json")
        assert refused.status_code == 400 and refused.json()["codes"] == {"key": ["does_not_exist"]}
    obj = alice_client.post("/api/v1/media/uploads/confirm/", {"key": grant["key"]}, "application/json").json()

    # Nor list, read or play it back.
    assert bob_client.get("/api/v1/media/objects/").json()["results"] == []
    assert bob_client.get(f"/api/v1/media/objects/{obj['id']}/").status_code == 404
    assert bob_client.get(f"/api/v1/media/objects/{obj['id']}/playback/").status_code == 404
    assert carol_client.get(f"/api/v1/media/objects/{obj['id']}/playback/").status_code == 404
    # Alice's playback URL on the other tenant's host is refused.
    url = alice_client.get(f"/api/v1/media/objects/{obj['id']}/playback/").json()["url"]
    assert carol_client.get(url).status_code == 403
    # A session of tenant A means nothing on tenant B's API.
    with tenants["zone"].context():
        assert MediaObject.objects.filter(key=grant["key"]).exists()
    assert carol_client.get("/api/v1/media/objects/").json()["results"] == []


def test_anonymous_callers_get_401(tenants, media_root, db):
    client = tenants["zone"].client()
    assert presign(client).status_code == 401
    assert client.get("/api/v1/media/objects/").status_code == 401


def test_a_declared_size_over_the_limit_is_refused_before_any_upload(tenants, member, media_root, db):
    _user, client = member("zone", "student")
    over = client.post(
        "/api/v1/media/uploads/", {"kind": "voice", "content_type": "audio/webm", "size": 52428801}, "application/json"
    )
    assert over.status_code == 400 and over.json()["codes"] == {"size": ["too_large"]}
    grant = client.post(
        "/api/v1/media/uploads/", {"kind": "voice", "content_type": "audio/webm", "size": 1000}, "application/json"
    ).json()
    assert grant["max_bytes"] == 1000
    assert put(client, grant, b"\0" * 1001).status_code == 413
