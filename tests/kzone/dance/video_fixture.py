"""Test videos made from a photo of a person: scikit-image's astronaut (in .venv-pose, the
pose server's environment, the same photo tests/inference/test_pose.py sends), moved, scaled
and rotated frame by frame, encoded with PyAV."""

from __future__ import annotations

import io
import math
import subprocess
from fractions import Fraction
from pathlib import Path

import av
from PIL import Image, ImageOps

ROOT = Path(__file__).resolve().parents[3]
POSE_PYTHON = ROOT / ".venv-pose" / "bin" / "python"
CANVAS = (400, 300)
BACKGROUND = (90, 110, 90)
PHOTO_CODE = (
    "import importlib.util, os, sys; p = importlib.util.find_spec('skimage').submodule_search_locations[0]; "
    "sys.stdout.buffer.write(open(os.path.join(p, 'data', 'astronaut.png'), 'rb').read())"
)


def astronaut() -> Image.Image:
    png = subprocess.run([str(POSE_PYTHON), "-c", PHOTO_CODE], capture_output=True, check=True).stdout
    return Image.open(io.BytesIO(png)).convert("RGB")


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
    out = io.BytesIO()
    with av.open(out, mode="w", format=container) as video:
        stream = video.add_stream(codec, rate=fps)
        stream.width, stream.height = frames[0].size
        stream.pix_fmt = "yuv420p"
        stream.time_base = Fraction(1, fps)
        stream.bit_rate = 2_000_000
        for index, image in enumerate(frames):
            frame = av.VideoFrame.from_image(image)
            frame.pts = index
            for packet in stream.encode(frame):
                video.mux(packet)
        for packet in stream.encode():
            video.mux(packet)
    return out.getvalue()


def mirrored(frames: list[Image.Image]) -> list[Image.Image]:
    return [ImageOps.mirror(frame) for frame in frames]
