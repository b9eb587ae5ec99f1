from django.db import models
from django.utils.translation import gettext_lazy as _

from apps.core.deletion import created_by_field

from .base import Timestamped


class Enrollment(Timestamped):
    """A student in a class, with the tuition plan agreed when they enrolled."""

    class Plan(models.TextChoices):
        MONTHLY = "monthly", _("Monthly fee")
        PASS = "pass", _("Pass of N sessions")

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        PAUSED = "paused", _("Paused")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        TRANSFERRED = "transferred", _("Transferred")

    student = models.ForeignKey(
        "academy.Student", verbose_name=_("student"), on_delete=models.PROTECT, related_name="enrollments"
    )
    klass = models.ForeignKey(
        "academy.Class", verbose_name=_("class"), on_delete=models.PROTECT, related_name="enrollments"
    )
    starts_on = models.DateField(_("starts"))
    ends_on = models.DateField(_("ends"), null=True, blank=True)
    plan = models.CharField(_("tuition plan"), max_length=10, choices=Plan.choices, default=Plan.MONTHLY)
    monthly_fee = models.BigIntegerField(_("monthly fee (KRW)"), default=0)
    pass_sessions = models.PositiveSmallIntegerField(_("sessions in the pass"), null=True, blank=True)
    pass_price = models.BigIntegerField(_("pass price (KRW)"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.ACTIVE)
    paused_from = models.DateField(_("paused from"), null=True, blank=True)
    paused_until = models.DateField(_("paused until"), null=True, blank=True)
    transferred_to = models.OneToOneField(
        "self",
        verbose_name=_("transferred to"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="transferred_from",
    )
    consultation = models.ForeignKey(
        "academy.Consultation",
        verbose_name=_("consultation"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,  # a partial index below: most enrollments have none
    )
    created_by = created_by_field(db_index=False)  # a partial index below: imported enrollments have none

    class Meta:
        verbose_name = _("enrollment")
        verbose_name_plural = _("enrollments")
        ordering = ["-starts_on"]
        indexes = [
            models.Index(fields=["status"], name="academy_enrollment_status_idx"),  # no varchar_pattern_ops twin
            # Optional links indexed where set: an index of NULLs costs every insert and serves
            # no query (the deletion of a consultation or a user looks up the ones that are set).
            models.Index(
                fields=["consultation"],
                condition=models.Q(consultation__isnull=False),
                name="academy_enrollment_consult_idx",
            ),
            models.Index(
                fields=["created_by"],
                condition=models.Q(created_by__isnull=False),
                name="academy_enrollment_author_idx",
            ),
        ]
        constraints = [
            # A student is in a class once at a time (a transfer or re-enrollment ends the old one).
            models.UniqueConstraint(
                fields=["student", "klass"],
                condition=models.Q(status__in=["active", "paused"]),
                name="academy_enrollment_once_active",
            ),
            models.CheckConstraint(
                condition=models.Q(ends_on__isnull=True) | models.Q(ends_on__gte=models.F("starts_on")),
                name="academy_enrollment_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.student} @ {self.klass}"
