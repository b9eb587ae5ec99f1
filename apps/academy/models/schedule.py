from django.db import models
from django.utils.translation import gettext_lazy as _

from .base import Timestamped


class Programme(Timestamped):
    name = models.CharField(_("name"), max_length=100, unique=True)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        verbose_name = _("programme")
        verbose_name_plural = _("programmes")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Class(Timestamped):
    """A class such as 선수반 or 실전반: a coach, a room, a capacity and a weekly timetable."""

    programme = models.ForeignKey(
        Programme, verbose_name=_("programme"), on_delete=models.PROTECT, related_name="classes"
    )
    name = models.CharField(_("name"), max_length=100, unique=True)
    coach = models.ForeignKey(
        "academy.Coach",
        verbose_name=_("coach"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="classes",
    )
    room = models.CharField(_("room"), max_length=50, blank=True)
    capacity = models.PositiveSmallIntegerField(_("capacity"), default=20)
    monthly_fee = models.BigIntegerField(_("monthly fee (KRW)"), default=0)
    pass_sessions = models.PositiveSmallIntegerField(_("sessions per pass"), null=True, blank=True)
    pass_price = models.BigIntegerField(_("pass price (KRW)"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("class")
        verbose_name_plural = _("classes")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class TimetableSlot(models.Model):
    class Weekday(models.IntegerChoices):
        MONDAY = 0, _("Monday")
        TUESDAY = 1, _("Tuesday")
        WEDNESDAY = 2, _("Wednesday")
        THURSDAY = 3, _("Thursday")
        FRIDAY = 4, _("Friday")
        SATURDAY = 5, _("Saturday")
        SUNDAY = 6, _("Sunday")

    klass = models.ForeignKey(Class, verbose_name=_("class"), on_delete=models.CASCADE, related_name="slots")
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    starts_at = models.TimeField(_("starts"))
    ends_at = models.TimeField(_("ends"))

    class Meta:
        verbose_name = _("timetable slot")
        verbose_name_plural = _("timetable slots")
        ordering = ["weekday", "starts_at"]
        constraints = [
            models.UniqueConstraint(fields=["klass", "weekday", "starts_at"], name="academy_slot_once"),
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="academy_slot_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.klass} {self.get_weekday_display()} {self.starts_at:%H:%M}"


class Holiday(models.Model):
    date = models.DateField(_("date"), unique=True)
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        verbose_name = _("holiday")
        verbose_name_plural = _("holidays")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {self.name}"


class Session(Timestamped):
    """One meeting of a class on a date: generated from the timetable, or a make-up."""

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        CANCELLED = "cancelled", _("Cancelled")
        HELD = "held", _("Held")

    klass = models.ForeignKey(Class, verbose_name=_("class"), on_delete=models.PROTECT, related_name="sessions")
    date = models.DateField(_("date"), db_index=True)
    starts_at = models.TimeField(_("starts"))
    ends_at = models.TimeField(_("ends"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.SCHEDULED)
    makeup_for = models.ForeignKey(
        "self", verbose_name=_("make-up for"), null=True, blank=True, on_delete=models.SET_NULL, related_name="makeups"
    )
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("session")
        verbose_name_plural = _("sessions")
        ordering = ["date", "starts_at"]
        constraints = [models.UniqueConstraint(fields=["klass", "date", "starts_at"], name="academy_session_once")]

    def __str__(self) -> str:
        return f"{self.klass} {self.date} {self.starts_at:%H:%M}"
