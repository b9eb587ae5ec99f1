from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from apps.core.deletion import SET_NULL_WHERE_PRESENT
from apps.core.pii import EncryptedTextField

from .base import Timestamped


class Consultation(Timestamped):
    """An inquiry (상담) on its way to an enrollment, or not."""

    class Status(models.TextChoices):
        NEW = "new", _("New")
        SCHEDULED = "scheduled", _("Scheduled")
        HELD = "held", _("Held")
        ENROLLED = "enrolled", _("Enrolled")
        LOST = "lost", _("Lost")

    class Source(models.TextChoices):
        PHONE = "phone", _("Phone call")
        WALK_IN = "walk_in", _("Walk-in")
        WEB = "web", _("Website")
        KAKAO = "kakao", _("KakaoTalk")
        REFERRAL = "referral", _("Referral")
        OTHER = "other", _("Other")

    # Which status may follow which: the service refuses anything else.
    TRANSITIONS = {
        "new": {"scheduled", "held", "lost", "enrolled"},
        "scheduled": {"held", "lost", "scheduled", "enrolled"},
        "held": {"enrolled", "lost", "scheduled"},
        "enrolled": set(),
        "lost": {"new"},
    }

    student_name = models.CharField(_("student name"), max_length=100)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    guardian_name = models.CharField(_("guardian name"), max_length=100, blank=True)
    guardian_phone = EncryptedTextField(_("guardian phone"), blank=True, null=True)
    source = models.CharField(_("source"), max_length=12, choices=Source.choices, default=Source.PHONE)
    interest = models.CharField(_("interested in"), max_length=200, blank=True)
    klass = models.ForeignKey(
        "academy.Class",
        verbose_name=_("class of interest"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    notes = models.TextField(_("notes"), blank=True)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned to"),
        null=True,
        blank=True,
        on_delete=SET_NULL_WHERE_PRESENT,
        related_name="+",
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.NEW, db_index=True)
    scheduled_at = models.DateTimeField(_("consultation time"), null=True, blank=True)
    follow_up_on = models.DateField(_("follow up on"), null=True, blank=True, db_index=True)
    lost_reason = models.CharField(_("reason lost"), max_length=200, blank=True)
    referred_by = models.ForeignKey(
        "academy.Student",
        verbose_name=_("referred by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    student = models.ForeignKey(
        "academy.Student",
        verbose_name=_("student"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="consultations",
    )

    class Meta:
        verbose_name = _("consultation")
        verbose_name_plural = _("consultations")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.student_name} ({self.get_status_display()})"
