"""The CPU defaults load their models from their PyPI packages with the network blocked
(a process in a network namespace of its own, where only a downed loopback exists; and
sockets refused inside it besides), and give real outputs."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

GUARD = """
import socket
def _refuse(*args, **kwargs):
    raise OSError("network blocked by the test")
socket.socket.connect = _refuse
socket.socket.connect_ex = _refuse
socket.create_connection = _refuse
socket.getaddrinfo = _refuse
"""


def offline(script: str, timeout: float = 240, python: str = sys.executable) -> dict:
    """Run `script` (it prints one JSON line last) with no network; return that JSON."""
    command = [python, "-c", GUARD + textwrap.dedent(script)]
    if shutil.which("unshare") and subprocess.run(["unshare", "-n", "true"], capture_output=True).returncode == 0:
        command = ["unshare", "-n", *command]
    env = {"PATH": "/usr/bin:/bin", "HOME": "/nonexistent", "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "2"}
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_guard_really_blocks_the_network():
    out = offline(
        """
        import json, urllib.request
        try:
            urllib.request.urlopen("https://pypi.org/simple/", timeout=3)
            print(json.dumps({"reached": True}))
        except Exception as exc:
            print(json.dumps({"reached": False, "error": type(exc).__name__}))
        """
    )
    assert out["reached"] is False


def test_korean_embeddings_rank_a_paraphrase_above_an_unrelated_sentence():
    out = offline(
        """
        import json
        from apps.inference.backends import embeddings
        result = embeddings.run(
            {"texts": ["오늘은 날씨가 맑고 화창하네요", "주식 시장이 어제 크게 폭락했다"]}, {"mode": "passage"}
        )
        query = embeddings.run({"texts": ["오늘 날씨가 정말 좋아요"]}, {"mode": "query"})["vectors"][0]
        scores = [sum(a * b for a, b in zip(query, v)) for v in result["vectors"]]
        print(json.dumps({"dim": result["dim"], "scores": scores}))
        """
    )
    assert out["dim"] == 384
    paraphrase, unrelated = out["scores"]
    assert paraphrase > unrelated + 0.05, out


@pytest.mark.skipif(
    not shutil.which("espeak-ng") and not os.environ.get("CI"), reason="needs Debian's espeak-ng (.ci/run installs it)"
)
def test_speech_generated_by_espeak_comes_back_with_its_words(tmp_path):
    clip = tmp_path / "clip.wav"
    sentence = "The quick brown fox jumps over the lazy dog"
    subprocess.run(["espeak-ng", "-v", "en-us", "-s", "140", "-w", str(clip), sentence], check=True)
    out = offline(
        f"""
        import json
        from apps.inference.backends import speech
        print(json.dumps(speech.run({{}}, {{}}, audio=open({str(clip)!r}, "rb").read())))
        """
    )
    heard = set(out["text"].lower().replace(".", " ").replace("-", " ").split())
    expected = {"the", "quick", "brown", "fox", "jumps", "jump", "over", "lazy", "dog"}
    assert len(heard & expected) >= 5, out["text"]
    assert out["language"] == "en" and out["english_only"] is True
    assert 3 < out["duration"] < 5


def test_korean_keywords_keep_negating_prefixes_offline():
    out = offline(
        """
        import json
        from apps.inference import text
        print(json.dumps({"keywords": text.keywords("직원이 불친절하고 음식이 늦게 나왔어요. 직원 교육이 필요해요")}))
        """
    )
    assert out["keywords"][0] == "직원"
    assert "불친절" in out["keywords"] and "친절" not in out["keywords"]


def test_the_template_drafter_says_what_it_is():
    from apps.inference import backends
    from apps.inference.backends import drafter

    backend = backends.registered()["llm"]
    assert backend.ident == "cpu:template-drafter"
    from django.utils import translation

    assert "언어 모델이 쓴 글이 아님" in str(backend.label)  # Korean first
    with translation.override("en"):
        assert "not written by a language model" in str(backend.label)
    tokens = []
    result = drafter.run({"prompt": "음식이 정말 맛있고 사장님이 친절해요"}, {}, on_token=tokens.append)
    assert result["generated_by"] == "template" and result["tone"] == "positive"
    assert "".join(tokens) == result["text"] and "감사" in result["text"]
    complaint = drafter.run({"messages": [{"role": "user", "content": "배송이 너무 늦고 불친절했어요"}]}, {})
    assert complaint["tone"] == "negative" and "죄송" in complaint["text"]
