from django.contrib.postgres.fields import ArrayField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from .base import Timestamped

RATING = [MinValueValidator(1), MaxValueValidator(5)]


class Feedback(Timestamped):
    """A coach's feedback on a student for one session (피드백), shown to guardians."""

    session = models.ForeignKey(
        "academy.Session", verbose_name=_("session"), on_delete=models.PROTECT, related_name="feedback"
    )
    student = models.ForeignKey(
        "academy.Student", verbose_name=_("student"), on_delete=models.PROTECT, related_name="feedback"
    )
    coach = models.ForeignKey(
        "academy.Coach",
        verbose_name=_("coach"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="feedback",
    )
    text = models.TextField(_("feedback"))
    effort = models.PositiveSmallIntegerField(_("effort"), null=True, blank=True, validators=RATING)
    skill = models.PositiveSmallIntegerField(_("skill"), null=True, blank=True, validators=RATING)
    attitude = models.PositiveSmallIntegerField(_("attitude"), null=True, blank=True, validators=RATING)
    visible_to_guardians = models.BooleanField(_("visible to guardians"), default=True)

    class Meta:
        verbose_name = _("feedback")
        verbose_name_plural = _("feedback")
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["session", "student"], name="academy_feedback_once")]

    def __str__(self) -> str:
        return f"{self.student} {self.session.date}"


class Video(Timestamped):
    """A YouTube recording of a student (seed 000's video records)."""

    class Kind(models.TextChoices):
        TRAINING = "training", _("Training")
        MATCH = "match", _("Match")
        SKILL_DRILL = "skill_drill", _("Skill drill")
        HIGHLIGHT = "highlight", _("Highlight")

    student = models.ForeignKey(
        "academy.Student", verbose_name=_("student"), on_delete=models.PROTECT, related_name="videos"
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    url = models.URLField(_("YouTube URL"))
    youtube_id = models.CharField(_("YouTube id"), max_length=20, editable=False)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    duration_seconds = models.PositiveIntegerField(_("duration (seconds)"), null=True, blank=True)
    recorded_at = models.DateTimeField(_("recorded"), null=True, blank=True)
    tags = ArrayField(models.CharField(max_length=40), verbose_name=_("tags"), default=list, blank=True)

    class Meta:
        verbose_name = _("video")
        verbose_name_plural = _("videos")
        ordering = ["-recorded_at", "-created_at"]
        indexes = [models.Index(fields=["student", "kind"], name="academy_video_student_kind")]

    def __str__(self) -> str:
        return self.title

    @property
    def thumbnail_url(self) -> str:
        return f"https://i.ytimg.com/vi/{self.youtube_id}/hqdefault.jpg"
