"""The filesystem's signed URLs through the real ASGI server (uvicorn, config.asgi): a
voice take far above the 2.5 MB body limit of forms and JSON streams in, one past the
kind's limit is refused before it is read, and playback seeks."""

from __future__ import annotations

import os

import httpx
from django.conf import settings

from apps.media import services
from apps.media.models import MediaObject

from . import samples


def test_signed_upload_and_playback_through_the_real_server(asgi_server, live_tenant):
    t = live_tenant("zone")
    root = f"{settings.MEDIA_ROOT}/{t.schema}"
    data = samples.audio(200.0, container="wav", codec="pcm_s16le")  # 19.2 MB of real PCM
    assert len(data) > 7 * settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    with t.context():
        grant = services.presign_upload("voice", "kzone/audio/1/take.wav", content_type="audio/wav")
        too_big = services.presign_upload("voice", "kzone/audio/1/big.wav", content_type="audio/wav")
    base = f"http://127.0.0.1:{asgi_server.port}"
    with httpx.Client(base_url=base, headers={"Host": t.domain}, timeout=60) as client:
        stored = client.put(grant["url"], content=data, headers=grant["headers"])
        assert stored.status_code == 200, stored.text
        refused = client.put(too_big["url"], content=b"\0" * (too_big["max_bytes"] + 1), headers=too_big["headers"])
        assert refused.status_code == 413 and refused.json()["code"] == "payload_too_large"
        assert "52428800" in refused.json()["message"]  # the view's limit, not the 2.5 MB of forms
        with t.context():
            obj = services.confirm_upload("voice", "kzone/audio/1/take.wav")
            assert obj.duration_seconds == 200.0 and obj.size == len(data)
            url = services.playback_url("kzone/audio/1/take.wav")
        part = client.get(url, headers={"Range": "bytes=1000000-1000999"})
        assert part.status_code == 206 and part.content == data[1_000_000:1_001_000]
        whole = client.get(url)
        assert whole.status_code == 200 and whole.content == data
    with t.context():
        assert list(MediaObject.objects.filter(status="ready").values_list("key", flat=True)) == [
            "kzone/audio/1/take.wav"
        ]
    assert sorted(os.listdir(f"{root}/_incoming")) == []  # the refused PUT left nothing
