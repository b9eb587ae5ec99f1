"""What a submission tells the sockets following its student (`ws/problems/`): its status,
score and the feedback when it is stored. The group is the student's own, `problems.user.<id>`,
named through the core helper (schema prefix in one place); the student's sockets and their
approved parents' join it (apps/problems/consumers.py), nobody else's. The LLM's tokens, while it writes,
reach the requester's `ws/inference/` sockets through the inference job."""

from __future__ import annotations

from django.utils.translation import gettext

from apps.core.websocket import broadcast_on_commit


def user_group(user_id: int) -> str:
    return f"problems.user.{user_id}"


def snapshot(submission) -> dict:
    latest = submission.feedback.order_by("-created_at", "-id").first()
    return {
        "submission": submission.pk,
        "student": submission.student_id,
        "problem": submission.problem_id,
        "status": submission.status,
        "score": submission.score,
        "max_score": submission.max_score,
        "graded_by": submission.graded_by,
        "feedback": None
        if latest is None
        else {
            "source": latest.source,
            "backend_label": gettext(latest.backend_label) if latest.backend_label else "",
            "score": latest.score,
            "text": latest.text,
            "criteria": latest.criteria,
        },
    }


def submission_changed(submission) -> None:
    broadcast_on_commit(user_group(submission.student_id), {"type": "problems.submission", **snapshot(submission)})
