"""K-Zone's demo content (manage.py seed_demo calls `seed(tenant)` for every zone; only the
K-Zone tenant, schema `kzone`, gets it): voice lines (English ones that the CPU's English-only
transcriber can hear, and Korean ones), two drama scenes and a choreography whose reference
video is made here from a photo shipped by a package (apps/kzone/demo_video.py). Reference
recordings are spoken by espeak-ng when it is installed. Safe to run again (found by title)."""

from __future__ import annotations

import io
import shutil
import subprocess

from .models import Choreography, DramaScene, VoiceLine

LINES = [
    {
        "title": "Shine together",
        "kind": "lyric",
        "language": "en",
        "text": "We shine brighter when we dance together",
        "translation": "우리가 함께 춤출 때 더 빛나",
    },
    {
        "title": "First meeting",
        "kind": "phrase",
        "language": "en",
        "text": "Nice to meet you, my name is Mina",
        "translation": "만나서 반가워요, 제 이름은 미나예요",
    },
    {
        "title": "반갑습니다",
        "kind": "phrase",
        "language": "ko",
        "text": "만나서 반갑습니다",
        "translation": "Nice to meet you",
    },
    {
        "title": "고백",
        "kind": "drama",
        "language": "ko",
        "text": "오늘은 꼭 말하고 싶었어요",
        "translation": "I really wanted to tell you today",
    },
]
SCENES = [
    {
        "title": "The rooftop promise",
        "language": "en",
        "synopsis": "Two friends meet on a rooftop the night before one of them leaves Seoul.",
        "lines": [
            {
                "character": "Jiwoo",
                "text": "You came. I thought you would not come tonight.",
                "direction": "relieved, soft",
            },
            {
                "character": "Minho",
                "text": "I promised, did I not? I always keep my promises.",
                "direction": "warm, teasing",
            },
            {
                "character": "Jiwoo",
                "text": "Then promise me one more thing. Do not forget this city.",
                "direction": "holding back tears",
            },
            {
                "character": "Minho",
                "text": "I will come back before the cherry blossoms fall.",
                "direction": "firm, hopeful",
            },
        ],
    },
    {
        "title": "카페에서의 재회",
        "language": "ko",
        "synopsis": "오랜만에 카페에서 마주친 두 사람.",
        "lines": [
            {"character": "지우", "text": "민호 씨? 정말 오랜만이에요.", "direction": "놀라며 반갑게"},
            {"character": "민호", "text": "지우 씨, 여기서 만날 줄은 몰랐어요.", "direction": "어색하게 웃으며"},
            {"character": "지우", "text": "그동안 어떻게 지냈어요?", "direction": "조심스럽게"},
            {"character": "민호", "text": "사실 계속 연락하고 싶었어요.", "direction": "진심을 담아"},
        ],
    },
]


def _espeak_wav(text: str, language: str) -> bytes | None:
    if shutil.which("espeak-ng") is None:
        return None
    voice = "ko" if language == "ko" else "en-us"
    done = subprocess.run(["espeak-ng", "-v", voice, "-s", "150", "--stdout", text], capture_output=True, timeout=60)  # noqa: S603, S607 (fixed arguments)
    return done.stdout if done.returncode == 0 and done.stdout else None


def seed(tenant) -> None:
    if tenant.schema_name == "kzone":
        seed_content()


def seed_content() -> None:
    """The demo content in the current schema."""
    from . import services

    for row in LINES:
        line = VoiceLine.objects.filter(title=row["title"]).first() or services.save_voice_line(actor=None, **row)
        if not line.reference_audio:
            wav = _espeak_wav(line.text, line.language)
            if wav:
                services.attach_reference(line, io.BytesIO(wav), actor=None)
    for row in SCENES:
        if not DramaScene.objects.filter(title=row["title"]).exists():
            data = {k: v for k, v in row.items() if k != "lines"}
            services.save_scene(actor=None, lines=row["lines"], **data)
    choreo = Choreography.objects.filter(title="Astronaut sway").first() or services.save_choreography(
        actor=None,
        title="Astronaut sway",
        description="Lean left and right on the beat, one full sway every two beats (a demo video made from "
        "scikit-image's astronaut photo).",
        bpm=60,
    )
    if not choreo.reference_video:
        from . import demo_video

        if demo_video.available():
            services.attach_reference(choreo, io.BytesIO(demo_video.video(seconds=8)), actor=None)
