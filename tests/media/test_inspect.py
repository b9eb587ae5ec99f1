"""What a file is, by its bytes and the libavformat probe: real media passes with its
measured duration; lies, bombs and the wrong kind are refused with a reason."""

from __future__ import annotations

import pytest

from apps.media import inspect

from . import samples


def check(kind: str, data: bytes, key: str, content_type: str | None, tmp_path) -> inspect.Report:
    path = tmp_path / "upload"
    path.write_bytes(data)
    return inspect.inspect_file(kind, str(path), size=len(data), key=key, content_type=content_type)


@pytest.mark.parametrize(
    ("kind", "make", "key", "content_type", "stored_as", "seconds"),
    [
        ("voice", lambda: samples.audio(2.0), "take.webm", "audio/webm;codecs=opus", "audio/webm", 2.0),
        ("voice", lambda: samples.audio(3.0, container="ogg"), "take.ogg", "audio/ogg", "audio/ogg", 3.0),
        ("voice", lambda: samples.audio(1.0, container="wav", codec="pcm_s16le"), "take", None, "audio/wav", 1.0),
        ("video", lambda: samples.video(2.0), "dance.webm", "video/webm", "video/webm", 2.0),
        ("video", lambda: samples.video(1.0, container="mp4", codec="libx264"), "d.mp4", "video/mp4", "video/mp4", 1.0),
        ("image", lambda: samples.png(64, 32), "frame.png", "image/png", "image/png", None),
        ("json", lambda: samples.json_data(), "keypoints.json", "application/json", "application/json", None),
    ],
)
def test_real_media_passes_with_its_measured_duration(kind, make, key, content_type, stored_as, seconds, tmp_path):
    report = check(kind, make(), key, content_type, tmp_path)
    assert report.content_type == stored_as
    if seconds is None:
        assert report.duration_seconds is None
    else:
        assert report.duration_seconds == pytest.approx(seconds, abs=0.1)
        assert report.streams and report.prober in ("pyav", "ffprobe")


@pytest.mark.parametrize(
    ("kind", "make", "key", "content_type", "reason"),
    [
        # lying extension and lying Content-Type
        ("voice", lambda: samples.audio(), "take.mp4", None, "named .mp4 but its bytes are WEBM"),
        ("voice", lambda: samples.audio(), "take.webm", "audio/mpeg", "declared as audio/mpeg but its bytes are WEBM"),
        ("voice", lambda: samples.png(), "take.webm", "audio/webm", "PNG data; voice uploads must be"),
        ("image", lambda: samples.audio(), "photo.png", "image/png", "WEBM data; image uploads must be"),
        # compressed bombs dressed as media
        ("voice", samples.gzip_bomb, "take.webm", "audio/webm", "gzip-compressed data"),
        ("video", samples.zip_bomb, "dance.webm", "video/webm", "a zip archive"),
        # containers that lie about their size
        ("voice", lambda: samples.webm_claiming(36_000), "take.webm", None, "declares 36000 seconds of media in"),
        ("voice", lambda: samples.webm_claiming(300), "take.webm", None, "declares 300 seconds of media but holds 2.0"),
        ("image", lambda: samples.png_bomb(60_000), "p.png", "image/png", "60000×60000 pixels"),
        ("voice", lambda: samples.audio(1.0, container="matroska", streams=6), "t.mkv", None, "6 streams; at most 4"),
        # the wrong kind of media, and too long
        ("voice", lambda: samples.video(), "take.webm", None, "no audio stream"),
        ("video", lambda: samples.audio(), "dance.webm", None, "no video stream"),
        ("voice", lambda: samples.audio(601, container="ogg"), "t.ogg", None, "at most 600 seconds"),
        ("json", lambda: b"[" * 100 + b"]" * 100, "k.json", None, "nested too deeply"),
        ("json", lambda: b'{"a": ', "k.json", None, "not valid JSON"),
        ("voice", lambda: b"", "take.webm", None, "empty"),
    ],
)
def test_lies_and_bombs_are_refused_with_the_reason(kind, make, key, content_type, reason, tmp_path):
    with pytest.raises(inspect.Refused, match=reason.replace(".", r"\.").replace("(", r"\(")):
        check(kind, make(), key, content_type, tmp_path)


def test_a_truncated_media_file_is_refused(tmp_path):
    data = samples.audio(2.0)
    with pytest.raises(inspect.Refused):
        check("voice", data[:200], "take.webm", None, tmp_path)


def test_the_probe_is_pyav_without_an_ffprobe_binary(settings):
    settings.MEDIA_FFPROBE = "/nonexistent/ffprobe"
    assert inspect.prober() == "pyav"
