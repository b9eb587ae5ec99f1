#!/usr/bin/env python3
"""K-Zone tutors end to end: a take handed in → its analysis chain on real Celery workers →
the result stored.

1. CPU defaults (no server registered; the local MediaPipe pose server as the pose default,
   Whisper tiny.en for speech, rule-based feedback), one take at a time, a solo worker on
   gpu.stt, gpu.llm and gpu.pose:
   - STT real-time factor: the STT job's run time / the audio's length (a 30-second espeak-ng
     recording of English text);
   - pose frames per second: frames / the pose jobs' run time (a 30-second 400x300 video of
     the astronaut photo swaying, sampled at 10 fps = 300 frames, in jobs of 30);
   - end-to-end seconds for a 30-second voice take and a 30-second dance take: from the
     hand-in (apps.media's checks included) to the result stored. The choreography's
     reference (30 s too) is analysed once beforehand, as seed_demo and the admin do.
2. The sandbox fleet (one sandbox server on loopback registered for stt, llm and pose; it
   answers at once, or after --latency-ms), 10 learners handing in a 30-second voice take at
   the same moment, then 10 a 30-second dance take: each take's end-to-end seconds and the
   wall time for all ten, on one worker with 10 threads. The tenant's AI-job cap
   (INFERENCE_TENANT_CONCURRENCY, 4 by default) applies: ten learners of one zone share it.

    python3 dev.py bench kzone [--latency-ms 0] [--learners 10] [--seconds 30]
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import statistics
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))
from _django import setup  # noqa: E402
from _net import free_port, wait_port  # noqa: E402

os.environ.setdefault("LOG_LEVEL", "WARNING")
# Ten learners polling here and a worker with ten threads: each process's pool must hold
# them all (DB_POOL_MAX_SIZE defaults to 8; README "Database connections").
os.environ.setdefault("DB_POOL_MAX_SIZE", "24")
setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django_tenants.utils import schema_context  # noqa: E402

from apps.accounts import services as accounts  # noqa: E402
from apps.inference import fleet  # noqa: E402
from apps.inference.jobs.models import InferenceJob  # noqa: E402
from apps.inference.models import ModelServer  # noqa: E402
from apps.kzone import demo_video, services  # noqa: E402
from apps.kzone.models import Choreography, Take  # noqa: E402
from apps.tenancy import services as tenancy  # noqa: E402

CELERY = [sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", "gpu.stt,gpu.llm,gpu.pose"]
QUIET = ["--without-mingle", "--without-gossip", "-l", "warning"]
TEXT = (
    "Good morning everyone, thank you for coming today. We shine brighter when we dance together. "
    "Every morning I practise my lines and every evening I sing with my friends. "
    "Nice to meet you, my name is Mina and I love the music of this city. "
)


def espeak(text: str) -> bytes:
    return subprocess.run(
        ["espeak-ng", "-v", "en-us", "-s", "150", "--stdout", text],
        capture_output=True,
        check=True,
    ).stdout


def voice_audio(seconds: float) -> tuple[str, bytes, float]:
    """English text spoken by espeak-ng, repeated until it lasts `seconds`."""
    import wave

    text = TEXT
    while True:
        wav = espeak(text)
        with wave.open(io.BytesIO(wav)) as w:
            # espeak-ng streams its WAV: the header's length is a placeholder; the data is not
            duration = (len(wav) - 44) / (w.getframerate() * w.getsampwidth() * w.getnchannels())
        if duration >= seconds:
            return text, wav, duration
        text += TEXT


def learner(name: str):
    user = get_user_model().objects.create_user(username=name, password=uuid.uuid4().hex)
    accounts.grant_role(user, "student")
    return user


def hand_in(schema: str, kind: str, content, user, body: bytes) -> float:
    """Seconds from the hand-in to the result stored (a thread per learner)."""
    with schema_context(schema):
        started = time.perf_counter()
        take = services.start_take(kind, content, actor=user, upload=io.BytesIO(body), language="en")
        while True:
            take.refresh_from_db()
            if take.finished:
                break
            time.sleep(0.02)
        elapsed = time.perf_counter() - started
        if take.status != Take.Status.SUCCEEDED:
            raise RuntimeError(f"take {take.pk} {take.status}: {take.error}")
        connection.close()
        return elapsed


def at_once(schema: str, kind: str, content, users, body: bytes) -> tuple[list[float], float]:
    results: list[float] = []
    errors: list[Exception] = []

    def run(user):
        try:
            results.append(hand_in(schema, kind, content, user, body))
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(user,)) for user in users]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    if errors:
        raise errors[0]
    return results, wall


def worker(args: list[str], env: dict) -> subprocess.Popen:
    return subprocess.Popen(
        [*CELERY, *args, *QUIET], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()


def reference(schema: str, video: bytes):
    with schema_context(schema):
        choreo = services.save_choreography(actor=None, title=f"bench {uuid.uuid4().hex[:4]}", bpm=60)
        choreo = services.attach_reference(choreo, io.BytesIO(video), actor=None)  # analysed on gpu.pose
        deadline = time.monotonic() + 600
        while choreo.pose_status != Choreography.PoseStatus.READY:
            if choreo.pose_status == Choreography.PoseStatus.FAILED or time.monotonic() > deadline:
                raise RuntimeError(f"reference analysis: {choreo.pose_status} {choreo.pose_error}")
            time.sleep(0.1)
            choreo.refresh_from_db()
        return choreo


def stats(values: list[float]) -> str:
    values = sorted(values)
    return f"median {statistics.median(values):.2f} s, max {values[-1]:.2f} s"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--learners", type=int, default=10)
    parser.add_argument("--latency-ms", type=int, default=0)
    args = parser.parse_args()
    if shutil.which("espeak-ng") is None or not demo_video.available():
        print("needs espeak-ng (Debian) and .venv-pose (dev.py builds it)")
        return 1
    call_command("migrate_schemas", verbosity=0)
    assert not ModelServer.objects.filter(enabled=True).exists(), "the CPU part needs no model server registered"
    run = uuid.uuid4().hex[:6]
    tenant = tenancy.provision_tenant(
        name="bench kzone", tenant_type="zone", domain=f"k{run}.bench.test", schema_name=f"bench_k_{run}"
    )
    schema = tenant.schema_name
    processes: list[subprocess.Popen] = []
    servers: list[ModelServer] = []
    try:
        text, wav, audio_seconds = voice_audio(args.seconds)
        video = demo_video.video(seconds=args.seconds, fps=10)
        reference_video = demo_video.video(seconds=args.seconds, fps=10, phase=0.15)
        with schema_context(schema):
            line = services.save_voice_line(actor=None, title="bench", kind="phrase", text=text, language="en")
            users = [learner(f"learner{i}") for i in range(max(args.learners, 1))]

        # ------------------------------------------------------------ 1. CPU defaults
        pose_port = free_port()
        processes.append(
            subprocess.Popen(
                [str(demo_video.POSE_PYTHON), "-m", "apps.inference.pose_server", "--port", str(pose_port)],
                cwd=ROOT,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        wait_port(pose_port)
        env = {**os.environ, "INFERENCE_POSE_CPU_URL": f"http://127.0.0.1:{pose_port}", "LOG_LEVEL": "WARNING"}
        cpu_worker = worker(["-P", "solo", "-n", f"benchk-cpu-{run}@%h"], env)
        processes.append(cpu_worker)
        warm_wav = espeak("Good morning everyone.")
        with schema_context(schema):
            warm = services.save_voice_line(actor=None, title="warm", kind="phrase", text="Good morning everyone.")
        hand_in(schema, Take.Kind.VOICE, warm, users[0], warm_wav)  # the worker up, Whisper loaded
        t0 = time.perf_counter()
        choreo = reference(schema, reference_video)
        reference_seconds = time.perf_counter() - t0

        voice_e2e = hand_in(schema, Take.Kind.VOICE, line, users[0], wav)
        dance_e2e = hand_in(schema, Take.Kind.DANCE, choreo, users[0], video)
        with schema_context(schema):
            voice_take = Take.objects.filter(kind="voice", voice_line=line).latest("pk")
            dance_take = Take.objects.filter(kind="dance").latest("pk")
            stt_job = InferenceJob.objects.get(pk=voice_take.jobs["stt"])
            pose_jobs = list(InferenceJob.objects.filter(pk__in=dance_take.jobs["pose"]))
        rtf = (stt_job.run_ms / 1000) / stt_job.audio_seconds
        pose_frames = sum(job.frames for job in pose_jobs)
        pose_seconds = sum(job.run_ms for job in pose_jobs) / 1000
        stop(cpu_worker)

        # ------------------------------------------------------------ 2. sandbox fleet, N learners at once
        sandbox_port = free_port()
        processes.append(
            subprocess.Popen(
                [sys.executable, "-m", "apps.inference.sandbox", "--port", str(sandbox_port), "--name", "bench"],
                cwd=ROOT,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        wait_port(sandbox_port)
        import httpx

        httpx.post(
            f"http://127.0.0.1:{sandbox_port}/_control",
            json={"transcript": text, "latency_ms": args.latency_ms, "reply": "Practise the vowels; keep the pace."},
            timeout=5,
        ).raise_for_status()
        for kind in ("stt", "llm", "pose"):
            servers.append(
                ModelServer.objects.create(
                    name=f"bench-{kind}-{run}",
                    kind=kind,
                    base_url=f"http://127.0.0.1:{sandbox_port}",
                    model="sandbox-model",
                    max_concurrency=16,
                )
            )
        fleet.probe_all([s.name for s in servers])
        fleet_worker = worker(["-P", "threads", "-c", str(args.learners), "-n", f"benchk-fleet-{run}@%h"], env)
        processes.append(fleet_worker)
        hand_in(schema, Take.Kind.VOICE, warm, users[0], warm_wav)  # warm up
        voice_many, voice_wall = at_once(schema, Take.Kind.VOICE, line, users[: args.learners], wav)
        dance_many, dance_wall = at_once(schema, Take.Kind.DANCE, choreo, users[: args.learners], video)
        with schema_context(schema):
            last = Take.objects.filter(kind="dance").latest("pk")
            assert last.result["dance"]["backend"].startswith("server:"), last.result["dance"]["backend"]
            voice_last = Take.objects.filter(kind="voice", voice_line=line).latest("pk")
            assert voice_last.result["feedback"]["source"] == "llm"
        connection.set_schema_to_public()

        cap = os.environ.get("INFERENCE_TENANT_CONCURRENCY", "4")
        print(f"\nK-Zone bench (zone tenant {schema}; 2 CPU cores shared with other sessions)")
        print("\n1. CPU defaults, one take at a time (solo worker on gpu.stt, gpu.llm, gpu.pose)")
        print(
            f"   STT (Whisper tiny.en, faster-whisper int8, word timestamps): {audio_seconds:.1f} s of audio in "
            f"{stt_job.run_ms / 1000:.2f} s = real-time factor {rtf:.3f}"
        )
        print(
            f"   pose (MediaPipe Pose, complexity 1, local pose server): {pose_frames} frames in {pose_seconds:.1f} s"
            f" = {pose_frames / pose_seconds:.1f} frames/s"
        )
        print(f"   reference choreography ({args.seconds:.0f} s) analysed once: {reference_seconds:.1f} s")
        print(f"   voice take of {audio_seconds:.0f} s, hand-in → result stored: {voice_e2e:.2f} s")
        print(
            f"   dance take of {args.seconds:.0f} s (300 frames at 10 fps), hand-in → result stored: {dance_e2e:.2f} s"
        )
        print(
            f"\n2. Sandbox fleet (stt, llm, pose on one sandbox server, latency {args.latency_ms} ms), "
            f"{args.learners} learners at once, one worker with {args.learners} threads, tenant AI-job cap {cap}"
        )
        print(f"   voice takes: {stats(voice_many)}; all {args.learners} done in {voice_wall:.2f} s")
        print(f"   dance takes: {stats(dance_many)}; all {args.learners} done in {dance_wall:.2f} s")
    finally:
        for server in servers:
            server.delete()
        for process in processes:
            stop(process)
        connection.set_schema_to_public()
        tenancy.drop_tenant(tenant)
    return 0


if __name__ == "__main__":
    sys.exit(main())
