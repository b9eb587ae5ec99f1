"""K-Zone's pages and API limits: the microphone only on the recording pages; a bad upload is
refused naming the field, with nothing stored; another learner's take is a 404 on the
pages as over the API; 50 AI requests a minute per client address."""

from __future__ import annotations

import os

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

pytestmark = pytest.mark.django_db


@pytest.fixture
def line(tenants):
    from apps.kzone import services

    with tenants["zone"].context():
        return services.save_voice_line(actor=None, title="Greeting", kind="phrase", text="Good morning", language="en")


def test_only_the_recording_pages_may_use_the_microphone(member, line):
    _user, client = member("zone", "student")
    hub = client.get("/kzone/")
    assert hub.status_code == 200 and "Greeting" in hub.content.decode()
    assert "microphone=()" in hub["Permissions-Policy"] and "camera=()" in hub["Permissions-Policy"]
    page = client.get(f"/kzone/voice/{line.pk}/")
    assert page.status_code == 200
    assert "microphone=(self)" in page["Permissions-Policy"] and "camera=(self)" in page["Permissions-Policy"]
    assert "geolocation=()" in page["Permissions-Policy"]  # the rest of the site's policy stays


def test_a_file_lying_about_being_audio_is_refused_and_nothing_is_stored(tenants, member, line, settings):
    from apps.kzone.models import Take

    _user, client = member("zone", "student")
    fake = SimpleUploadedFile("take.wav", b"PK\x03\x04 this is a zip, not a recording" * 100, content_type="audio/wav")
    response = client.post(f"/kzone/voice/{line.pk}/", {"file": fake})
    assert response.status_code == 400
    assert "file:" in response.content.decode()
    with tenants["zone"].context():
        assert not Take.objects.exists()
    folder = os.path.join(settings.MEDIA_ROOT, tenants["zone"].schema, "kzone", "audio", f"line-{line.pk}")
    assert not os.path.exists(folder) or os.listdir(folder) == []


def test_another_learners_take_is_not_found(tenants, member, line):
    from apps.kzone.models import Take

    owner, _client = member("zone", "student")
    _other, other_client = member("zone", "student")
    with tenants["zone"].context():
        take = Take.objects.create(kind="voice", user=owner, voice_line=line, media_key="kzone/audio/x")
    assert other_client.get(f"/kzone/takes/{take.pk}/").status_code == 404
    assert other_client.get(f"/api/v1/kzone/takes/{take.pk}/").status_code == 404
    assert other_client.post(f"/api/v1/kzone/takes/{take.pk}/cancel/").status_code == 404
    assert other_client.post(f"/kzone/takes/{take.pk}/", {"action": "cancel"}).status_code == 404
    with tenants["zone"].context():
        assert Take.objects.get(pk=take.pk).status == "queued"


def test_a_teacher_or_a_parent_has_no_tutor(member, line):
    for role in ("teacher", "parent"):
        _user, client = member("zone", role)
        assert client.get("/kzone/").status_code == 403
        assert client.get("/api/v1/kzone/takes/").status_code == 403


def test_analysis_requests_are_limited_per_client_address(member, line, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "ENABLED": True, "ai": "100/min", "ai_ip": "3/min"}
    codes = []
    for i in range(5):
        # different learners behind one address: the address's limit holds for them all
        _user, client = member("zone", "student")
        response = client.post(
            "/api/v1/kzone/voice/analyze",
            {"line": line.pk, "media_key": f"kzone/audio/line-{line.pk}/nothing-{i}"},
            content_type="application/json",
            REMOTE_ADDR="203.0.113.9",
        )
        codes.append(response.status_code)
    assert codes == [400, 400, 400, 429, 429]
    assert response.json()["code"] == "throttled" and int(response["Retry-After"]) > 0


def test_the_learners_dashboard_links_to_the_tutors_when_the_zone_has_content(tenants, member):
    _user, client = member("zone", "student")
    assert b"kzone-link" not in client.get("/learn/").content  # no tutor content in this zone yet
    from apps.kzone import services

    with tenants["zone"].context():
        services.save_voice_line(actor=None, title="Greeting", kind="phrase", text="Good morning", language="en")
    page = client.get("/learn/")
    assert page.status_code == 200 and b'href="/kzone/"' in page.content
    _teacher, teacher_client = member("zone", "teacher")
    assert b"kzone-link" not in teacher_client.get("/learn/").content


def test_an_upload_key_of_one_zone_names_nothing_in_another(tenants, member, line):
    """The same key, content id and learner id in another zone: a direct upload presigned in
    zone A names nothing in zone B (media keys live under each tenant's own prefix)."""
    from django.core.exceptions import ValidationError

    from apps.kzone import services
    from apps.kzone.models import Take, VoiceLine

    user_a, client_a = member("zone", "student")
    answer = client_a.post(
        "/api/v1/kzone/uploads/",
        {"kind": "voice", "content": line.pk, "content_type": "audio/wav"},
        content_type="application/json",
    )
    assert answer.status_code == 201
    key = answer.json()["key"]
    with tenants["zone_b"].context():
        twin = VoiceLine.objects.create(pk=line.pk, title="B", kind="phrase", text="Good morning", language="en")
        assert key.startswith(services.upload_prefix("voice", twin, user_a))  # the key would fit here
        with pytest.raises(ValidationError) as refused:
            services.start_take("voice", twin, actor=user_a, media_key=key)
        assert refused.value.error_dict["media_key"][0].code == "does_not_exist"
        assert not Take.objects.exists()
