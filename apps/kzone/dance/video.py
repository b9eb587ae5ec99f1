"""Video → frames: decode with PyAV (FFmpeg), sample at a fixed rate, hand out JPEGs for the
pose server (which takes independent images, pose_protocol.md)."""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from typing import BinaryIO

import av

from .errors import DanceInputError

# 90 s at the default 10 fps. The pose server on the CPU does a few frames a second
# (README, "Dance lab engine"), so this is also a bound on a job's run time.
MAX_FRAMES = 900
# MediaPipe resizes to 256x256 before its models; 640 keeps the overlay images sharp while
# the JPEGs stay small (about 30 KB) on their way to the pose server.
MAX_SIDE = 640
MAX_FPS = 30.0
# Decoding a stream that claims 8K or a thousand frames a second costs CPU before the
# sampler can skip anything: refuse those outright.
MAX_SOURCE_PIXELS = 3840 * 2160
MAX_SOURCE_FPS = 240
JPEG_QUALITY = 85


@dataclass(frozen=True, slots=True)
class Frame:
    """One sampled frame: `timestamp` in seconds from the video's first frame, `jpeg` the
    frame as displayed (the container's rotation applied), scaled to `width` x `height`."""

    timestamp: float
    jpeg: bytes
    width: int
    height: int


def frames_from_video(
    video: str | os.PathLike | bytes | BinaryIO,
    *,
    fps: float = 10,
    max_frames: int = MAX_FRAMES,
    max_side: int = MAX_SIDE,
) -> list[Frame]:
    """Decode `video` (a path, the file's bytes, or a binary file object open for reading,
    e.g. a storage backend's file: it is read as FFmpeg needs it, not all at once) and
    sample it at `fps` frames a second.

    A sample is the first decoded frame at or after each multiple of 1/fps, so timestamps
    are the frames' real presentation times and a video slower than `fps` gives each of its
    frames once (never duplicates). Raises DanceInputError naming `video` for anything that
    is not a decodable video stream, has no frame, or would give more than `max_frames`
    samples (the message states the limit); `fps` for a rate outside (0, 30].
    """
    if not 0 < fps <= MAX_FPS:
        raise DanceInputError("fps", f"must be above 0 and at most {MAX_FPS:g} frames a second, got {fps!r}")
    if max_frames < 1:
        raise DanceInputError("max_frames", "must be at least 1")
    if isinstance(video, bytes | bytearray | memoryview):
        if not len(video):
            raise DanceInputError("video", "the file is empty")
        source: str | BinaryIO = io.BytesIO(bytes(video))
    elif hasattr(video, "read"):
        source = video
    else:
        source = os.fspath(video)
    try:
        container = av.open(source, mode="r")
    except av.error.EOFError as exc:
        raise DanceInputError("video", "the file ends before its first frame (no frames, or cut short)") from exc
    except (av.error.FFmpegError, OSError, UnicodeDecodeError) as exc:
        raise DanceInputError("video", f"not a video file FFmpeg can read ({_reason(exc)})") from exc
    with container:
        if not container.streams.video:
            raise DanceInputError("video", "the file has no video stream")
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        limit_seconds = max_frames / fps
        max_decoded = int(limit_seconds * MAX_SOURCE_FPS) + 1
        frames: list[Frame] = []
        start: float | None = None
        next_sample = 0.0
        size: tuple[int, int] | None = None
        decoded = 0
        try:
            for frame in container.decode(stream):
                decoded += 1
                if decoded > max_decoded:
                    raise DanceInputError(
                        "video", f"more than {max_decoded} frames to decode for {limit_seconds:g} s (over 240 fps)"
                    )
                if frame.width * frame.height > MAX_SOURCE_PIXELS:
                    raise DanceInputError(
                        "video", f"{frame.width}x{frame.height} is larger than the limit of 3840x2160 pixels"
                    )
                when = frame.time
                if when is None:  # no timestamps in the stream: count frames at its nominal rate
                    when = (decoded - 1) / float(stream.average_rate or fps)
                if start is None:
                    start = when
                t = when - start
                if t + 1e-6 < next_sample:
                    continue
                if len(frames) >= max_frames:
                    raise DanceInputError(
                        "video",
                        f"longer than the limit of {max_frames} frames at {fps:g} fps ({limit_seconds:g} s)",
                    )
                if size is None:
                    size = _scaled(frame.width, frame.height, max_side)
                frames.append(_sample(frame, t, size))
                # Skip sample times a gap in the stream jumped over.
                while next_sample <= t + 1e-6:
                    next_sample += 1 / fps
        except av.error.FFmpegError as exc:
            raise DanceInputError("video", f"the stream cannot be decoded ({_reason(exc)})") from exc
    if not frames:
        raise DanceInputError("video", "the video stream has no frames")
    return frames


def _scaled(width: int, height: int, max_side: int) -> tuple[int, int]:
    ratio = min(1.0, max_side / max(width, height))
    return max(1, round(width * ratio)), max(1, round(height * ratio))


def _sample(frame: av.VideoFrame, t: float, size: tuple[int, int]) -> Frame:
    image = frame.to_image(width=size[0], height=size[1])
    rotation = getattr(frame, "rotation", 0) or 0
    if rotation % 360:
        # The display matrix's angle is counter-clockwise, like PIL's; phones store portrait
        # video as landscape plus this matrix.
        image = image.rotate(rotation, expand=True)
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=JPEG_QUALITY)
    return Frame(timestamp=round(t, 4), jpeg=out.getvalue(), width=image.width, height=image.height)


def _reason(exc: BaseException) -> str:
    text = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    # FFmpeg errors quote the file name; a path from storage says nothing useful to a learner.
    return text.split(": '")[0].strip()
