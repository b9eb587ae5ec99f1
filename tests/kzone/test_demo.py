"""seed_demo's K-Zone content: voice lines with espeak-ng reference recordings (through
apps.media's checks), two scenes, a choreography whose reference video is made here; again
and again without duplicates."""

from __future__ import annotations

import shutil

import pytest

from apps.kzone import demo_video


@pytest.mark.skipif(shutil.which("espeak-ng") is None or not demo_video.available(), reason="espeak-ng, .venv-pose")
def test_the_demo_content_is_seeded_once(live_tenant):
    from apps.kzone import demo
    from apps.kzone.models import Choreography, DramaScene, VoiceLine
    from apps.media.models import MediaObject

    t = live_tenant("zone")
    with t.context():
        demo.seed_content()
        demo.seed_content()
        assert VoiceLine.objects.count() == len(demo.LINES)
        assert all(line.reference_audio for line in VoiceLine.objects.all())
        assert (
            DramaScene.objects.count() == 2 and DramaScene.objects.get(title="The rooftop promise").lines.count() == 4
        )
        choreo = Choreography.objects.get()
        assert choreo.reference_video and choreo.bpm == 60
        video = MediaObject.objects.get(key=choreo.reference_video)
        assert video.kind == "video" and video.status == "ready"
    assert demo.seed(t.tenant) is None  # another zone's schema: nothing
