"""K-Zone's tutors (seed 003): reference content and the learners' takes.

- VoiceLine: a K-pop lyric line, a Korean phrase or a drama line to say or sing along to:
  its target text, its language and an optional reference recording (a media key).
- DramaScene with DramaLine rows: a script, lines per character, in order.
- Choreography: a reference dance video (media key); its pose keypoints are analysed once
  and cached in storage (`pose_key`), so a learner's take is compared without analysing the
  reference again.
- Take: one attempt of one learner — a recording or a video, the chain of inference jobs
  that analyses it (status, stage, progress), and its result (score, alignment or pose
  comparison, feedback and who wrote it). A take is its learner's alone: the API, the pages
  and the socket show a learner their own takes only.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from apps.core.deletion import CASCADE_WHERE_PRESENT
from apps.inference.models import JOB_FINISHED, JobStatus


class Language(models.TextChoices):
    KOREAN = "ko", _("Korean")
    ENGLISH = "en", _("English")


class Content(models.Model):
    title = models.CharField(_("title"), max_length=200)
    published = models.BooleanField(_("published"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        abstract = True
        ordering = ["title", "id"]

    def __str__(self) -> str:
        return self.title


class VoiceLine(Content):
    class Kind(models.TextChoices):
        LYRIC = "lyric", _("K-pop lyric line")
        PHRASE = "phrase", _("Korean phrase")
        DRAMA = "drama", _("Drama line")

    kind = models.CharField(_("type"), max_length=10, choices=Kind.choices, default=Kind.PHRASE)
    text = models.TextField(_("target text"))
    language = models.CharField(_("language"), max_length=5, choices=Language.choices, default=Language.KOREAN)
    translation = models.CharField(_("meaning"), max_length=300, blank=True)
    # kzone/audio/{id}/reference-… in the tenant's storage; empty: no reference recording.
    reference_audio = models.CharField(_("reference recording (media key)"), max_length=300, blank=True)
    reference_seconds = models.FloatField(_("reference duration (s)"), null=True, blank=True)

    class Meta(Content.Meta):
        verbose_name = _("voice line")
        verbose_name_plural = _("voice lines")


class DramaScene(Content):
    synopsis = models.TextField(_("synopsis"), blank=True)
    language = models.CharField(_("language"), max_length=5, choices=Language.choices, default=Language.KOREAN)

    class Meta(Content.Meta):
        verbose_name = _("drama scene")
        verbose_name_plural = _("drama scenes")

    @property
    def characters(self) -> list[str]:
        seen: list[str] = []
        for line in self.lines.all():
            if line.character not in seen:
                seen.append(line.character)
        return seen


class DramaLine(models.Model):
    scene = models.ForeignKey(DramaScene, on_delete=models.CASCADE, related_name="lines", verbose_name=_("scene"))
    order = models.PositiveSmallIntegerField(_("order"))
    character = models.CharField(_("character"), max_length=60)
    text = models.TextField(_("line"))
    direction = models.CharField(_("direction (emotion, delivery)"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("drama line")
        verbose_name_plural = _("drama lines")
        ordering = ["scene", "order", "id"]
        constraints = [models.UniqueConstraint(fields=["scene", "order"], name="kzone_line_order_unique")]

    def __str__(self) -> str:
        return f"{self.character}: {self.text[:40]}"


class Choreography(Content):
    class PoseStatus(models.TextChoices):
        NONE = "none", _("not analysed")
        RUNNING = "running", _("being analysed")
        READY = "ready", _("ready")
        FAILED = "failed", _("failed")

    description = models.TextField(_("description"), blank=True)
    bpm = models.PositiveSmallIntegerField(_("beats per minute"), null=True, blank=True)
    reference_video = models.CharField(_("reference video (media key)"), max_length=300, blank=True)
    # The reference's keypoints per sampled frame, JSON in storage (kzone/pose/choreo-{id}/…).
    pose_key = models.CharField(_("cached keypoints (media key)"), max_length=300, blank=True)
    pose_status = models.CharField(_("keypoints"), max_length=10, choices=PoseStatus.choices, default=PoseStatus.NONE)
    pose_error = models.TextField(_("analysis error"), blank=True)
    pose_backend = models.CharField(_("analysed by"), max_length=200, blank=True)
    duration = models.FloatField(_("duration (s)"), null=True, blank=True)

    class Meta(Content.Meta):
        verbose_name = _("choreography")
        verbose_name_plural = _("choreographies")


class Take(models.Model):
    class Kind(models.TextChoices):
        VOICE = "voice", _("Voice")
        DANCE = "dance", _("Dance")
        DRAMA = "drama", _("Drama")

    Status = JobStatus
    FINISHED = JOB_FINISHED

    kind = models.CharField(_("type"), max_length=10, choices=Kind.choices, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=CASCADE_WHERE_PRESENT, related_name="kzone_takes", verbose_name=_("learner")
    )
    voice_line = models.ForeignKey(
        VoiceLine, null=True, blank=True, on_delete=models.PROTECT, related_name="takes", verbose_name=_("voice line")
    )
    scene = models.ForeignKey(
        DramaScene, null=True, blank=True, on_delete=models.PROTECT, related_name="takes", verbose_name=_("scene")
    )
    character = models.CharField(_("character"), max_length=60, blank=True)
    choreography = models.ForeignKey(
        Choreography,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="takes",
        verbose_name=_("choreography"),
    )
    media_key = models.CharField(_("recording (media key)"), max_length=300)
    # The learner's language: feedback is written in it.
    language = models.CharField(_("feedback language"), max_length=5, choices=Language.choices, default="ko")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    stage = models.CharField(_("stage"), max_length=20, blank=True)
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    cancel_requested = models.BooleanField(_("cancel requested"), default=False)
    # inference job ids by stage: {"stt": 12, "llm": 13} or {"pose": 14}
    jobs = models.JSONField(_("AI jobs"), default=dict, blank=True)
    score = models.FloatField(_("score"), null=True, blank=True)
    result = models.JSONField(_("result"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    idempotency_key = models.CharField(max_length=120, null=True, blank=True, unique=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("take")
        verbose_name_plural = _("takes")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "kind", "-created_at"])]
        constraints = [
            models.CheckConstraint(
                name="kzone_take_names_its_content",
                condition=(
                    models.Q(kind="voice", voice_line__isnull=False)
                    | models.Q(kind="drama", scene__isnull=False)
                    | models.Q(kind="dance", choreography__isnull=False)
                ),
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk} ({self.status})"

    @property
    def finished(self) -> bool:
        return self.status in self.FINISHED

    @property
    def content(self):
        return self.voice_line or self.scene or self.choreography
