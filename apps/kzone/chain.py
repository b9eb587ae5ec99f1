"""The analysis chains, run by the tasks of apps/kzone/tasks.py on the fleet's queues. Each
step records its inference job under a key made of the take and the step (a redelivered
task finds its job again instead of making a second one) and runs it here through the
fleet's dispatch (routing, retries, breakers, the tenant's cap, the CPU defaults).

    voice:  transcribe (gpu.stt: stt job → alignment, score)  →  feedback (gpu.llm: llm job or rules)
    drama:  transcribe (gpu.stt: stt job → per-line accuracy, pacing)  →  feedback (gpu.llm)
    dance:  dance (gpu.pose: frames → pose jobs in batches → comparison with the reference's
            cached keypoints → overlay images of the weakest segments)

A take that was cancelled (or finished) stops the chain at its next step; `dispatch.AtCapacity`
propagates so that the task sends itself again later (the tenant's AI jobs are at their cap).
"""

from __future__ import annotations

import logging

from django.conf import settings

from apps.inference import dispatch, fleet
from apps.inference import services as ai
from apps.inference.jobs.models import InferenceJob

from . import alignment, feedback, services
from .models import Take

log = logging.getLogger(__name__)
FEATURE = "kzone.{kind}"


class Stopped(Exception):
    """The take was cancelled (or finished) meanwhile: the chain stops."""


def _names_job(take_id: int, stage: str, progress: int, name: str):
    return lambda job: services.advance(take_id, stage=stage, progress=progress, jobs={name: job.pk})


def run_job(
    key: str, *, kind: str, inputs: dict, requester, feature: str, params: dict | None = None, on_recorded=None
) -> InferenceJob:
    """The step's inference job (recorded once under `key`), run here if it has not finished.
    `on_recorded(job)` before it runs: the take names its job, so cancelling the take reaches it."""
    job = InferenceJob.objects.filter(idempotency_key=key).first()
    if job is None:
        job = ai.record_job(
            kind=kind, inputs=inputs, requester=requester, feature=feature, params=params or {}, idempotency_key=key
        )
    if on_recorded is not None and on_recorded(job) is None:
        ai.cancel_job(job)  # cancelled before it ran: it must not wait in the queue for nobody
        raise Stopped()
    if not job.finished:
        dispatch.execute(job.pk)  # AtCapacity propagates: the task tries again later
        job.refresh_from_db()
    return job


def _stt_segments(stt: dict) -> list[dict]:
    segments = list(stt.get("segments") or [])
    if stt.get("words") and not any(s.get("words") for s in segments):
        # word times given at the top level (OpenAI verbose_json): one segment carrying them all
        segments = [{"start": None, "end": None, "text": stt.get("text", ""), "words": stt["words"]}]
    return segments


def _stt_summary(job: InferenceJob) -> dict:
    result = job.result or {}
    return {
        "text": result.get("text", ""),
        "language": result.get("language", ""),
        "english_only": bool(result.get("english_only")),
        "duration": result.get("duration"),
        "backend": job.backend,
        "backend_label": job.backend_label,
        "job": job.pk,
    }


# ---------------------------------------------------------------------------- voice and drama


def transcribe(take_id: int) -> str:
    take = services.advance(take_id, stage="stt", progress=10)
    if take is None:
        return "stopped"
    language = (take.voice_line or take.scene).language
    job = run_job(
        f"kzone.take.{take.pk}.stt",
        kind="stt",
        inputs={"media": take.media_key},
        requester=take.user,
        feature=FEATURE.format(kind=take.kind),
        params={"language": language, "word_timestamps": True},
        on_recorded=_names_job(take_id, "stt", 15, "stt"),
    )
    if job.status != InferenceJob.Status.SUCCEEDED:
        services.fail(take_id, f"transcription {job.status}: {job.error}")
        return "failed"
    stt = _stt_summary(job)
    segments = _stt_segments(job.result or {})
    if take.kind == Take.Kind.VOICE:
        line = take.voice_line
        comparison = alignment.compare(line.text, stt["text"], segments, stt["duration"])
        accuracy = alignment.accuracy_score(comparison)
        timing = alignment.timing_score(comparison["timing"]["speaking_seconds"], line.reference_seconds)
        partial = {
            "stt": stt,
            "comparison": comparison,
            "accuracy_score": accuracy,
            "timing_score": timing,
            "score": accuracy if timing is None else round(0.8 * accuracy + 0.2 * timing, 1),
        }
    else:
        partial = _drama_result(take, stt, segments)
    take = services.advance(take_id, stage="feedback", progress=60, jobs={"stt": job.pk}, result=partial)
    if take is None:
        return "stopped"
    from . import tasks

    tasks.feedback.delay_on_commit(take_id)
    return "transcribed"


def _drama_result(take: Take, stt: dict, segments: list[dict]) -> dict:
    mine = [line for line in take.scene.lines.all() if line.character == take.character]
    target = " ".join(line.text for line in mine)
    comparison = alignment.compare(target, stt["text"], segments, stt["duration"])
    per_line = alignment.split_by_lines(comparison["words"], [len(alignment.words(line.text)) for line in mine])
    lines = []
    for line, rows in zip(mine, per_line, strict=True):
        right = sum(1 for r in rows if r["status"] == "match") + 0.5 * sum(1 for r in rows if r["status"] == "close")
        times = [r for r in rows if r["start"] is not None]
        lines.append(
            {
                "order": line.order,
                "text": line.text,
                "direction": line.direction,
                "accuracy": round(right / len(rows), 4) if rows else 0.0,
                "start": times[0]["start"] if times else None,
                "end": times[-1]["end"] if times else None,
                "missed": [r["word"] for r in rows if r["status"] in ("missed", "wrong")],
            }
        )
    accuracy = alignment.accuracy_score(comparison)
    wpm = comparison["timing"]["words_per_minute"]
    # Pacing: 100 inside a conversational 110–170 words a minute, less outside it.
    pace = None if wpm is None else round(max(0.0, 100 - max(0, 110 - wpm, wpm - 170)), 1)
    return {
        "stt": stt,
        "comparison": comparison,
        "lines": lines,
        "accuracy_score": accuracy,
        "pacing_score": pace,
        "score": accuracy if pace is None else round(0.7 * accuracy + 0.3 * pace, 1),
    }


def llm_available() -> bool:
    return bool(fleet.ranked("llm"))


def write_feedback(take_id: int) -> str:
    take = services.advance(take_id, stage="feedback", progress=70)
    if take is None:
        return "stopped"
    partial = take.result or {}
    stt, comparison = partial["stt"], partial["comparison"]
    content_language = (take.voice_line or take.scene).language
    note = ""
    job = None
    if llm_available():
        if take.kind == Take.Kind.VOICE:
            messages = feedback.voice_messages(
                target=take.voice_line.text,
                kind=take.voice_line.get_kind_display(),
                comparison=comparison,
                stt=stt,
                language=take.language,
            )
        else:
            messages = feedback.drama_messages(
                scene=take.scene,
                character=take.character,
                lines=partial["lines"],
                comparison=comparison,
                stt=stt,
                language=take.language,
            )
        job = run_job(
            f"kzone.take.{take.pk}.llm",
            kind="llm",
            inputs={"messages": messages},
            requester=take.user,
            feature=FEATURE.format(kind=take.kind),
            params={"max_tokens": 500, "temperature": 0.3},
            on_recorded=_names_job(take_id, "feedback", 75, "llm"),
        )
        if services.advance(take_id, stage="feedback", progress=90) is None:
            return "stopped"
        backend = str((job.result or {}).get("backend", ""))
        if job.status == InferenceJob.Status.SUCCEEDED and backend.startswith("server:") and job.result.get("text"):
            text = job.result["text"].strip()
            from django.utils import translation

            with translation.override(take.language):
                english_only = feedback.english_only_note(stt, content_language)
            if english_only and english_only not in text:
                text = f"{text}\n{english_only}"
            services.finish(
                take_id,
                score=partial.get("score"),
                result={
                    "feedback": {
                        "text": text,
                        "source": "llm",
                        "backend": job.backend,
                        "backend_label": job.backend_label,
                        "job": job.pk,
                    }
                },
            )
            return "llm"
        note = f"LLM job {job.pk} {job.status}: {job.error or backend}"[:300]
    else:
        note = "no LLM server registered"
    if take.kind == Take.Kind.VOICE:
        text = feedback.voice_rules(
            comparison, stt=stt, content_language=content_language, language=take.language, score=partial["score"]
        )
    else:
        text = feedback.drama_rules(
            partial["lines"], comparison, stt=stt, content_language=content_language, language=take.language
        )
    services.finish(
        take_id,
        score=partial.get("score"),
        result={
            "feedback": {
                "text": text,
                "source": "rule_based",
                "backend": feedback.RULE_BACKEND,
                "backend_label": feedback.RULE_LABEL,
                "note": note,
                "job": job.pk if job else None,
            }
        },
    )
    return "rule-based"


def requeue_seconds() -> float:
    return float(settings.INFERENCE["REQUEUE_SECONDS"])
