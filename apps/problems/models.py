"""Problems, submissions, feedback, teacher reviews and progress (seed 001).

- A Problem is multiple choice (`choice`), short text (`short`), essay or code. Choice and
  short-text problems are graded at once against their key; essays and code against the
  teacher's rubric, by the inference fleet's LLM or, with no LLM server, by the rubric's
  keywords (labelled "rule-based" wherever it is shown). Code is never run.
- A Submission is immutable once submitted: the database refuses to change its answer
  (trigger), so a grade always refers to what the student actually sent.
- Feedback and Review rows are append-only (trigger): every grade a submission ever had
  stays; the submission's `score` / `graded_by` say which one counts now.
"""

from __future__ import annotations

import pgtrigger
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from apps.core.deletion import CASCADE_WHERE_PRESENT, SET_NULL_WHERE_PRESENT, _table_here
from apps.core.triggers import append_only


def PROTECT_WHERE_PRESENT(collector, field, sub_objs, using):
    """PROTECT where the problems' tables exist (zone schemas). Users are deleted in every
    schema: in an academy's there is nothing to protect and no table to look in."""
    if _table_here(using, field.model._meta.db_table) and sub_objs:
        models.PROTECT(collector, field, sub_objs, using)


PROTECT_WHERE_PRESENT.lazy_sub_objs = True


class Problem(models.Model):
    class Kind(models.TextChoices):
        CHOICE = "choice", _("Multiple choice")
        SHORT = "short", _("Short answer")
        ESSAY = "essay", _("Essay")
        CODE = "code", _("Code")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        ARCHIVED = "archived", _("Archived")

    KEYED = (Kind.CHOICE, Kind.SHORT)
    RUBRIC = (Kind.ESSAY, Kind.CODE)

    kind = models.CharField(_("type"), max_length=10, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=200)
    statement = models.TextField(_("statement (Markdown)"))
    topic = models.CharField(_("topic"), max_length=100, db_index=True)
    tags = models.JSONField(_("tags"), default=list, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    # choice: the options and the index of the right one
    choices = models.JSONField(_("choices"), default=list, blank=True)
    correct_choice = models.PositiveSmallIntegerField(_("correct choice (from 0)"), null=True, blank=True)
    # short: answers accepted (compared without case, spaces or final punctuation)
    accepted_answers = models.JSONField(_("accepted answers"), default=list, blank=True)
    # essay/code: [{"id": "c1", "criterion": "...", "points": 4, "keywords": ["광합성|photosynthesis", ...]}]
    rubric = models.JSONField(_("rubric"), default=list, blank=True)
    points = models.PositiveSmallIntegerField(_("points (choice and short answer)"), default=10)
    language = models.CharField(_("programming language"), max_length=30, blank=True)
    explanation = models.TextField(_("explanation (shown after grading)"), blank=True)
    # The school whose staff wrote it (its org_admin manages it); none: the zone's own.
    organisation = models.ForeignKey(
        "learning.Organisation",
        verbose_name=_("organisation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="problems",
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=SET_NULL_WHERE_PRESENT, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("problem")
        verbose_name_plural = _("problems")
        ordering = ["topic", "id"]
        indexes = [models.Index(fields=["status", "topic"])]

    def __str__(self) -> str:
        return self.title

    @property
    def max_score(self) -> int:
        if self.kind in self.RUBRIC:
            return sum(int(c.get("points") or 0) for c in self.rubric or [])
        return self.points

    @property
    def needs_ai(self) -> bool:
        return self.kind in self.RUBRIC


class Submission(models.Model):
    class Status(models.TextChoices):
        GRADED = "graded", _("Graded")
        PENDING = "pending", _("Waiting for feedback")
        FAILED = "failed", _("Feedback failed")

    class GradedBy(models.TextChoices):
        KEY = "key", _("Answer key")
        LLM = "llm", _("AI model (LLM)")
        RULES = "rule_based", _("Rule-based (rubric keywords, not an AI model)")
        TEACHER = "teacher", _("Teacher")

    problem = models.ForeignKey(Problem, on_delete=models.PROTECT, related_name="submissions")
    # Answers are records: a user who has any cannot be deleted.
    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=PROTECT_WHERE_PRESENT, related_name="problem_submissions"
    )
    answer_text = models.TextField(_("answer"), blank=True)
    choice = models.PositiveSmallIntegerField(_("choice"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("submitted"), auto_now_add=True, db_index=True)
    # What counts now: the key's, the latest feedback's, or the teacher's last override.
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    score = models.PositiveSmallIntegerField(_("score"), null=True, blank=True)
    max_score = models.PositiveSmallIntegerField(_("out of"))
    graded_by = models.CharField(_("graded by"), max_length=12, choices=GradedBy.choices, blank=True)
    reviewed = models.BooleanField(_("reviewed by a teacher"), default=False)
    # Each request for AI feedback is a round; its inference job is keyed by it, so a
    # retried task finds its job again.
    feedback_round = models.PositiveSmallIntegerField(default=0)
    idempotency_key = models.CharField(max_length=80, null=True, blank=True)  # noqa: DJ001 (NULL: no key, unique)

    class Meta:
        verbose_name = _("submission")
        verbose_name_plural = _("submissions")
        ordering = ["-submitted_at", "-id"]
        indexes = [
            models.Index(fields=["student", "problem", "-submitted_at"]),
            models.Index(fields=["status", "reviewed"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["student", "idempotency_key"],
                condition=Q(idempotency_key__isnull=False),
                name="problems_submission_idempotent",
            )
        ]
        triggers = [
            pgtrigger.Protect(name="no_delete", operation=pgtrigger.Delete),
            # Once submitted, the answer is what it was: a grade always refers to it.
            pgtrigger.Protect(
                name="answer_immutable",
                operation=pgtrigger.Update,
                condition=pgtrigger.AnyChange(
                    "problem_id", "student_id", "answer_text", "choice", "submitted_at", "max_score"
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.problem} · {self.student} #{self.pk}"


class Feedback(models.Model):
    class Source(models.TextChoices):
        KEY = "key", _("Answer key")
        LLM = "llm", _("AI model (LLM)")
        RULES = "rule_based", _("Rule-based (rubric keywords, not an AI model)")

    submission = models.ForeignKey(Submission, on_delete=models.PROTECT, related_name="feedback")
    source = models.CharField(_("source"), max_length=12, choices=Source.choices)
    # "server:<name>" for the fleet, "cpu:rubric-keywords" for the rule-based grader
    backend = models.CharField(_("backend"), max_length=120, blank=True)
    backend_label = models.CharField(_("backend description"), max_length=200, blank=True)
    score = models.PositiveSmallIntegerField(_("score"))
    max_score = models.PositiveSmallIntegerField(_("out of"))
    # [{"id", "criterion", "points", "score", "comment", "matched": [...], "missing": [...]}]
    criteria = models.JSONField(_("score per criterion"), default=list, blank=True)
    text = models.TextField(_("feedback"), blank=True)
    # Why the LLM was not used or not believed, when it was not (shown to the teacher).
    note = models.CharField(_("note"), max_length=300, blank=True)
    # The job that wrote it, kept as a record: feedback rows are append-only (no SET NULL),
    # and a job's table is in every schema while this one is in zones only.
    job = models.ForeignKey(
        "inference_jobs.InferenceJob",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("feedback")
        verbose_name_plural = _("feedback")
        ordering = ["-created_at", "-id"]
        triggers = append_only("problem feedback")

    def __str__(self) -> str:
        return f"{self.get_source_display()} {self.score}/{self.max_score}"


class Review(models.Model):
    """A teacher's review of a submission: confirms or overrides the score (audited)."""

    submission = models.ForeignKey(Submission, on_delete=models.PROTECT, related_name="reviews")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=PROTECT_WHERE_PRESENT, related_name="+")
    previous_score = models.PositiveSmallIntegerField(_("previous score"), null=True, blank=True)
    previous_graded_by = models.CharField(_("previously graded by"), max_length=12, blank=True)
    score = models.PositiveSmallIntegerField(_("score"))
    criteria = models.JSONField(_("score per criterion"), default=list, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("teacher review")
        verbose_name_plural = _("teacher reviews")
        ordering = ["-created_at", "-id"]
        triggers = append_only("problem review")

    def __str__(self) -> str:
        return f"{self.submission_id}: {self.previous_score} → {self.score}"

    @property
    def overrides(self) -> bool:
        return self.previous_score != self.score


class Progress(models.Model):
    """One student's standing in one topic, recomputed from their graded submissions (the
    latest per problem counts) whenever one of them is graded or overridden, and from the
    scored answers of their finished exams (apps.learning) on items of that content area
    whenever an attempt finishes."""

    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=CASCADE_WHERE_PRESENT, related_name="problem_progress"
    )
    topic = models.CharField(_("topic"), max_length=100)
    attempted = models.PositiveIntegerField(_("problems attempted"), default=0)
    solved = models.PositiveIntegerField(_("problems solved"), default=0)
    points = models.PositiveIntegerField(_("points"), default=0)
    max_points = models.PositiveIntegerField(_("out of"), default=0)
    mastery = models.PositiveSmallIntegerField(_("mastery (%)"), default=0)
    exam_answered = models.PositiveIntegerField(_("exam items answered"), default=0)
    exam_correct = models.PositiveIntegerField(_("exam items correct"), default=0)
    last_activity = models.DateTimeField(_("last activity"), null=True, blank=True)

    class Meta:
        verbose_name = _("progress")
        verbose_name_plural = _("progress")
        ordering = ["student", "topic"]
        constraints = [models.UniqueConstraint(fields=["student", "topic"], name="problems_progress_per_topic")]

    def __str__(self) -> str:
        return f"{self.student} · {self.topic}: {self.mastery}%"
