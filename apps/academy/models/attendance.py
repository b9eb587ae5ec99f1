from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from apps.core.deletion import SET_NULL_WHERE_PRESENT

from .base import Timestamped


class Attendance(Timestamped):
    class Status(models.TextChoices):
        PRESENT = "present", _("Present")
        LATE = "late", _("Late")
        ABSENT = "absent", _("Absent")
        EXCUSED = "excused", _("Excused")
        LEFT_EARLY = "left_early", _("Left early")

    class Method(models.TextChoices):
        ROLL_CALL = "roll_call", _("Roll call")
        KIOSK = "kiosk", _("Kiosk PIN")
        QR = "qr", _("QR code")

    session = models.ForeignKey(
        "academy.Session", verbose_name=_("session"), on_delete=models.PROTECT, related_name="attendance"
    )
    student = models.ForeignKey(
        "academy.Student", verbose_name=_("student"), on_delete=models.PROTECT, related_name="attendance"
    )
    status = models.CharField(_("status"), max_length=12, choices=Status.choices)
    method = models.CharField(_("method"), max_length=10, choices=Method.choices, default=Method.ROLL_CALL)
    checked_in_at = models.DateTimeField(_("checked in"), null=True, blank=True)
    checked_out_at = models.DateTimeField(_("checked out"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=SET_NULL_WHERE_PRESENT,
        related_name="+",
    )
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendance")
        constraints = [models.UniqueConstraint(fields=["session", "student"], name="academy_attendance_once")]

    def __str__(self) -> str:
        return f"{self.student} {self.session}: {self.get_status_display()}"
