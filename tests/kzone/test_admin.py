"""K-Zone's content in the zone's admin: a voice line with a reference recording (checked by
apps.media: a fake is refused with nothing saved), a scene whose script goes through the
service, takes read-only; a teacher (no tutor:manage) sees none of it."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.ledger.models import Event
from tests.utils import browser_login, enable_totp, make_user

from .conftest import espeak, needs_espeak

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(tenants):
    t = tenants["zone"]
    with t.context():
        root = make_user("root_kzone", is_staff=True, is_superuser=True)
        secret = enable_totp(root)
    client = t.client()
    browser_login(client, root.username, totp_secret=secret)
    return client


@needs_espeak
def test_a_voice_line_with_its_reference_recording(tenants, admin_client):
    from apps.kzone.models import VoiceLine

    form = {"title": "Greeting", "kind": "phrase", "text": "Good morning", "language": "en", "published": "on"}
    recording = SimpleUploadedFile("ref.wav", espeak("Good morning"), content_type="audio/wav")
    response = admin_client.post("/admin/kzone/voiceline/add/", {**form, "reference_file": recording})
    assert response.status_code == 302, response.content.decode()[:2000]
    with tenants["zone"].context():
        line = VoiceLine.objects.get(title="Greeting")
        assert line.reference_audio.startswith(f"kzone/audio/line-{line.pk}/reference-")
        assert line.reference_seconds and 0.5 < line.reference_seconds < 3
        assert Event.objects.filter(kind="kzone.voice_line.saved", subject_id=str(line.pk)).exists()
    fake = SimpleUploadedFile("ref.wav", b"GIF89a not audio" * 50, content_type="audio/wav")
    refused = admin_client.post("/admin/kzone/voiceline/add/", {**form, "title": "Fake", "reference_file": fake})
    assert refused.status_code == 200  # the form again, the refusal on the field
    assert refused.context["adminform"].form.errors["reference_file"]
    with tenants["zone"].context():
        assert not VoiceLine.objects.filter(title="Fake").exists()


def test_a_scene_and_its_script_through_the_service(tenants, admin_client, member):
    from apps.kzone.models import DramaScene

    form = {
        "title": "Rooftop",
        "synopsis": "",
        "language": "en",
        "published": "on",
        "lines-TOTAL_FORMS": "2",
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "1000",
        "lines-0-order": "2",
        "lines-0-character": "Minho",
        "lines-0-text": "I came.",
        "lines-1-order": "1",
        "lines-1-character": "Jiwoo",
        "lines-1-text": "You came.",
        "lines-1-direction": "relieved",
    }
    response = admin_client.post("/admin/kzone/dramascene/add/", form)
    assert response.status_code == 302, response.content.decode()[:2000]
    with tenants["zone"].context():
        scene = DramaScene.objects.get(title="Rooftop")
        assert [(x.order, x.character) for x in scene.lines.all()] == [(1, "Jiwoo"), (2, "Minho")]
        assert Event.objects.filter(kind="kzone.scene.saved", subject_id=str(scene.pk)).exists()
    assert admin_client.get("/admin/kzone/take/add/").status_code == 403
    _teacher, teacher = member("zone", "teacher")
    assert teacher.get("/admin/kzone/voiceline/").status_code in (302, 403)
