from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


def default_reminder_days() -> list[int]:
    return [3, 7]


class AcademySettings(models.Model):
    """The academy's own rules. One row per tenant schema (`AcademySettings.current()`)."""

    invoice_day = models.PositiveSmallIntegerField(
        _("invoicing day of the month"),
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(28)],
        help_text=_("Monthly invoices are issued on this day (1–28)."),
    )
    payment_due_days = models.PositiveSmallIntegerField(_("days to pay"), default=10)
    overdue_reminder_days = models.JSONField(
        _("overdue reminders (days after the due date)"), default=default_reminder_days, blank=True
    )
    sibling_discount_percent = models.PositiveSmallIntegerField(
        _("sibling discount (%)"), default=10, validators=[MaxValueValidator(100)]
    )
    multi_class_discount_percent = models.PositiveSmallIntegerField(
        _("multi-class discount (%)"), default=5, validators=[MaxValueValidator(100)]
    )
    late_after_minutes = models.PositiveSmallIntegerField(_("late after (minutes)"), default=10)
    kiosk_enabled = models.BooleanField(_("kiosk check-in"), default=True)

    class Meta:
        verbose_name = _("academy settings")
        verbose_name_plural = _("academy settings")

    def __str__(self) -> str:
        return str(_("Academy settings"))

    @classmethod
    def current(cls) -> "AcademySettings":
        settings, _created = cls.objects.get_or_create(pk=1)
        return settings
