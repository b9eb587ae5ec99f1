"""The dance lab end to end: a choreography's reference video (made from a photo of a person
shipped by a package) is analysed once by the real pose server (MediaPipe in .venv-pose,
registered in the fleet) and cached in storage; a learner's video goes through the API, a
real Celery worker samples its frames and runs pose jobs in batches, compares it with the
cached reference and stores overlays of the weakest moments. The same dance scores well
above the same dance played backwards; another learner cannot read the take or its
overlays."""

from __future__ import annotations

import os

import pytest

from apps.kzone import demo_video
from tests.inference.test_pose import pose_server  # noqa: F401  (fixture: the real pose server)

from .conftest import signed_in, upload, wait_for_take

pytestmark = pytest.mark.skipif(not demo_video.available(), reason="dev.py test builds .venv-pose first")


@pytest.fixture
def registered_pose_server(pose_server, live_db):  # noqa: F811
    from apps.inference import fleet as registry
    from apps.inference.models import ModelServer

    server = ModelServer.objects.create(
        name=f"pose-kzone-{os.getpid()}", kind="pose", base_url=pose_server, model="mediapipe-pose-full-0.10.21"
    )
    assert registry.probe_all([server.name]) == {server.name: True}
    yield server
    server.delete()


def _choreography(t, video: bytes) -> int:
    import io

    from apps.kzone import services

    with t.context():
        choreo = services.save_choreography(actor=None, title="Sway", bpm=60)
        return services.attach_reference(choreo, io.BytesIO(video), actor=None).pk


def test_a_dance_take_is_compared_with_the_cached_reference(live_tenant, registered_pose_server, celery_worker):
    from apps.inference.jobs.models import InferenceJob
    from apps.kzone.models import Choreography

    t = live_tenant("zone")
    _student, client = signed_in(t, "dancer", "student")
    _other, other_client = signed_in(t, "watcher", "student")
    images = demo_video.frames(seconds=4, fps=10)
    choreo = _choreography(t, demo_video.encode(images))

    def hand_in(video: bytes) -> dict:
        key = upload(client, "dance", choreo, video, content_type="video/mp4")
        response = client.post(
            "/api/v1/kzone/dance/pose-detection",
            {"choreography": choreo, "media_key": key, "language": "en"},
            content_type="application/json",
        )
        assert response.status_code == 202, response.content
        take = wait_for_take(t, response.json()["id"], timeout=240)
        assert take.status == "succeeded", take.error
        return take

    same = hand_in(demo_video.encode(demo_video.frames(seconds=4, fps=10, phase=0.1)))
    with t.context():
        reference = Choreography.objects.get(pk=choreo)
        assert reference.pose_status == "ready" and reference.pose_key.startswith(f"kzone/pose/choreo-{choreo}/")
        analysed = InferenceJob.objects.filter(feature="kzone.dance.reference").count()
    assert analysed >= 1
    dance = same.result["dance"]
    assert dance["frames"] == 40 and dance["backend"] == f"server:{registered_pose_server.name}"
    assert same.score >= 70, dance
    assert len(same.jobs["pose"]) == 2  # 40 frames in batches of 30
    assert dance["weakest"] and all(w["overlay"].startswith(f"kzone/pose/take-{same.pk}/") for w in dance["weakest"])
    assert same.result["feedback"]["source"] == "rule_based"

    backwards = hand_in(demo_video.encode(list(reversed(images))))
    assert backwards.score < same.score - 10, (backwards.score, same.score)
    with t.context():
        # the reference was analysed once, for both takes
        assert InferenceJob.objects.filter(feature="kzone.dance.reference").count() == analysed
        from apps.media.storage import media_storage

        assert media_storage().listdir(f"kzone/pose/take-{same.pk}/frames")[1] == []  # the frames are gone

    page = client.get(f"/kzone/takes/{same.pk}/")
    assert page.status_code == 200 and b"dance-result" in page.content
    image = client.get(f"/kzone/takes/{same.pk}/overlay/0.png")
    assert image.status_code == 200 and image.content.startswith(b"\x89PNG")
    assert other_client.get(f"/kzone/takes/{same.pk}/overlay/0.png").status_code == 404
    api = client.get(f"/api/v1/kzone/takes/{same.pk}/").json()
    assert api["result"]["dance"]["weakest"][0]["overlay_url"]
