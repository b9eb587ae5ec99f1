"""Writing one round of feedback for an essay or code submission (the task's body).

1. An LLM server registered and not broken (apps.inference.fleet): an inference job is
   recorded (requester: who asked; keyed by submission and round, so a retried task finds
   it again) and run here through the fleet's client — routing, retries, breakers, the
   tenant's cap; its streamed tokens reach the requester's `ws/inference/` sockets. The
   model's JSON answer is clamped to the rubric and stored as `source=llm`.
2. No LLM server, or the fleet failed, or the model's answer was not the asked-for JSON:
   the rubric's keywords grade it (`source=rule_based`, backend `cpu:rubric-keywords`,
   labelled as not an AI model), with a note saying why, so nothing waits for a GPU.

Code is never executed: it is graded by the rubric like an essay (README, "Problems and AI
feedback").
"""

from __future__ import annotations

import logging

from django.utils.translation import gettext_noop

from apps.inference import dispatch, fleet
from apps.inference import services as ai
from apps.inference.jobs.models import InferenceJob

from . import grading, services
from .models import Feedback, Submission

log = logging.getLogger(__name__)

RULE_LABEL = gettext_noop("Rule-based: rubric keywords (not an AI model)")
FEATURE = "problems.feedback"


def llm_available() -> bool:
    return bool(fleet.ranked("llm"))


def rule_based(submission: Submission, feedback_round: int, note: str, job=None) -> Feedback | None:
    graded = grading.grade_by_rubric(submission.answer_text, submission.problem.rubric)
    return services.store_feedback(
        submission.pk,
        feedback_round,
        graded,
        source=Feedback.Source.RULES,
        backend=grading.RULE_BACKEND,
        label=RULE_LABEL,  # stored in English, translated where shown
        note=note,
        job=job,
    )


def write(submission_id: int, feedback_round: int) -> str:
    """One round's feedback for the submission. Idempotent: a round with its feedback
    already stored (or superseded) is left alone. Raises dispatch.AtCapacity when the
    tenant's AI jobs are at their cap (the task tries again later)."""
    submission = Submission.objects.select_related("problem", "student").filter(pk=submission_id).first()
    if submission is None or submission.feedback_round != feedback_round:
        return "superseded"
    if submission.status != Submission.Status.PENDING:
        return "done already"
    problem = submission.problem
    key = f"problems.feedback.{submission.pk}.{feedback_round}"
    job = InferenceJob.objects.filter(idempotency_key=key).first()
    if job is None:
        if not llm_available():
            rule_based(submission, feedback_round, "no LLM server registered")
            return "rule-based"
        requester = submission.student
        job = ai.record_job(
            kind="llm",
            inputs={
                "messages": grading.llm_messages(
                    kind=problem.kind,
                    statement=problem.statement,
                    rubric=problem.rubric,
                    answer=submission.answer_text,
                    language=problem.language,
                )
            },
            requester=requester,
            feature=FEATURE,
            params={"max_tokens": 800, "temperature": 0},
            idempotency_key=key,
        )
    if not job.finished:
        dispatch.execute(job.pk)  # AtCapacity propagates: the job stays queued, the task retries
        job.refresh_from_db()
    if job.status != InferenceJob.Status.SUCCEEDED:
        rule_based(submission, feedback_round, f"LLM job {job.pk} {job.status}: {job.error}"[:300], job)
        return "rule-based"
    result = job.result or {}
    if not str(result.get("backend", "")).startswith("server:"):
        # Every server failed and the fleet's own CPU default (a template drafter) answered:
        # it cannot grade, the rubric's keywords can.
        rule_based(submission, feedback_round, f"LLM servers failed; {result.get('backend')} answered", job)
        return "rule-based"
    try:
        graded = grading.parse_llm_feedback(result.get("text", ""), problem.rubric)
    except grading.Unreadable as exc:
        rule_based(submission, feedback_round, f"the LLM's answer was not usable: {exc}", job)
        return "rule-based"
    services.store_feedback(
        submission.pk,
        feedback_round,
        graded,
        source=Feedback.Source.LLM,
        backend=job.backend,
        label=job.backend_label,
        job=job,
    )
    return "llm"
