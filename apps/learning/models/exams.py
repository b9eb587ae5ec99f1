"""Exams, attempts and responses (issue 14, items 3 and 4).

An exam is fixed-form (its items in order, or shuffled per attempt) or adaptive (the CAT
engine of apps/learning/cat picks from the live items of its content areas, with pretest
items given unscored). An attempt keeps the engine's state (`state`, JSON) in the database —
with a Redis copy while it is in progress (apps/learning/services/attempts.py) — and one
Response row per answer, which the database never lets anyone change or delete.
"""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from apps.core.deletion import created_by_field
from apps.core.triggers import append_only

from .items import Item
from .people import Klass, Organisation, Student, Timestamped


class Exam(Timestamped):
    class Kind(models.TextChoices):
        FIXED = "fixed", _("Fixed form")
        ADAPTIVE = "adaptive", _("Adaptive (CAT)")

    class Order(models.TextChoices):
        ORDERED = "ordered", _("In order")
        SHUFFLED = "shuffled", _("Shuffled per attempt")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        CLOSED = "closed", _("Closed")

    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="exams",
    )
    klass = models.ForeignKey(
        Klass,
        verbose_name=_("class"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="exams",
        help_text=_("Empty: open to every student of the zone."),
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.ADAPTIVE)
    order = models.CharField(_("order"), max_length=10, choices=Order.choices, default=Order.ORDERED)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT, db_index=True)
    is_public = models.BooleanField(_("public"), default=False, help_text=_("Guests may read it."))
    areas = ArrayField(
        models.CharField(max_length=60),
        verbose_name=_("content areas"),
        default=list,
        blank=True,
        help_text=_("Adaptive exams draw from the live items of these areas (empty: all)."),
    )
    cat_settings = models.JSONField(_("CAT settings"), default=dict, blank=True)
    time_limit_seconds = models.PositiveIntegerField(_("time limit (seconds)"), null=True, blank=True)
    score_slope = models.FloatField(_("scaled score per θ"), default=100.0)
    score_intercept = models.FloatField(_("scaled score at θ = 0"), default=500.0)
    items = models.ManyToManyField(Item, through="ExamItem", verbose_name=_("items"), related_name="exams", blank=True)
    created_by = created_by_field()

    class Meta:
        verbose_name = _("exam")
        verbose_name_plural = _("exams")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.title


class ExamItem(models.Model):
    """A fixed-form exam's item at its position."""

    exam = models.ForeignKey(Exam, verbose_name=_("exam"), on_delete=models.CASCADE, related_name="exam_items")
    item = models.ForeignKey(Item, verbose_name=_("item"), on_delete=models.PROTECT, related_name="exam_items")
    position = models.PositiveIntegerField(_("position"))

    class Meta:
        verbose_name = _("exam item")
        verbose_name_plural = _("exam items")
        ordering = ["exam_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["exam", "position"], name="learning_exam_item_position_once"),
            models.UniqueConstraint(fields=["exam", "item"], name="learning_exam_item_once"),
        ]

    def __str__(self) -> str:
        return f"{self.exam_id}#{self.position}"


class Attempt(Timestamped):
    class Status(models.TextChoices):
        ACTIVE = "active", _("In progress")
        SUBMITTED = "submitted", _("Submitted")
        TIMED_OUT = "timed_out", _("Timed out")

    exam = models.ForeignKey(Exam, verbose_name=_("exam"), on_delete=models.PROTECT, related_name="attempts")
    student = models.ForeignKey(Student, verbose_name=_("student"), on_delete=models.PROTECT, related_name="attempts")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE)
    started_at = models.DateTimeField(_("started"))
    deadline = models.DateTimeField(_("deadline"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    room = models.ForeignKey(
        "learning.LiveRoom",
        verbose_name=_("live room"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="attempts",
    )
    # extra seconds granted (a live room's teacher extending the time)
    extra_seconds = models.PositiveIntegerField(_("extra time (seconds)"), default=0)
    state = models.JSONField(_("engine state"), default=dict)
    version = models.PositiveIntegerField(_("version"), default=0)
    theta = models.FloatField(_("θ"), null=True, blank=True)
    se = models.FloatField(_("SE"), null=True, blank=True)
    scaled_score = models.FloatField(_("scaled score"), null=True, blank=True)
    percentile = models.FloatField(_("percentile"), null=True, blank=True)
    n_answered = models.PositiveIntegerField(_("answered"), default=0)
    n_correct = models.PositiveIntegerField(_("correct"), default=0)
    stop_reason = models.CharField(_("stop reason"), max_length=20, blank=True)
    result = models.JSONField(_("result"), default=dict, blank=True)

    class Meta:
        verbose_name = _("attempt")
        verbose_name_plural = _("attempts")
        ordering = ["-started_at"]
        constraints = [
            # One attempt in progress per student and exam (a second start resumes it).
            models.UniqueConstraint(
                fields=["exam", "student"], condition=Q(status="active"), name="learning_one_active_attempt"
            ),
        ]
        indexes = [
            models.Index(fields=["status", "deadline"], name="learning_attempt_deadline"),
            models.Index(fields=["exam", "status"], name="learning_attempt_exam_status"),
        ]

    def __str__(self) -> str:
        return f"{self.student} — {self.exam}"

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE


class Response(models.Model):
    """One answer, immutable: the database refuses UPDATE and DELETE (apps.core.triggers)."""

    attempt = models.ForeignKey(Attempt, verbose_name=_("attempt"), on_delete=models.PROTECT, related_name="responses")
    item = models.ForeignKey(Item, verbose_name=_("item"), on_delete=models.PROTECT, related_name="responses")
    position = models.PositiveIntegerField(_("position"))
    answer = models.CharField(_("answer"), max_length=500)
    correct = models.BooleanField(_("correct"))
    scored = models.BooleanField(_("scored"), default=True)
    theta_after = models.FloatField(_("θ after"), null=True)
    se_after = models.FloatField(_("SE after"), null=True)
    answered_at = models.DateTimeField(_("answered"), auto_now_add=True)

    class Meta:
        verbose_name = _("response")
        verbose_name_plural = _("responses")
        ordering = ["attempt_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["attempt", "item"], name="learning_response_item_once"),
            models.UniqueConstraint(fields=["attempt", "position"], name="learning_response_position_once"),
        ]
        triggers = append_only("responses")

    def __str__(self) -> str:
        return f"{self.attempt_id}#{self.position}"
