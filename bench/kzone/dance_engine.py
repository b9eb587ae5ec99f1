#!/usr/bin/env python3
"""K-Zone dance lab engine (apps/kzone/dance) on the CPU: decode, pose, alignment.

A 30-second take is made the way the tests make theirs: scikit-image's astronaut photo
(from .venv-pose) moved, scaled and rotated frame by frame, at 640x480 and 30 fps,
encoded with PyAV (mpeg4). Then:

1. Decode: frames_from_video samples it at 10 fps (300 JPEGs): seconds, source frames
   decoded per second and sampled frames per second (JPEG encoding included).
2. Pose: the sampled frames through the real pose server (MediaPipe Pose, model complexity
   1, .venv-pose, on the CPU) in requests of 10 frames, as a pose job sends them: frames
   per second, and how many had a person.
3. Alignment: compare() of 30 s at 10 fps against 30 s (300 x 300 frames, the take the
   reversal of the reference so the warping has work to do), with the default band (a
   fifth of the length either side of the diagonal) and without a band; and the DTW alone.
   Median of --repeat runs, milliseconds.

    python3 dev.py bench kzone/dance_engine.py [--seconds 30] [--pose-frames 300] [--repeat 5]

No database or Django: the engine is plain Python (numpy, PyAV, Pillow).
"""

import argparse
import base64
import math
import statistics
import subprocess
import sys
import time
from fractions import Fraction
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import av  # noqa: E402
import httpx  # noqa: E402
from _net import free_port, wait_port  # noqa: E402
from PIL import Image  # noqa: E402

from apps.kzone.dance import PoseTrack, compare, frames_from_video, joint_angles  # noqa: E402
from apps.kzone.dance.compare import _error  # noqa: E402
from apps.kzone.dance.dtw import dtw  # noqa: E402

POSE_PYTHON = ROOT / ".venv-pose" / "bin" / "python"
PHOTO = (
    "import importlib.util, os, sys; p = importlib.util.find_spec('skimage').submodule_search_locations[0]; "
    "sys.stdout.buffer.write(open(os.path.join(p, 'data', 'astronaut.png'), 'rb').read())"
)
SIZE = (640, 480)
SOURCE_FPS = 30
BATCH = 10


def make_video(seconds: float) -> bytes:
    import io

    png = subprocess.run([str(POSE_PYTHON), "-c", PHOTO], capture_output=True, check=True).stdout
    photo = Image.open(io.BytesIO(png)).convert("RGB")
    count = round(seconds * SOURCE_FPS)
    out = io.BytesIO()
    with av.open(out, mode="w", format="mp4") as container:
        stream = container.add_stream("mpeg4", rate=SOURCE_FPS)
        stream.width, stream.height = SIZE
        stream.pix_fmt = "yuv420p"
        stream.time_base = Fraction(1, SOURCE_FPS)
        stream.bit_rate = 3_000_000
        for index in range(count):
            t = index / SOURCE_FPS
            # Sway ±25° every 4 s, step side to side, come nearer and back.
            angle = 25 * math.sin(2 * math.pi * t / 4)
            size = round(photo.width * (0.6 + 0.1 * math.sin(2 * math.pi * t / 7)))
            person = photo.resize((size, size)).rotate(angle, expand=True, fillcolor=(90, 110, 90))
            frame = Image.new("RGB", SIZE, (90, 110, 90))
            dx = 80 * math.sin(2 * math.pi * t / 5)
            frame.paste(person, (round((SIZE[0] - person.width) / 2 + dx), round((SIZE[1] - person.height) / 2)))
            video_frame = av.VideoFrame.from_image(frame)
            video_frame.pts = index
            for packet in stream.encode(video_frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return out.getvalue()


def median_ms(function, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--pose-frames", type=int, default=300, help="how many sampled frames to send (all: 300)")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    if not POSE_PYTHON.exists():
        sys.exit(".venv-pose is missing (dev.py test or up builds it): no photo and no pose server")

    size = f"{SIZE[0]}x{SIZE[1]} at {SOURCE_FPS} fps"
    print(f"\nDance lab engine bench ({args.seconds:g} s take, {size}; 2 CPU cores shared)")
    started = time.perf_counter()
    video = make_video(args.seconds)
    print(f"   made the video in {time.perf_counter() - started:.1f} s: {len(video) / 1e6:.1f} MB mpeg4")

    print("\n1. Decode and sample at 10 fps (frames_from_video, PyAV)")
    decode = []
    for _ in range(max(1, args.repeat // 2)):
        started = time.perf_counter()
        frames = frames_from_video(video, fps=10)
        decode.append(time.perf_counter() - started)
    seconds = statistics.median(decode)
    source = round(args.seconds * SOURCE_FPS)
    print(
        f"   {len(frames)} frames of {source} in {seconds:.2f} s: {source / seconds:.0f} source frames decoded/s, "
        f"{len(frames) / seconds:.0f} sampled JPEGs/s ({statistics.mean(len(f.jpeg) for f in frames) / 1e3:.0f} KB"
        " each)"
    )

    print(f"\n2. Pose on the CPU (MediaPipe pose server, requests of {BATCH} frames)")
    port = free_port()
    server = subprocess.Popen(
        [str(POSE_PYTHON), "-m", "apps.inference.pose_server", "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_port(port)
        url = f"http://127.0.0.1:{port}/v1/pose"
        encoded = [base64.b64encode(f.jpeg).decode() for f in frames]
        httpx.post(url, json={"frames": encoded[:1]}, timeout=120).raise_for_status()  # load the model
        sent = encoded[: args.pose_frames]
        results = []
        started = time.perf_counter()
        for offset in range(0, len(sent), BATCH):
            answer = httpx.post(url, json={"frames": sent[offset : offset + BATCH]}, timeout=300).json()
            results += [{**f, "index": f["index"] + offset} for f in answer["frames"]]
        elapsed = time.perf_counter() - started
    finally:
        server.terminate()
        server.wait(20)
    found = sum(1 for f in results if f["keypoints"])
    rate = len(sent) / elapsed
    print(f"   {len(sent)} frames in {elapsed:.1f} s: {rate:.1f} frames/s, a person in {found}/{len(sent)}")
    print(f"   so a {args.seconds:g} s take at 10 fps needs {len(frames) / (len(sent) / elapsed):.0f} s of pose")

    print("\n3. Alignment and scoring, 10 fps")
    if len(results) < len(frames):  # fewer frames posed: repeat their poses to the full length
        results = [{**results[i % len(results)], "index": i} for i in range(len(frames))]
    reference = PoseTrack.from_pose_frames(frames, results, model=answer["model"])
    take = PoseTrack(reference.timestamps, reference.keypoints[::-1], reference.width, reference.height)
    n = len(frames)
    banded = median_ms(lambda: compare(reference, take), args.repeat)
    full = median_ms(lambda: compare(reference, take, band=1.0), args.repeat)
    a, b = joint_angles(reference), joint_angles(take)

    def cost(i, lo, hi):
        return _error(a.degrees[i], b.degrees[lo:hi]).mean(axis=1)

    dtw_banded = median_ms(lambda: dtw(n, n, cost, band=0.2), args.repeat)
    dtw_full = median_ms(lambda: dtw(n, n, cost, band=1.0), args.repeat)
    angles = median_ms(lambda: joint_angles(reference), args.repeat)
    print(f"   {n} x {n} frames ({n / 10:g} s vs {n / 10:g} s), median of {args.repeat}:")
    print(f"   compare(), band 0.2: {banded:.0f} ms   without a band: {full:.0f} ms")
    print(f"   the DTW alone, band 0.2: {dtw_banded:.0f} ms   without a band: {dtw_full:.0f} ms")
    print(f"   joint angles of one {n}-frame track: {angles:.0f} ms")
    total = seconds + len(frames) / (len(sent) / elapsed) + banded / 1000
    print(f"\n   engine total for a {args.seconds:g} s take (decode + pose + compare): {total:.0f} s")


if __name__ == "__main__":
    main()
