"""Real media made with PyAV (libavformat/libavcodec, the same libraries the checks probe
with), and files built to lie about themselves."""

from __future__ import annotations

import gzip
import io
import struct
import zipfile
import zlib
from fractions import Fraction

import numpy as np


def _tone(seconds: float, rate: int = 48_000) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)


def audio(seconds: float = 2.0, container: str = "webm", codec: str = "libopus", streams: int = 1) -> bytes:
    """A sine tone, encoded for real (webm/opus by default, as MediaRecorder records)."""
    import av

    out = io.BytesIO()
    rate = 48_000
    with av.open(out, mode="w", format=container) as c:
        outs = [c.add_stream(codec, rate=rate, layout="mono") for _ in range(streams)]
        samples = _tone(seconds, rate)
        frame_size = 960
        for stream in outs:
            pts = 0
            for start in range(0, len(samples), frame_size):
                chunk = samples[start : start + frame_size]
                if len(chunk) < frame_size:
                    chunk = np.pad(chunk, (0, frame_size - len(chunk)))
                frame = av.AudioFrame.from_ndarray(chunk.reshape(1, -1), format="flt", layout="mono")
                frame.sample_rate = rate
                frame.pts = pts
                frame.time_base = Fraction(1, rate)
                pts += frame_size
                for packet in stream.encode(frame):
                    c.mux(packet)
            for packet in stream.encode(None):
                c.mux(packet)
    return out.getvalue()


def video(
    seconds: float = 1.0, size: tuple[int, int] = (160, 120), container: str = "webm", codec: str = "libvpx"
) -> bytes:
    import av

    out = io.BytesIO()
    fps = 10
    with av.open(out, mode="w", format=container) as c:
        stream = c.add_stream(codec, rate=fps)
        stream.width, stream.height = size
        stream.pix_fmt = "yuv420p"
        for i in range(int(seconds * fps)):
            image = np.zeros((size[1], size[0], 3), dtype=np.uint8)
            image[:, (i * 7) % size[0] :, 1] = 200
            frame = av.VideoFrame.from_ndarray(image, format="rgb24")
            frame.pts = i
            for packet in stream.encode(frame):
                c.mux(packet)
        for packet in stream.encode(None):
            c.mux(packet)
    return out.getvalue()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png(width: int = 32, height: int = 16) -> bytes:
    """A real PNG (grey rows), written by hand so any size can be declared."""
    rows = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
        + _chunk(b"IDAT", zlib.compress(rows))
        + _chunk(b"IEND", b"")
    )


def png_bomb(side: int = 60_000) -> bytes:
    """A PNG declaring side×side pixels (3.6 gigapixels) in a few hundred bytes: its IDAT
    is a short zlib stream of zeros, as decompression bombs are."""
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0))
        + _chunk(b"IDAT", zlib.compress(b"\x00" * 100_000, 9))
        + _chunk(b"IEND", b"")
    )


def wav_claiming(seconds_claimed: float, real_bytes: int = 4000, rate: int = 8000) -> bytes:
    """A WAV whose header declares `seconds_claimed` of 16-bit mono audio and holds
    `real_bytes` of it."""
    data_size = int(seconds_claimed * rate * 2)
    header = b"RIFF" + struct.pack("<I", min(36 + data_size, 0xFFFFFFFF)) + b"WAVE"
    fmt = b"fmt " + struct.pack("<IHHIIHH", 16, 1, 1, rate, rate * 2, 2, 16)
    data = b"data" + struct.pack("<I", min(data_size, 0xFFFFFFFF)) + b"\x00" * real_bytes
    return header + fmt + data


def gzip_bomb(megabytes: int = 64) -> bytes:
    """64 MB of zeros gzipped to ~64 KB: what a "voice" upload could be disguising."""
    return gzip.compress(b"\x00" * (megabytes * 1024 * 1024), 9)


def zip_bomb() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("take.webm", b"\x00" * (32 * 1024 * 1024))
    return out.getvalue()


def json_data(payload=None) -> bytes:
    import json

    return json.dumps(payload if payload is not None else {"frames": [[0.1, 0.2, 0.9]] * 10}).encode()


def webm_claiming(seconds_claimed: float) -> bytes:
    """Two seconds of real webm/opus whose Segment Info declares `seconds_claimed`
    (the Duration element, a float64 of milliseconds at the default timecode scale)."""
    import struct

    data = bytearray(audio(2.0))
    at = data.find(b"\x44\x89\x88")
    assert at > 0, "no 8-byte Duration element"
    data[at + 3 : at + 11] = struct.pack(">d", seconds_claimed * 1000.0)
    return bytes(data)
