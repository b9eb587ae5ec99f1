"""What a take tells its learner's sockets (`ws/kzone/`): status, stage, progress and, once
finished, the result. The group is the learner's own, `kzone.user.<id>`, named through the
core helper (schema prefix in one place), so an event never reaches another learner or
another tenant. The LLM's text, while it is written, streams on `ws/inference/`."""

from __future__ import annotations

from django.utils.translation import gettext

from apps.core.websocket import broadcast, broadcast_on_commit


def user_group(user_id: int) -> str:
    return f"kzone.user.{user_id}"


def snapshot(take) -> dict:
    result = take.result if take.finished else None
    if result and result.get("feedback", {}).get("backend_label"):
        result = {**result, "feedback": {**result["feedback"], "label": gettext(result["feedback"]["backend_label"])}}
    return {
        "take": take.pk,
        "kind": take.kind,
        "status": take.status,
        "stage": take.stage,
        "progress": take.progress,
        "score": take.score,
        "error": take.error,
        "result": result,
    }


def take_changed(take) -> None:
    """After the change commits (a rolled-back change tells nobody)."""
    broadcast_on_commit(user_group(take.user_id), {"type": "kzone.take", **snapshot(take)})


def take_progress(take) -> None:
    """Progress of running work, now (no transaction waits for it)."""
    broadcast(user_group(take.user_id), {"type": "kzone.take", **snapshot(take)})
