"""Test videos made from a photo of a person: scikit-image's astronaut (in .venv-pose, the
pose server's environment, the same photo tests/inference/test_pose.py sends), moved, scaled
and rotated frame by frame, encoded with PyAV."""

from __future__ import annotations

import math

from PIL import Image, ImageOps

from apps.kzone import demo_video
from apps.kzone.demo_video import BACKGROUND, CANVAS, POSE_PYTHON  # noqa: F401 (the tests import it from here)


def astronaut() -> Image.Image:
    return demo_video.photo()


def dance_frames(
    photo: Image.Image,
    count: int,
    *,
    degrees: tuple[float, float] = (-30.0, 30.0),
    scale: tuple[float, float] = (0.45, 0.6),
    shift: tuple[float, float] = (-50.0, 50.0),
    canvas: tuple[int, int] = CANVAS,
    absent: range | None = None,
) -> list[Image.Image]:
    """`count` frames of the photo leaning from degrees[0] to degrees[1] (the one movement the
    joint angles see), growing from scale[0] to scale[1] times and sliding sideways from
    shift[0] to shift[1] pixels (what the normalisation must ignore). Frames in `absent`
    show only the background (the dancer left the picture)."""
    out = []
    for index in range(count):
        progress = index / max(1, count - 1)
        # An ease-in curve, so the movement is not the same played backwards.
        eased = progress**1.6
        angle = degrees[0] + (degrees[1] - degrees[0]) * eased
        size = round(photo.width * (scale[0] + (scale[1] - scale[0]) * progress))
        dx = shift[0] + (shift[1] - shift[0]) * math.sin(progress * math.pi / 2)
        frame = Image.new("RGB", canvas, BACKGROUND)
        if absent is None or index not in absent:
            person = photo.resize((size, size)).rotate(angle, expand=True, fillcolor=BACKGROUND)
            x = round((canvas[0] - person.width) / 2 + dx)
            y = round((canvas[1] - person.height) / 2)
            frame.paste(person, (x, y))
        out.append(frame)
    return out


def encode(frames: list[Image.Image], *, fps: int = 10, codec: str = "mpeg4", container: str = "mp4") -> bytes:
    return demo_video.encode(frames, fps, codec=codec, container=container, bit_rate=2_000_000)


def mirrored(frames: list[Image.Image]) -> list[Image.Image]:
    return [ImageOps.mirror(frame) for frame in frames]
