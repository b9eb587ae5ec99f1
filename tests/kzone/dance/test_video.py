"""frames_from_video on videos PyAV encodes here (no pose server needed)."""

from __future__ import annotations

import io

import av
import numpy as np
import pytest
from PIL import Image

from apps.kzone.dance import DanceInputError, frames_from_video
from apps.kzone.dance.video import _sample

from .video_fixture import encode


def plain_frames(count: int, size=(320, 240)) -> list[Image.Image]:
    # A bar that moves one step a frame, so each decoded frame can be told apart.
    frames = []
    for index in range(count):
        image = Image.new("RGB", size, (40, 40, 40))
        image.paste((250, 250, 250), (index * 4 % size[0], 0, index * 4 % size[0] + 4, size[1]))
        frames.append(image)
    return frames


def bar_position(jpeg: bytes) -> int:
    column = np.asarray(Image.open(io.BytesIO(jpeg)).convert("L"), dtype=float).mean(axis=0)
    return int(np.argmax(column))


def test_a_25_fps_video_is_sampled_at_10_fps_with_its_real_timestamps(tmp_path):
    video = encode(plain_frames(50), fps=25)  # 2 s
    frames = frames_from_video(video, fps=10)
    assert len(frames) == 20
    for k, frame in enumerate(frames):
        # The first source frame at or after k/10 s: source frames are 0.04 s apart.
        assert k / 10 <= frame.timestamp + 1e-6 < k / 10 + 0.04
        source_index = round(frame.timestamp * 25)
        assert abs(bar_position(frame.jpeg) - source_index * 4) <= 2  # and it is that frame
    assert (frames[0].width, frames[0].height) == (320, 240)
    path = tmp_path / "take.mp4"
    path.write_bytes(video)
    assert [f.timestamp for f in frames_from_video(path, fps=10)] == [f.timestamp for f in frames]
    assert [f.timestamp for f in frames_from_video(str(path), fps=5)] == [k / 5 for k in range(10)]
    with open(path, "rb") as file:  # a file object, as a storage backend opens one
        assert [f.jpeg for f in frames_from_video(file, fps=10)] == [f.jpeg for f in frames]


def test_a_video_slower_than_the_rate_gives_each_frame_once():
    frames = frames_from_video(encode(plain_frames(8), fps=4), fps=10)
    assert [f.timestamp for f in frames] == [k / 4 for k in range(8)]


def test_frames_are_scaled_down_to_the_longest_side_keeping_the_aspect():
    frames = frames_from_video(encode(plain_frames(3, size=(640, 360))), max_side=320)
    assert {(f.width, f.height) for f in frames} == {(320, 180)}
    image = Image.open(io.BytesIO(frames[0].jpeg))
    assert image.format == "JPEG" and image.size == (320, 180)


def test_a_video_over_the_frame_limit_is_refused_stating_the_limit():
    video = encode(plain_frames(30), fps=10)  # 3 s
    assert len(frames_from_video(video, fps=10, max_frames=30)) == 30
    with pytest.raises(DanceInputError, match=r"longer than the limit of 20 frames at 10 fps \(2 s\)") as error:
        frames_from_video(video, fps=10, max_frames=20)
    assert error.value.field == "video"


def test_the_containers_rotation_is_applied():
    class Rotated:  # a decoded frame whose display matrix turns it clockwise (a phone held upright)
        rotation = -90

        def to_image(self, width, height):
            image = Image.new("RGB", (width, height), (0, 0, 0))
            image.paste((255, 255, 255), (0, 0, width // 4, height))  # white on the left
            return image

    frame = _sample(Rotated(), 0.0, (200, 100))
    image = Image.open(io.BytesIO(frame.jpeg)).convert("L")
    assert (frame.width, frame.height) == image.size == (100, 200)
    assert image.getpixel((50, 10)) > 200 and image.getpixel((50, 190)) < 50  # the left side is now on top


def empty_container(fmt: str) -> bytes:
    out = io.BytesIO()
    with av.open(out, mode="w", format=fmt) as container:
        stream = container.add_stream("mpeg4", rate=10)
        stream.width, stream.height, stream.pix_fmt = 64, 64, "yuv420p"
        container.start_encoding()  # the header with its stream, and no frame after it
    return out.getvalue()


def audio_only() -> bytes:
    out = io.BytesIO()
    with av.open(out, mode="w", format="wav") as container:
        stream = container.add_stream("pcm_s16le", rate=8000)
        frame = av.AudioFrame.from_ndarray(np.zeros((1, 800), dtype=np.int16), format="s16", layout="mono")
        frame.sample_rate = 8000
        for packet in [*stream.encode(frame), *stream.encode()]:
            container.mux(packet)
    return out.getvalue()


@pytest.mark.parametrize(
    ("video", "words"),
    [
        (b"", "the file is empty"),
        (b"PK\x03\x04 a zip, not a video", "not a video file FFmpeg can read"),
        (Image.new("RGB", (4, 4)).tobytes() * 100, "not a video file"),
        (audio_only(), "the file has no video stream"),
        (empty_container("matroska"), "ends before its first frame"),
        (encode(plain_frames(10))[:3000], "cannot be decoded"),  # cut short inside its index
        ("/nonexistent/take.mp4", "No such file"),
    ],
    ids=["empty", "zip", "raw-pixels", "audio-only", "zero-frames", "truncated", "missing-path"],
)
def test_bad_videos_are_refused_with_a_clear_message(video, words):
    with pytest.raises(DanceInputError, match=words) as error:
        frames_from_video(video)
    assert error.value.field == "video"


@pytest.mark.parametrize("fps", [0, -1, 31])
def test_a_sampling_rate_out_of_range_is_refused(fps):
    with pytest.raises(DanceInputError, match="frames a second") as error:
        frames_from_video(encode(plain_frames(2)), fps=fps)
    assert error.value.field == "fps"
