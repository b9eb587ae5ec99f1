"""Live exam rooms (issue 14, item 5): a teacher opens a room for a class and an exam,
students join, the teacher starts, pauses, extends and ends it; the room's end time is
every attempt's deadline in it."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from apps.core.deletion import SET_NULL_WHERE_PRESENT

from .exams import Exam
from .people import Klass, Timestamped


class LiveRoom(Timestamped):
    class Status(models.TextChoices):
        WAITING = "waiting", _("Waiting to start")
        RUNNING = "running", _("Running")
        PAUSED = "paused", _("Paused")
        ENDED = "ended", _("Ended")

    exam = models.ForeignKey(Exam, verbose_name=_("exam"), on_delete=models.PROTECT, related_name="rooms")
    klass = models.ForeignKey(Klass, verbose_name=_("class"), on_delete=models.PROTECT, related_name="rooms")
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("opened by"),
        null=True,
        on_delete=SET_NULL_WHERE_PRESENT,
        related_name="+",
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.WAITING)
    duration_seconds = models.PositiveIntegerField(_("duration (seconds)"))
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    ends_at = models.DateTimeField(_("ends"), null=True, blank=True)
    paused_at = models.DateTimeField(_("paused"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)

    class Meta:
        verbose_name = _("live exam room")
        verbose_name_plural = _("live exam rooms")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.exam} — {self.klass}"

    def remaining_seconds(self, now=None) -> int | None:
        from django.utils import timezone

        if self.ends_at is None:
            return self.duration_seconds
        reference = self.paused_at if self.status == self.Status.PAUSED and self.paused_at else (now or timezone.now())
        return max(0, int((self.ends_at - reference).total_seconds()))
