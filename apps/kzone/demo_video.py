"""A dancing reference video made here, from a photo of a person shipped by a package:
scikit-image's astronaut (installed in .venv-pose, the pose server's environment), swayed,
scaled and moved frame by frame, encoded with PyAV. seed_demo's choreography and
bench/kzone use it; nothing is downloaded."""

from __future__ import annotations

import io
import math
import subprocess
from fractions import Fraction
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
POSE_PYTHON = ROOT / ".venv-pose" / "bin" / "python"
PHOTO_CODE = (
    "import importlib.util, os, sys; p = importlib.util.find_spec('skimage').submodule_search_locations[0]; "
    "sys.stdout.buffer.write(open(os.path.join(p, 'data', 'astronaut.png'), 'rb').read())"
)
CANVAS = (400, 300)
BACKGROUND = (90, 110, 90)


def photo():
    from PIL import Image

    png = subprocess.run([str(POSE_PYTHON), "-c", PHOTO_CODE], capture_output=True, check=True, timeout=60).stdout  # noqa: S603 (our interpreter)
    return Image.open(io.BytesIO(png)).convert("RGB")


def available() -> bool:
    return POSE_PYTHON.exists()


def frames(seconds: float = 6.0, fps: int = 10, *, phase: float = 0.0, amplitude: float = 25.0):
    """A sway: the photo leans left and right (one full sway every 2 s), breathing in size and
    sliding sideways. `phase` shifts the movement (a learner slightly off the beat)."""
    from PIL import Image

    person = photo()
    out = []
    for i in range(int(seconds * fps)):
        t = i / fps + phase
        angle = amplitude * math.sin(2 * math.pi * t / 2.0)
        size = round(person.width * (0.5 + 0.05 * math.sin(2 * math.pi * t / 3.0)))
        dx = 40 * math.sin(2 * math.pi * t / 4.0)
        frame = Image.new("RGB", CANVAS, BACKGROUND)
        body = person.resize((size, size)).rotate(angle, expand=True, fillcolor=BACKGROUND)
        frame.paste(body, (round((CANVAS[0] - body.width) / 2 + dx), round((CANVAS[1] - body.height) / 2)))
        out.append(frame)
    return out


def encode(images, fps: int = 10, *, codec: str = "mpeg4", container: str = "mp4", bit_rate: int = 1_500_000) -> bytes:
    import av

    out = io.BytesIO()
    with av.open(out, mode="w", format=container) as video:
        stream = video.add_stream(codec, rate=fps)
        stream.width, stream.height = images[0].size
        stream.pix_fmt = "yuv420p"
        stream.time_base = Fraction(1, fps)
        stream.bit_rate = bit_rate
        for index, image in enumerate(images):
            frame = av.VideoFrame.from_image(image)
            frame.pts = index
            for packet in stream.encode(frame):
                video.mux(packet)
        for packet in stream.encode():
            video.mux(packet)
    return out.getvalue()


def video(seconds: float = 6.0, fps: int = 10, **kwargs) -> bytes:
    return encode(frames(seconds, fps, **kwargs), fps)
